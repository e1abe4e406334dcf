#!/usr/bin/env bash
# Runs a local Bluesky PDS for the bluesky adapter's end-to-end test.
#
#   scripts/pds.sh install   # npm ci in scripts/pds (builds better-sqlite3); skipped when up to date
#   scripts/pds.sh start     # start in the background, wait for /xrpc/_health, write the connection file
#   scripts/pds.sh stop      # stop the PDS started by start
#   scripts/pds.sh status    # exit 0 when it answers
#
# The connection file ($CRIEUR_PDS, default ${TMPDIR:-/tmp}/crieur-pds.json) is
# what the Go test reads: CRIEUR_PDS=<that path> go test ./publishers/bluesky/...
# CRIEUR_PDS_PORT picks the port (default 2583). Everything binds 127.0.0.1.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/pds" && pwd)"
conn="${CRIEUR_PDS:-${TMPDIR:-/tmp}/crieur-pds.json}"
pidfile="${conn%.json}.pid"
logfile="${conn%.json}.log"
port="${CRIEUR_PDS_PORT:-2583}"
stamp="$dir/node_modules/.crieur-lock"

healthy() {
	curl -fsS --max-time 2 "http://127.0.0.1:$port/xrpc/_health" >/dev/null 2>&1
}

running() {
	[[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

install() {
	if [[ -f "$stamp" ]] && cmp -s "$dir/package-lock.json" "$stamp"; then
		echo "pds: dependencies up to date"
		return
	fi
	# better-sqlite3 is compiled here: no prebuilt binary can be downloaded,
	# and node-gyp needs the headers of the Node.js that runs it.
	local nodedir=()
	if [[ -f /usr/include/node/node.h ]]; then
		nodedir=(--nodedir=/usr)
	fi
	(cd "$dir" && npm_config_build_from_source=true npm ci --no-audit --no-fund "${nodedir[@]}")
	(cd "$dir" && node -e "new (require('better-sqlite3'))(':memory:').close()")
	cp "$dir/package-lock.json" "$stamp"
}

start() {
	if running && healthy; then
		echo "pds: already running (pid $(cat "$pidfile")), connection in $conn"
		return
	fi
	[[ -d "$dir/node_modules" ]] || install
	rm -f "$conn"
	CRIEUR_PDS_PORT="$port" nohup node "$dir/start.mjs" "$conn" >"$logfile" 2>&1 &
	echo $! >"$pidfile"
	for _ in $(seq 1 120); do
		if [[ -s "$conn" ]] && healthy; then
			echo "pds: ready on 127.0.0.1:$port (pid $(cat "$pidfile")); export CRIEUR_PDS=$conn"
			return
		fi
		if ! running; then
			echo "pds: exited while starting; log $logfile:" >&2
			tail -n 30 "$logfile" >&2
			exit 1
		fi
		sleep 0.5
	done
	echo "pds: not healthy after 60 s; log $logfile" >&2
	stop
	exit 1
}

stop() {
	if running; then
		local pid
		pid="$(cat "$pidfile")"
		kill "$pid"
		for _ in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$pidfile" "$conn"
}

case "${1:-}" in
install) install ;;
start) start ;;
stop) stop ;;
status) running && healthy ;;
*)
	echo "usage: $0 install|start|stop|status" >&2
	exit 2
	;;
esac
