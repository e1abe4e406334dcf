#!/usr/bin/env bash
# make bench-pg: the PostgreSQL figures of issue 13 that BENCHMARKS.md
# records, in one run (compare the ratios within a run: the machines are
# small and shared).
#
#   1. import of 100,000 posts over 3 channels: `crieur import CSV` into a
#      freshly initialised calendar, beside psql \copy of the very rows that
#      import wrote (campaigns, posts, deliveries, events, as CSV files) into
#      a copy of the same freshly initialised calendar, in one transaction;
#      target: crieur within 1.5× of psql.
#   2. `crieur calendar --month 2026-11` and `crieur post list --limit 50`
#      on a calendar of 1,000,000 posts (internal/benchgen, 3 channels, one
#      post every 20 minutes from 2000), whole process; target < 50 ms;
#      with each query's plan (EXPLAIN ANALYZE) in $BENCH_DIR.
#   3. the scheduler with 3 daemons (go test -bench Postgres ./scheduler/):
#      lateness p99 ≤ 200 ms, throughput ≥ 90 % of 960/s.
#
# The server: BENCH_PG_URL or CRIEUR_TEST_POSTGRES (postgres://… of a role
# that may create databases), else one started here as the tests start
# theirs (internal/testsvc): Debian's postgresql, initdb + pg_ctl in a
# temporary folder, 127.0.0.1 on a free port, fsync off; as root it runs as
# the postgres user. Settings:
#   BENCH_POSTS=1000000   size of the calendar of figure 2
#   BENCH_ROWS=100000     rows of the import of figure 1
#   BENCH_DIR=.tmp/bench-pg   where binaries, CSVs and results go
#   BENCH_ONLY="import cli sched"   which figures to measure
#   BENCH_IMPORT_RUNS=5, BENCH_RUNS=30   hyperfine runs (import, command line)
#   BENCH_SCHED_FULL=1    full-size scheduler runs (10,000 deliveries, 60 s);
#                         0: scaled down (2,000 deliveries, 6 s)
#   BENCH_IMPORT_BEFORE=PATH   another crieur binary (an earlier build) whose
#                         import is timed in the same hyperfine run, beside
#                         psql and this tree's crieur (before/after a change)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
posts="${BENCH_POSTS:-1000000}"
rows="${BENCH_ROWS:-100000}"
dir="${BENCH_DIR:-.tmp/bench-pg}"
only="${BENCH_ONLY:-import cli sched}"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

for tool in hyperfine psql; do
	command -v "$tool" >/dev/null || { echo "installing $tool"; apt-get install -y -qq hyperfine postgresql-client >/dev/null; break; }
done

# --- the server
admin="${BENCH_PG_URL:-${CRIEUR_TEST_POSTGRES:-}}"
srv=""
stop_server() {
	if [[ -n "$srv" ]]; then
		$as "$pgbin/pg_ctl" -D "$srv/data" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$srv"
	fi
}
trap stop_server EXIT
if [[ -z "$admin" ]]; then
	pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	if [[ -z "$pgbin" ]]; then
		echo "installing postgresql (Debian)"
		apt-get install -y -qq postgresql >/dev/null
		pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	fi
	srv=$(mktemp -d /tmp/crieur-bench-pg-XXXXXX)
	as=""
	if [[ $(id -u) == 0 ]]; then
		chown postgres: "$srv"
		as="setpriv --reuid=postgres --regid=postgres --init-groups"
	fi
	$as "$pgbin/initdb" -D "$srv/data" -U postgres --auth=trust -E UTF8 --no-sync --no-instructions >/dev/null
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	$as "$pgbin/pg_ctl" -D "$srv/data" -l "$srv/log" -w -t 60 start \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $srv -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null
	admin="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
fi
# db NAME: the URL of database NAME on the server.
db() { sed -E "s#^(postgres(ql)?://[^/]*)/[^?]*#\1/$1#" <<<"$admin"; }
sqla() { psql "$admin" -qAtX -v ON_ERROR_STOP=1 "$@"; }
recreate() { sqla -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1 ${2:+TEMPLATE $2}"; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== server: PostgreSQL $(sqla -c 'SHOW server_version'), fsync $(sqla -c 'SHOW fsync'), synchronous_commit $(sqla -c 'SHOW synchronous_commit')"
go build -o "$dir/crieur" ./cmd/crieur
crieur="$dir/crieur"
export NO_COLOR=1 TZ=UTC XDG_CONFIG_HOME="$dir/config"

# --- 1. import
if [[ " $only " == *" import "* ]]; then
	echo "== import of $rows posts over 3 channels"
	csv="$dir/campaign-$rows.csv"
	bash scripts/bench/campaign-csv.sh "$rows" >"$csv"
	# The empty calendar both sides start from: schema and 3 channels.
	recreate bench_import_empty
	export BENCH_TOKEN=bench-token BENCH_PASSWORD=bench-password
	CRIEUR_DB=$(db bench_import_empty)
	export CRIEUR_DB
	"$crieur" init -q >/dev/null
	"$crieur" channel add bench-log --network log --set path=/dev/null >/dev/null
	"$crieur" channel add bench-mastodon --network mastodon --set instance=https://mastodon.example --secret token=env:BENCH_TOKEN >/dev/null
	"$crieur" channel add bench-bsky --network bluesky --set handle=bench.bsky.social --secret app_password=env:BENCH_PASSWORD >/dev/null
	# The tables a load of this CSV writes (no variants, media nor notes);
	# the check after the timings compares every table.
	tables="campaigns posts deliveries events"
	declare -A base
	for t in $tables; do
		base[$t]=$(psql "$CRIEUR_DB" -qAtX -c "SELECT COALESCE(max(id), 0) FROM $t")
	done
	# One import to learn the rows it writes, dumped as CSV.
	recreate bench_import_crieur bench_import_empty
	CRIEUR_DB=$(db bench_import_crieur) "$crieur" import "$csv" -q
	load="$dir/copy.sql"
	{
		echo '\set ON_ERROR_STOP 1'
		echo 'BEGIN;'
		for t in $tables; do
			psql "$(db bench_import_crieur)" -qAtX -c "\\copy (SELECT * FROM $t WHERE id > ${base[$t]} ORDER BY id) TO '$dir/rows-$t.csv' CSV"
			cols=$(psql "$(db bench_import_crieur)" -qAtX -c "SELECT string_agg(quote_ident(attname), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped")
			echo "\\copy $t ($cols) FROM '$dir/rows-$t.csv' CSV"
			# as crieur leaves them: the identity past the rows written
			echo "SELECT setval(pg_get_serial_sequence('$t', 'id'), (SELECT max(id) FROM $t)) WHERE EXISTS (SELECT 1 FROM $t);"
		done
		echo 'COMMIT;'
	} >"$load"
	n=$(wc -l <"$dir/rows-deliveries.csv")
	echo "the rows an import writes: $(for t in $tables; do printf '%s %s, ' "$t" "$(wc -l <"$dir/rows-$t.csv")"; done)"
	[[ "$n" == $((rows * 3)) ]] || { echo "bench-pg: $n deliveries written, not $((rows * 3))" >&2; exit 1; }
	before=()
	if [[ -n "${BENCH_IMPORT_BEFORE:-}" ]]; then
		before=(-n "crieur import (before)" "env CRIEUR_DB=$(db bench_import_run) $BENCH_IMPORT_BEFORE import $csv -q")
	fi
	# The last command is crieur's: the check below compares its rows.
	hyperfine -N --runs "${BENCH_IMPORT_RUNS:-5}" --export-json "$dir/import.json" --export-markdown "$dir/import.md" \
		--prepare "psql $admin -qAtX -c 'DROP DATABASE IF EXISTS bench_import_run WITH (FORCE)' -c 'CREATE DATABASE bench_import_run TEMPLATE bench_import_empty'" \
		-n "psql \\copy of the same rows" "psql $(db bench_import_run) -qX -f $load" \
		"${before[@]}" \
		-n "crieur import" "env CRIEUR_DB=$(db bench_import_run) $crieur import $csv -q"
	# The last run was crieur's: the rows psql copies are those it writes.
	recreate bench_import_psql bench_import_empty
	psql "$(db bench_import_psql)" -qX -f "$load" >/dev/null
	for t in $(psql "$(db bench_import_psql)" -qAtX -c "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version' ORDER BY 1"); do
		a=$(psql "$(db bench_import_run)" -qAtX -c "SELECT count(*) FROM $t")
		b=$(psql "$(db bench_import_psql)" -qAtX -c "SELECT count(*) FROM $t")
		[[ "$a" == "$b" ]] || { echo "bench-pg: table $t: crieur wrote $a rows, psql $b" >&2; exit 1; }
	done
	python3 - "$dir/import.json" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
p, c = r["psql \\copy of the same rows"], r["crieur import"]
print(f"psql \\copy: {p['mean']:.2f} s ± {p['stddev'] or 0:.2f}; crieur import: {c['mean']:.2f} s ± {c['stddev'] or 0:.2f}")
print(f"crieur import / psql \\copy: {c['mean'] / p['mean']:.2f}× (target ≤ 1.5×)")
if "crieur import (before)" in r:
    b = r["crieur import (before)"]
    print(f"crieur import (before): {b['mean']:.2f} s ± {b['stddev'] or 0:.2f}: {b['mean'] / p['mean']:.2f}× psql; after / before {c['mean'] / b['mean']:.2f}×")
EOF
	unset CRIEUR_DB
fi

# --- 2. the command line on a large calendar
if [[ " $only " == *" cli "* ]]; then
	big=bench_cal_$posts
	have=$(sqla -c "SELECT 1 FROM pg_database WHERE datname = '$big'")
	if [[ -n "$have" ]] && [[ $(psql "$(db "$big")" -qAtX -c "SELECT count(*) FROM posts" 2>/dev/null || echo 0) != "$posts" ]]; then
		recreate "$big"
	elif [[ -z "$have" ]]; then
		sqla -c "CREATE DATABASE $big"
	fi
	if [[ $(psql "$(db "$big")" -qAtX -c "SELECT count(*) FROM posts" 2>/dev/null || echo 0) != "$posts" ]]; then
		echo "== filling a calendar of $posts posts (internal/benchgen)"
		go run ./internal/benchgen -db "$(db "$big")" -posts "$posts" -channels 3 -every 20m -from 2000-01-01T00:00:00Z
		psql "$(db "$big")" -qX -c "VACUUM ANALYZE" >/dev/null
	fi
	export CRIEUR_DB
	CRIEUR_DB=$(db "$big")
	echo "== the command line on $posts posts (whole process, hyperfine -N)"
	hyperfine -N --warmup 3 --runs "${BENCH_RUNS:-30}" --export-json "$dir/cli.json" --export-markdown "$dir/cli.md" \
		"$crieur version" \
		"$crieur post list --limit 50 -o json" \
		"$crieur calendar --month 2026-11" \
		"$crieur calendar --month 2026-11 -o json"
	python3 - "$dir/cli.json" <<'EOF'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    cmd = x["command"].split("/")[-1]
    target = "" if "version" in cmd or "json" in cmd and "calendar" in cmd else ("  ✓ < 50 ms" if x["mean"] < 0.05 else "  ✗ target < 50 ms")
    print(f"{cmd}: {x['mean'] * 1000:.1f} ms ± {(x['stddev'] or 0) * 1000:.1f}{target}")
EOF
	# The statements behind them, with the server's time for each: one run
	# of each command with every statement logged (the server's log: ours,
	# or BENCH_PG_LOG for a given server), then EXPLAIN ANALYZE of each.
	log="${BENCH_PG_LOG:-${srv:+$srv/log}}"
	if [[ -n "$log" && -r "$log" ]]; then
		sqla -c "ALTER DATABASE $big SET log_min_duration_statement = 0"
		: >"$dir/plans.txt"
		for cmd in "post list --limit 50 -o json" "calendar --month 2026-11"; do
			before=$(wc -l <"$log")
			# shellcheck disable=SC2086
			"$crieur" $cmd >/dev/null
			echo "### crieur $cmd: statements and the server's time for each" >>"$dir/plans.txt"
			tail -n +"$((before + 1))" "$log" | grep -E 'duration: ' | sed -E 's/^.*(duration: )/\1/' >>"$dir/plans.txt"
		done
		sqla -c "ALTER DATABASE $big RESET log_min_duration_statement"
		echo "statements of each command, with the server's time: $dir/plans.txt"
	fi
	from=$(date -ud 2026-11-01 +%s)000 to=$(date -ud 2026-12-01 +%s)000
	# As crieur's connections run them: no JIT, no parallel workers.
	export PGOPTIONS="-c jit=off -c max_parallel_workers_per_gather=0"
	{
		echo "### the month's posts and deliveries (calendar --month 2026-11)"
		psql "$CRIEUR_DB" -qX -c "EXPLAIN (ANALYZE, BUFFERS) SELECT p.id, d.id FROM posts p JOIN deliveries d ON d.post_id = p.id WHERE p.publish_at >= $from AND p.publish_at < $to ORDER BY p.publish_at, p.id"
		echo "### the first 50 posts (post list --limit 50)"
		psql "$CRIEUR_DB" -qX -c "EXPLAIN (ANALYZE, BUFFERS) SELECT p.id FROM posts p ORDER BY p.publish_at, p.id LIMIT 50"
	} >>"$dir/plans.txt" 2>&1
	unset PGOPTIONS
	echo "query plans: $dir/plans.txt"
	unset CRIEUR_DB
fi

# --- 3. the scheduler, 3 daemons
if [[ " $only " == *" sched "* ]]; then
	# SQLite's one-daemon benchmarks run beside them: the same machine's
	# reference in the same run.
	echo "== scheduler: 3 daemons on PostgreSQL, and SQLite's one daemon (go test -bench 'Lateness|Throughput' ./scheduler/)"
	full=""
	[[ "${BENCH_SCHED_FULL:-1}" == 1 ]] && full=1
	CRIEUR_TEST_POSTGRES="$admin" CRIEUR_BENCH_FULL=$full go test -run '^$' -bench 'Lateness|Throughput' -benchtime 1x -timeout 60m ./scheduler/ 2>&1 |
		grep -vE '^(goos|goarch|pkg|cpu):' | tee "$dir/sched.txt"
fi
