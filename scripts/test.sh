#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, then every Go test with -race, with the
# real local servers the end-to-end tests need (Mailpit for SMTP, Bluesky's PDS)
# installed and started by this script and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
work="$(mktemp -d)"
export TMPDIR_CRIEUR="$work"

cleanup() {
	bash scripts/mailpit.sh stop >/dev/null 2>&1 || true
	bash scripts/pds.sh stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "== lint"
unformatted="$(gofmt -l $(git ls-files '*.go'))"
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
# The staticcheck this project is checked with (2026.2.2), installed from the Go module proxy.
if ! staticcheck -version 2>/dev/null | grep -q '(0.8.2)'; then
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
staticcheck ./...

echo "== services"
if bash scripts/mailpit.sh install >&2 && eval "$(bash scripts/mailpit.sh start)"; then
	echo "mailpit: $CRIEUR_MAILPIT_SMTP (api $CRIEUR_MAILPIT_API)"
elif [[ "${CI:-}" == "true" ]]; then
	echo "mailpit could not be started" >&2; exit 1
fi
export CRIEUR_PDS="$work/pds.json"
if bash scripts/pds.sh install >&2 && bash scripts/pds.sh start; then
	:
elif [[ "${CI:-}" == "true" ]]; then
	echo "the Bluesky PDS could not be started" >&2; exit 1
else
	unset CRIEUR_PDS
fi

# The HTML calendar export is rendered in Debian's headless Chromium by its test.
if ! command -v chromium >/dev/null 2>&1; then
	if [[ "${CI:-}" == "true" ]] || [[ "$(id -u)" == 0 ]]; then
		echo "installing chromium (Debian)"
		apt-get update -qq && apt-get install -y -qq chromium >/dev/null
	else
		echo "chromium is missing: its test will skip (scripts/chromium-test.sh installs it)"
	fi
fi

# The PostgreSQL store's tests start their own server from Debian's package
# (internal/testsvc: initdb + pg_ctl in a temporary folder); under CI its
# absence fails them. CRIEUR_TEST_POSTGRES=postgres://… uses a running one.
if [[ -z "${CRIEUR_TEST_POSTGRES:-}" ]] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null 2>&1; then
	if [[ "${CI:-}" == "true" ]] || [[ "$(id -u)" == 0 ]]; then
		echo "installing postgresql (Debian)"
		apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
	else
		echo "postgresql is missing: the PostgreSQL store's tests will skip (apt-get install postgresql)"
	fi
fi

echo "== go test -race"
go test -race -count=1 -timeout 25m ./...
