#!/usr/bin/env bash
# A two-minute tour of crieur on a fresh machine, no account needed (`make demo`):
# builds crieur, creates a calendar in a temporary directory, two local "log"
# channels (one prints to this terminal, one appends to a file), a small
# campaign of five posts falling due over the next 20 seconds, and runs the
# daemon until every post is out. Then it stops the daemon with SIGTERM and
# shows the calendar and `crieur status`. Nothing outside the temporary
# directory is touched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/crieur-demo.XXXXXX")"
daemon_pid=""
cleanup() {
	if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

bold=""; dim=""; reset=""
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
	bold=$'\e[1m'; dim=$'\e[2m'; reset=$'\e[0m'
fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$reset"; }
run() {
	local shown="" arg
	for arg in "$@"; do
		if [[ "$arg" == *[[:space:]\']* ]]; then arg="\"$arg\""; fi
		shown+=" $arg"
	done
	printf '%s$ crieur%s%s\n' "$dim" "$shown" "$reset"
	"$crieur" "$@"
}

# An instant n seconds from now, RFC 3339 UTC (GNU date, else BSD date).
at() { date -u -d "+$1 seconds" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -v+"$1"S +%Y-%m-%dT%H:%M:%SZ; }

say "Building crieur"
crieur="$tmp/crieur"
(cd "$root" && go build -o "$crieur" ./cmd/crieur)

# Everything lives in the temporary directory.
export CRIEUR_DB="$tmp/crieur.db" XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" NO_COLOR="${NO_COLOR:-}"

say "A new calendar with two channels"
run init
run channel add terminal --network log
run channel add archive --network log --set path="$tmp/archive.log"

say "A campaign of five posts, due over the next 20 seconds"
run campaign add spring-launch --utm utm_medium=social
run post new --slug teaser --channel terminal,archive --campaign spring-launch --at "$(at 5)" \
	--body "Something new is coming on Monday. https://example.com/spring"
run post new --slug countdown --channel terminal --campaign spring-launch --at "$(at 9)" \
	--body "Three days to go."
run post new --slug launch --channel terminal,archive --campaign spring-launch --at "$(at 13)" \
	--body "It's here: meet our spring collection https://example.com/spring"
run post new --slug behind-the-scenes --channel archive --campaign spring-launch --at "$(at 17)" \
	--body "How we made it, in six photos."
run post new --slug thanks --channel terminal --campaign spring-launch --at "$(at 21)" \
	--body "Thank you for a wonderful launch day!"
run post list

say "Running the daemon: each post appears here at its time (logs on stderr)"
"$crieur" daemon &
daemon_pid=$!

# Wait until no delivery is left to publish (at most a minute).
for _ in $(seq 1 600); do
	pending="$("$crieur" status -o json | grep -cE '"(pending|publishing)": [1-9]' || true)"
	[[ "$pending" == 0 ]] && break
	sleep 0.1
done

say "All published: stopping the daemon with SIGTERM"
kill -TERM "$daemon_pid"
wait "$daemon_pid"
daemon_pid=""

say "The calendar"
run calendar --agenda --from "$(date -u +%Y-%m-%d)" --to "$(date -u +%Y-%m-%d)"
run post list
say "The archive channel's file"
cat "$tmp/archive.log"
say "Status"
run status
say "One post's history"
run post history launch
printf '\n%sDone. (The temporary calendar is removed.)%s\n' "$bold" "$reset"
