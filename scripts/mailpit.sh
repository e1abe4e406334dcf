#!/usr/bin/env bash
# mailpit.sh install|start|stop|env — a local Mailpit (real SMTP server with an
# HTTP API) for the newsletter adapter's end-to-end test.
#
#   scripts/mailpit.sh install           # go install github.com/axllent/mailpit@$MAILPIT_VERSION
#   eval "$(scripts/mailpit.sh start)"   # start on free 127.0.0.1 ports, export the two addresses
#   go test ./publishers/newsletter/ -run Mailpit
#   scripts/mailpit.sh stop
#
# start prints `export CRIEUR_MAILPIT_SMTP=… CRIEUR_MAILPIT_API=…` on stdout
# (and writes them to $MAILPIT_DIR/env); the pid is in $MAILPIT_DIR/pid.
set -euo pipefail

MAILPIT_VERSION="${MAILPIT_VERSION:-v1.27.11}"
MAILPIT_DIR="${MAILPIT_DIR:-${TMPDIR:-/tmp}/crieur-mailpit}"
MAILPIT_BIN="${MAILPIT_BIN:-$(go env GOPATH)/bin/mailpit}"

log() { echo "mailpit.sh: $*" >&2; }

# free_port prints a TCP port nothing listens on at 127.0.0.1.
free_port() {
	local port tries
	for tries in $(seq 1 100); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	log "no free port found"
	return 1
}

running() {
	[[ -f "$MAILPIT_DIR/pid" ]] && kill -0 "$(cat "$MAILPIT_DIR/pid")" 2>/dev/null
}

api_ready() {
	local api="$1"
	if command -v curl >/dev/null; then
		curl -fs -o /dev/null "$api/api/v1/info"
	else
		local hostport="${api#http://}"
		(exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}") 2>/dev/null
	fi
}

cmd_install() {
	if [[ -x "$MAILPIT_BIN" ]]; then
		log "already installed: $MAILPIT_BIN"
		return 0
	fi
	go install "github.com/axllent/mailpit@$MAILPIT_VERSION"
	log "installed $MAILPIT_BIN"
}

cmd_start() {
	if running; then
		log "already running (pid $(cat "$MAILPIT_DIR/pid"))"
		cat "$MAILPIT_DIR/env"
		return 0
	fi
	[[ -x "$MAILPIT_BIN" ]] || { log "$MAILPIT_BIN not found: run '$0 install' first"; return 1; }
	mkdir -p "$MAILPIT_DIR"
	local smtp_port http_port
	smtp_port="$(free_port)"
	http_port="$(free_port)"
	while [[ "$http_port" == "$smtp_port" ]]; do http_port="$(free_port)"; done
	local smtp="127.0.0.1:$smtp_port" api="http://127.0.0.1:$http_port"

	nohup "$MAILPIT_BIN" --smtp "$smtp" --listen "127.0.0.1:$http_port" \
		--smtp-auth-accept-any --smtp-auth-allow-insecure --quiet \
		>"$MAILPIT_DIR/log" 2>&1 </dev/null &
	echo $! >"$MAILPIT_DIR/pid"

	local i
	for i in $(seq 1 100); do
		if api_ready "$api"; then
			printf 'export CRIEUR_MAILPIT_SMTP=%s\nexport CRIEUR_MAILPIT_API=%s\n' "$smtp" "$api" | tee "$MAILPIT_DIR/env"
			log "running (pid $(cat "$MAILPIT_DIR/pid")): SMTP $smtp, API $api"
			return 0
		fi
		if ! running; then
			log "mailpit exited; its log:"
			cat "$MAILPIT_DIR/log" >&2
			rm -f "$MAILPIT_DIR/pid"
			return 1
		fi
		sleep 0.1
	done
	log "API at $api did not answer in 10s; stopping"
	cmd_stop
	return 1
}

cmd_stop() {
	if ! running; then
		log "not running"
		rm -f "$MAILPIT_DIR/pid" "$MAILPIT_DIR/env"
		return 0
	fi
	local pid
	pid="$(cat "$MAILPIT_DIR/pid")"
	kill "$pid"
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	rm -f "$MAILPIT_DIR/pid" "$MAILPIT_DIR/env"
	log "stopped (pid $pid)"
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
env) [[ -f "$MAILPIT_DIR/env" ]] && cat "$MAILPIT_DIR/env" ;;
*)
	echo "usage: $0 install|start|stop|env" >&2
	exit 2
	;;
esac
