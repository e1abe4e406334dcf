#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, then every Go test with -race, with the
# real local servers the end-to-end tests need (Mailpit for SMTP, Bluesky's PDS)
# installed and started by this script and stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"
work="$(mktemp -d)"
export TMPDIR_CRIEUR="$work"

pg_pid="" # the PostgreSQL pass of calendar/sqlstore's own tests, run beside the race run
cleanup() {
	if [[ -n "$pg_pid" ]]; then kill -- "-$pg_pid" 2>/dev/null || true; fi
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

# calendar/sqlstore's own (white-box) tests run once more on PostgreSQL
# (CRIEUR_TEST_ENGINE=postgres; the conformance suites, which run on both
# engines in the race run, are skipped here), without -race (the race run
# covers the same code on SQLite), beside the race run rather than after it: in their own
# process group (killed if this script stops) and niced, so that they take
# the CPU the race run leaves idle and barely slow it (cmd/crieur is its
# long pole). On a busy machine they finish at worst about their own
# length (~5 min) after it. Their test binary starts its own server.
pg_log="$work/sqlstore-postgres.log"
if [[ -n "${CRIEUR_TEST_POSTGRES:-}" || "${CI:-}" == "true" ]] || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then
	echo "== calendar/sqlstore on PostgreSQL (CRIEUR_TEST_ENGINE=postgres), in the background"
	CRIEUR_TEST_ENGINE=postgres setsid nice -n 10 go test -count=1 -timeout 25m -skip '^Test(SQLite|Postgres)StoreConformance$' ./calendar/sqlstore/ >"$pg_log" 2>&1 &
	pg_pid=$!
else
	echo "postgresql is missing: calendar/sqlstore's tests run on SQLite only"
fi

echo "== go test -race"
race_status=0
go test -race -count=1 -timeout 25m ./... || race_status=$?

pg_status=0
if [[ -n "$pg_pid" ]]; then
	started=$SECONDS
	wait "$pg_pid" || pg_status=$?
	pg_pid=""
	echo "== calendar/sqlstore on PostgreSQL (waited $((SECONDS - started)) s for it after the race run)"
	cat "$pg_log"
fi
if ((race_status != 0 || pg_status != 0)); then
	exit 1
fi
