#!/usr/bin/env bash
# bench-compare.sh — two crieur binaries ("before" and "after") measured side
# by side in ONE run, on copies of the same calendars, with the references
# the targets are stated against (a Go hello-world, Debian's sqlite3 shell).
# Prints a markdown table (figure | before | after | ratio / target) and
# writes it to $BENCH_OUT. These machines are small and noisy: compare
# within one run, never across runs.
#
#   scripts/bench-compare.sh BEFORE_BIN AFTER_BIN
#   BENCH_BEFORE_REF=2916390 scripts/bench-compare.sh "" AFTER_BIN
#   make bench-compare BENCH_BEFORE_REF=2916390          # after: this tree
#   make bench-compare BEFORE=/path/crieur AFTER=/path/crieur
#
# With no BEFORE_BIN, "before" is built from the commit BENCH_BEFORE_REF of
# this repository with `git archive` into $BENCH_DIR/before-REF (nothing in
# the work tree is touched); its internal/benchgen is kept to fill the
# calendars, so that both binaries open a calendar of the older schema and
# each migrates its own copy. With no AFTER_BIN, "after" is this tree. By
# hand, the same:
#   mkdir -p /tmp/before && git archive REF | tar -x -C /tmp/before
#   (cd /tmp/before && go build -o crieur ./cmd/crieur && go build -o benchgen ./internal/benchgen)
# and pass /tmp/before/crieur (its benchgen beside it is used).
#
# Environment:
#   BENCH_DIR=.tmp/bench-compare  work dir; calendars are made once and kept
#   BENCH_POSTS=1000000           posts in the big calendars
#   BENCH_RUNS=30                 hyperfine runs of each short command
#   BENCH_IMPORT_ROWS=100000      rows of the import campaign
#   BENCH_IMPORT_RUNS=5           hyperfine runs of each import
#   BENCH_IDLE_SECS=60            daemon CPU window (after a 10 s settle)
#   BENCH_TERM_SAMPLES=5          SIGTERM latency samples per binary
#   BENCH_ONLY="start month cli import idle"   the sections to run
#   BENCH_OUT=$BENCH_DIR/compare.md
#   BENCH_BENCHGEN                benchgen to fill the calendars (default:
#                                 the one beside BEFORE_BIN, else this tree's)
#   BENCH_MONTH_SQL_BEFORE, BENCH_MONTH_SQL_AFTER
#                                 the SELECTs each binary runs for
#                                 `calendar --month 2026-11` (after: this
#                                 tree's scripts/bench/month.sql; before: its
#                                 own tree's when built from a ref that has
#                                 one, else scripts/bench/month-2916390.sql,
#                                 main at 2916390's)
#
# Figures (the issue-12 targets in the last column):
#   a. `crieur version` beside a Go hello-world built here: ratio ≤ 2×
#   b. `calendar --month 2026-11` on the 1,000,000-post calendar beside the
#      sqlite3 shell running the same SELECTs (checked to return the same
#      deliveries): ratio ≤ 2.5×
#   c. the CLI rows of BENCHMARKS.md: within 10 % of before
#   d. first import of BENCH_IMPORT_ROWS posts over 3 channels beside the
#      sqlite3 shell writing the same rows (scripts/bench-import-sqlite.sh,
#      checked row by row against crieur's): ≤ 1.7×; re-import unchanged
#      ≤ 0.3× the first; peak RSS (GNU time) ≤ 200 MB
#   e. an idle daemon on a calendar of BENCH_POSTS future posts: CPU at rest
#      (utime+stime from /proc/PID/stat over BENCH_IDLE_SECS) < 0.5 % of a
#      core; SIGTERM at rest → exit < 100 ms
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
before_bin=${1:-}
after_bin=${2:-}
dir=${BENCH_DIR:-$root/.tmp/bench-compare}
posts=${BENCH_POSTS:-1000000}
runs=${BENCH_RUNS:-30}
import_rows=${BENCH_IMPORT_ROWS:-100000}
import_runs=${BENCH_IMPORT_RUNS:-5}
idle_secs=${BENCH_IDLE_SECS:-60}
term_samples=${BENCH_TERM_SAMPLES:-5}
only=" ${BENCH_ONLY:-start month cli import idle} "
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
out=${BENCH_OUT:-$dir/compare.md}

for tool in hyperfine sqlite3 /usr/bin/time jq go; do
	command -v "$tool" >/dev/null || { echo "bench-compare: $tool is missing (apt-get install -y hyperfine sqlite3 time jq)" >&2; exit 1; }
done
say() { echo "== $*" >&2; }
want() { [[ "$only" == *" $1 "* ]]; }

# --- the binaries -----------------------------------------------------------
before_tree=""
if [[ -z "$before_bin" ]]; then
	ref=${BENCH_BEFORE_REF:?give BEFORE_BIN, or BENCH_BEFORE_REF=<commit> to build it}
	sha=$(git -C "$root" rev-parse --short "$ref^{commit}")
	before_tree="$dir/before-$sha"
	if [[ ! -x "$before_tree/crieur" ]]; then
		say "building before from $ref ($sha) with git archive"
		rm -rf "$before_tree" && mkdir -p "$before_tree"
		git -C "$root" archive "$sha" | tar -x -C "$before_tree"
		(cd "$before_tree" && go build -o crieur ./cmd/crieur && go build -o benchgen ./internal/benchgen)
	fi
	before_bin="$before_tree/crieur"
fi
if [[ -z "$after_bin" ]]; then
	say "building after from this tree"
	(cd "$root" && go build -o "$dir/after-crieur" ./cmd/crieur)
	after_bin="$dir/after-crieur"
fi
before_bin=$(realpath "$before_bin")
after_bin=$(realpath "$after_bin")
benchgen=${BENCH_BENCHGEN:-}
if [[ -z "$benchgen" ]]; then
	if [[ -x "$(dirname "$before_bin")/benchgen" ]]; then
		benchgen="$(dirname "$before_bin")/benchgen"
	else
		echo "bench-compare: no benchgen beside $before_bin: using this tree's (its calendar must open with before)" >&2
		(cd "$root" && go build -o "$dir/benchgen" ./internal/benchgen)
		benchgen="$dir/benchgen"
	fi
fi
month_sql_before=${BENCH_MONTH_SQL_BEFORE:-}
if [[ -z "$month_sql_before" ]]; then
	month_sql_before="$root/scripts/bench/month-2916390.sql"
	[[ -n "$before_tree" && -f "$before_tree/scripts/bench/month.sql" ]] && month_sql_before="$before_tree/scripts/bench/month.sql"
fi
month_sql_after=${BENCH_MONTH_SQL_AFTER:-$root/scripts/bench/month.sql}

export NO_COLOR=1 TZ=UTC XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data-home"
unset CRIEUR_DB
mkdir -p "$XDG_CONFIG_HOME"

# --- the results ------------------------------------------------------------
rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }
# mean NAME FILE: "12.3 ms ± 0.4 (CPU 10.1 ms)" for hyperfine's command NAME
# in FILE (JSON): wall time, and the user+system time of the process, which
# other work on the machine inflates far less than the wall time.
mean() { jq -r --arg c "$1" '.results[] | select(.command == $c) | "\(.mean * 1000 * 10 | round / 10) ms ± \((.stddev // 0) * 1000 * 10 | round / 10) (CPU \((.user + .system) * 1000 * 10 | round / 10) ms)"' "$2"; }
secs() { jq -r --arg c "$1" '.results[] | select(.command == $c) | .mean' "$2"; }
cpu() { jq -r --arg c "$1" '.results[] | select(.command == $c) | .user + .system' "$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# both A B FILE: "wall 1.23×, CPU 1.10×" for commands A over B
both() { printf 'wall %s×, CPU %s×' "$(ratio "$(secs "$1" "$3")" "$(secs "$2" "$3")")" "$(ratio "$(cpu "$1" "$3")" "$(cpu "$2" "$3")")"; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "<=" ? v <= t : v < t); printf "%s", ok ? "✓" : "✗" }'; }

load_start=$(cut -d' ' -f1 /proc/loadavg)
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "before: $before_bin"
say "after:  $after_bin"

# --- calendars (made once, copied for each binary) --------------------------
cal="$dir/calendar-$posts-20m.db"
future="$dir/future-$posts.db"
make_cal() { # make_cal DB ARGS...
	local db=$1
	shift
	if [[ ! -f "$db" ]]; then
		say "filling $(basename "$db") with $benchgen"
		rm -f "$db.tmp"*
		"$benchgen" -db "$db.tmp" -posts "$posts" -channels 3 "$@"
		sqlite3 "$db.tmp" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
		mv "$db.tmp" "$db"
	fi
}
# copy_for SIDE SRC: SRC copied for one binary, migrated by it outside any timing
copy_for() {
	local side=$1 src=$2 bin dst
	bin=$([[ $side == before ]] && echo "$before_bin" || echo "$after_bin")
	dst="$dir/$side-$(basename "$src")"
	rm -f "$dst" "$dst-wal" "$dst-shm"
	cp "$src" "$dst"
	"$bin" --db "$dst" post list --limit 1 -o json >/dev/null
	echo "$dst"
}
if want month || want cli; then
	# 1,000,000 posts every 20 minutes from 2000: 72 a day, 2,160 in a month.
	make_cal "$cal" -every 20m -from 2000-01-01T00:00:00Z
	cal_before=$(copy_for before "$cal")
	cal_after=$(copy_for after "$cal")
fi

# --- a. start-up -------------------------------------------------------------
if want start; then
	say "start-up: crieur version beside a Go hello-world"
	mkdir -p "$dir/hello"
	printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n' >"$dir/hello/main.go"
	printf 'module hello\n\ngo 1.22\n' >"$dir/hello/go.mod"
	(cd "$dir/hello" && go build -o hello .)
	j="$dir/start.json"
	hyperfine -N --warmup 3 --runs "$runs" --export-json "$j" -n hello -n before -n after \
		"$dir/hello/hello" "$before_bin version" "$after_bin version" >&2
	h=$(secs hello "$j") b=$(secs before "$j") a=$(secs after "$j")
	row '`crieur version`' "$(mean before "$j")" "$(mean after "$j")" "after / before: $(both after before "$j")"
	row "\`crieur version\` / Go hello-world ($(mean hello "$j"))" "$(both before hello "$j")" "$(both after hello "$j")" "≤ 2× $(verdict "$(ratio "$a" "$h")" 2 "<=")"
fi

# --- b. month grid beside the sqlite3 shell ---------------------------------
# check_month SIDE BIN DB SQL: the shell's rows are the deliveries crieur shows
check_month() {
	local side=$1 bin=$2 db=$3 sql=$4
	"$bin" --db "$db" calendar --month 2026-11 -o json | jq -r '.days[].entries[].delivery_id' | sort >"$dir/month-$side-crieur.ids"
	local blackouts
	blackouts=$("$bin" --db "$db" calendar --month 2026-11 -o json | jq '[.days[].blackouts // [] | .[].id] | unique | length')
	sqlite3 "$db" ".read $sql" >"$dir/month-$side-sqlite.out"
	local n lines found
	n=$(wc -l <"$dir/month-$side-crieur.ids")
	lines=$(wc -l <"$dir/month-$side-sqlite.out")
	# every delivery crieur shows is a row of the shell's (its first column),
	# and the shell prints no more than those, the blackouts and a count
	cut -d'|' -f1 "$dir/month-$side-sqlite.out" | sort >"$dir/month-$side-sqlite.ids"
	found=$(comm -12 "$dir/month-$side-crieur.ids" "$dir/month-$side-sqlite.ids" | wc -l)
	if [[ $n == 0 || $found != "$n" || $lines -lt $((n + blackouts)) || $lines -gt $((n + blackouts + 2)) ]]; then
		echo "bench-compare: $sql does not return the rows $side's calendar --month shows ($n deliveries, $blackouts blackouts): fix BENCH_MONTH_SQL_${side^^}" >&2
		exit 1
	fi
}
if want month; then
	say "month grid beside the sqlite3 shell running the same SELECTs"
	check_month before "$before_bin" "$cal_before" "$month_sql_before"
	check_month after "$after_bin" "$cal_after" "$month_sql_after"
	j="$dir/month.json"
	hyperfine -N --warmup 3 --runs "$runs" --export-json "$j" \
		-n before -n sqlite3-before -n after -n sqlite3-after -n before-json -n after-json \
		"$before_bin --db $cal_before calendar --month 2026-11" "sqlite3 $cal_before '.read $month_sql_before'" \
		"$after_bin --db $cal_after calendar --month 2026-11" "sqlite3 $cal_after '.read $month_sql_after'" \
		"$before_bin --db $cal_before calendar --month 2026-11 -o json" "$after_bin --db $cal_after calendar --month 2026-11 -o json" >&2
	b=$(secs before "$j") a=$(secs after "$j") sb=$(secs sqlite3-before "$j") sa=$(secs sqlite3-after "$j")
	row "\`calendar --month 2026-11\`, $posts posts ($(wc -l <"$dir/month-after-crieur.ids") deliveries)" "$(mean before "$j")" "$(mean after "$j")" "after / before: $(both after before "$j")"
	row "\`calendar --month\` / sqlite3 shell, same SELECTs (before $(mean sqlite3-before "$j"), after $(mean sqlite3-after "$j"))" "$(both before sqlite3-before "$j")" "$(both after sqlite3-after "$j")" "≤ 2.5× $(verdict "$(ratio "$a" "$sa")" 2.5 "<=")"
	row '`calendar --month 2026-11 -o json`' "$(mean before-json "$j")" "$(mean after-json "$j")" "after / before: $(both after-json before-json "$j")"
fi

# --- c. the CLI rows of BENCHMARKS.md ---------------------------------------
if want cli; then
	say "lists"
	j="$dir/cli.json"
	hyperfine -N --warmup 3 --runs "$runs" --export-json "$j" \
		-n before-50 -n after-50 -n before-month -n after-month -n before-all -n after-all \
		"$before_bin --db $cal_before post list --limit 50 -o json" "$after_bin --db $cal_after post list --limit 50 -o json" \
		"$before_bin --db $cal_before post list --from 2026-11-01 --to 2026-12-01 -o json" "$after_bin --db $cal_after post list --from 2026-11-01 --to 2026-12-01 -o json" \
		"$before_bin --db $cal_before post list --from 2026-11-01 --to 2026-12-01 --limit 0 -o json" "$after_bin --db $cal_after post list --from 2026-11-01 --to 2026-12-01 --limit 0 -o json" >&2
	for k in 50:'`post list --limit 50 -o json`' month:'`post list --from 2026-11-01 --to 2026-12-01 -o json`' all:'same, `--limit 0` (every post of the month)'; do
		r=$(ratio "$(secs "after-${k%%:*}" "$j")" "$(secs "before-${k%%:*}" "$j")")
		row "${k#*:}" "$(mean "before-${k%%:*}" "$j")" "$(mean "after-${k%%:*}" "$j")" "after / before: $(both "after-${k%%:*}" "before-${k%%:*}" "$j") (≤ 1.10 $(verdict "$r" 1.10 "<="))"
	done
fi

# --- d. import beside the sqlite3 shell writing the same rows ---------------
if want import; then
	say "import of $import_rows posts over 3 channels"
	imp="$dir/import"
	rm -rf "$imp" && mkdir -p "$imp"
	# The campaign of scripts/bench-import.sh: one post every 5 minutes from 2031.
	bash "$root/scripts/bench/campaign-csv.sh" "$import_rows" >"$imp/campaign.csv"
	export BENCH_TOKEN=bench-token BENCH_PASSWORD=bench-password
	cmds=() names=()
	for side in before after; do
		bin=$([[ $side == before ]] && echo "$before_bin" || echo "$after_bin")
		cfg="$imp/config-$side"
		e=(env XDG_CONFIG_HOME="$cfg" "$bin" --db "$imp/$side-empty.db")
		"${e[@]}" init -q >/dev/null
		"${e[@]}" channel add bench-log --network log --set path=/dev/null >/dev/null
		"${e[@]}" channel add bench-mastodon --network mastodon --set instance=https://mastodon.example --secret token=env:BENCH_TOKEN >/dev/null
		"${e[@]}" channel add bench-bsky --network bluesky --set handle=bench.bsky.social --secret app_password=env:BENCH_PASSWORD >/dev/null
		sqlite3 "$imp/$side-empty.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
		# the reference import: rows to compare, hashes for the sqlite3 side, the re-import's start
		cp "$imp/$side-empty.db" "$imp/$side-loaded.db"
		(cd "$imp" && env XDG_CONFIG_HOME="$cfg" "$bin" --db "$imp/$side-loaded.db" import campaign.csv) >"$imp/$side-first.out"
		grep -q "$import_rows created" "$imp/$side-first.out" || { echo "bench-compare: $side's import: $(cat "$imp/$side-first.out")" >&2; exit 1; }
		sqlite3 "$imp/$side-loaded.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
		actor=$(sqlite3 "$imp/$side-loaded.db" "SELECT author FROM posts LIMIT 1")
		bash "$root/scripts/bench-import-sqlite.sh" hashed "$imp/campaign.csv" "$imp/$side-loaded.db" >"$imp/$side-hashed.csv"
		bash "$root/scripts/bench-import-sqlite.sh" sql "$imp/$side-hashed.csv" campaign.csv "$actor" >"$imp/$side-sqlite.sql"
		cp "$imp/$side-empty.db" "$imp/$side-sqlite.db"
		sqlite3 "$imp/$side-sqlite.db" ".read $imp/$side-sqlite.sql" >/dev/null
		if ! bash "$root/scripts/bench-import-sqlite.sh" check "$imp/$side-sqlite.db" "$imp/$side-loaded.db"; then
			echo "bench-compare: the sqlite3 side does not write the rows $side's crieur writes (above): its ratio is not a like-for-like one" >&2
			sqlite_note="(rows differ: see the log)"
		fi
		cp "$imp/$side-empty.db" "$imp/$side-run.db"
		# peak memory, one run each (GNU time)
		(cd "$imp" && /usr/bin/time -v env XDG_CONFIG_HOME="$cfg" "$bin" --db "$imp/$side-run.db" import campaign.csv -q) 2>"$imp/$side-first.time" >/dev/null
		(cd "$imp" && /usr/bin/time -v env XDG_CONFIG_HOME="$cfg" "$bin" --db "$imp/$side-run.db" import campaign.csv) 2>"$imp/$side-again.time" >"$imp/$side-again.out"
		grep -q "0 created, 0 updated, $import_rows unchanged" "$imp/$side-again.out" || { echo "bench-compare: $side's re-import was not all unchanged: $(cat "$imp/$side-again.out")" >&2; exit 1; }
		names+=(-n "$side-first" -n "$side-again" -n "$side-sqlite3")
		# (hyperfine -N runs --prepare without a shell too)
		cmds+=(--prepare "sh -c 'rm -f $imp/$side-run.db-wal $imp/$side-run.db-shm && cp $imp/$side-empty.db $imp/$side-run.db'" "env XDG_CONFIG_HOME=$cfg $bin --db $imp/$side-run.db import campaign.csv -q")
		cmds+=(--prepare "sh -c 'rm -f $imp/$side-run.db-wal $imp/$side-run.db-shm && cp $imp/$side-loaded.db $imp/$side-run.db'" "env XDG_CONFIG_HOME=$cfg $bin --db $imp/$side-run.db import campaign.csv -q")
		cmds+=(--prepare "sh -c 'rm -f $imp/$side-sq.db-wal $imp/$side-sq.db-shm && cp $imp/$side-empty.db $imp/$side-sq.db'" "sqlite3 $imp/$side-sq.db '.read $imp/$side-sqlite.sql'")
	done
	j="$dir/import.json"
	(cd "$imp" && hyperfine -N --warmup 1 --runs "$import_runs" --export-json "$j" "${names[@]}" "${cmds[@]}" >&2)
	peak() { awk -F': ' '/Maximum resident set size/ { printf "%.0f MB", $2 / 1024 }' "$1"; }
	peak_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$1"; }
	bf=$(secs before-first "$j") af=$(secs after-first "$j")
	bs=$(secs before-sqlite3 "$j") as=$(secs after-sqlite3 "$j")
	ba=$(secs before-again "$j") aa=$(secs after-again "$j")
	row "first import, $import_rows posts × 3 channels" "$(mean before-first "$j"), $(peak "$imp/before-first.time")" "$(mean after-first "$j"), $(peak "$imp/after-first.time")" "after / before: $(both after-first before-first "$j")"
	row "first import / sqlite3 shell writing the same rows ${sqlite_note:-} (before $(mean before-sqlite3 "$j"), after $(mean after-sqlite3 "$j"))" "$(both before-first before-sqlite3 "$j")" "$(both after-first after-sqlite3 "$j")" "≤ 1.7× $(verdict "$(ratio "$af" "$as")" 1.7 "<=")"
	row "re-import, all unchanged" "$(mean before-again "$j"), $(peak "$imp/before-again.time")" "$(mean after-again "$j"), $(peak "$imp/after-again.time")" "after / before: $(both after-again before-again "$j")"
	row "re-import / first import" "$(both before-again before-first "$j")" "$(both after-again after-first "$j")" "≤ 0.3× $(verdict "$(ratio "$aa" "$af")" 0.3 "<=")"
	pb=$(( $(peak_mb "$imp/before-first.time") > $(peak_mb "$imp/before-again.time") ? $(peak_mb "$imp/before-first.time") : $(peak_mb "$imp/before-again.time") ))
	pa=$(( $(peak_mb "$imp/after-first.time") > $(peak_mb "$imp/after-again.time") ? $(peak_mb "$imp/after-first.time") : $(peak_mb "$imp/after-again.time") ))
	row "import peak memory (GNU time, max RSS)" "$pb MB" "$pa MB" "≤ 200 MB $(verdict "$pa" 200 "<=")"
fi

# --- e. an idle daemon ---------------------------------------------------------
if want idle; then
	# all deliveries in the future: one post a minute from 2030
	make_cal "$future" -every 1m -from 2030-01-01T00:00:00Z
	tck=$(getconf CLK_TCK)
	cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
	now_ns() { date +%s%N; }
	for side in before after; do
		bin=$([[ $side == before ]] && echo "$before_bin" || echo "$after_bin")
		db=$(copy_for "$side" "$future")
		say "idle daemon ($side): ${idle_secs} s at rest after a 10 s settle, then $term_samples SIGTERMs"
		lat=()
		for s in $(seq 1 "$term_samples"); do
			"$bin" --db "$db" daemon --log-format json >>"$dir/daemon-$side.log" 2>&1 &
			pid=$!
			if [[ $s == 1 ]]; then
				sleep 10
				t0=$(cpu_ticks "$pid")
				sleep "$idle_secs"
				t1=$(cpu_ticks "$pid")
				cpu=$(awk -v d=$((t1 - t0)) -v t="$tck" -v s="$idle_secs" 'BEGIN { printf "%.2f", 100 * d / t / s }')
				printf -v "cpu_$side" '%s' "$cpu"
			else
				# at rest (the same 10 s settle), at a moment of no relation to the heartbeat
				sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.1f", 10 + r % 150 / 10 }')"
			fi
			kill -0 "$pid" 2>/dev/null || { echo "bench-compare: $side's daemon exited by itself (see $dir/daemon-$side.log)" >&2; exit 1; }
			a=$(now_ns)
			kill -TERM "$pid"
			wait "$pid" || true
			b=$(now_ns)
			lat+=($(((b - a) / 1000000)))
		done
		sorted=$(printf '%s\n' "${lat[@]}" | sort -n)
		printf -v "term_$side" '%s ms median (max %s ms; %s)' "$(sed -n "$(((${#lat[@]} + 1) / 2))p" <<<"$sorted")" "$(tail -1 <<<"$sorted")" "$(IFS=,; echo "${lat[*]}")"
		printf -v "termmax_$side" '%s' "$(tail -1 <<<"$sorted")"
		rm -f "$db" "$db-wal" "$db-shm"
	done
	row "idle daemon, $posts future posts: CPU at rest over ${idle_secs} s (% of one core)" "$cpu_before %" "$cpu_after %" "< 0.5 % $(verdict "$cpu_after" 0.5 "<")"
	row "SIGTERM at rest → exit ($term_samples samples)" "$term_before" "$term_after" "< 100 ms $(verdict "$termmax_after" 100 "<")"
fi

{
	echo "Before: \`$before_bin\`; after: \`$after_bin\`. $(date -u +%Y-%m-%d), $(nproc) cores, one run (hyperfine -N, $runs runs; imports $import_runs runs). Verdicts (✓/✗) judge the wall-time ratio."
	if awk -v l="$load_start" -v n="$(nproc)" 'BEGIN { exit !(l > n) }' || awk -v n="$(nproc)" '{ exit !($1 > n) }' /proc/loadavg; then
		echo
		echo "Load average $load_start at the start, $(cut -d' ' -f1 /proc/loadavg) at the end, on $(nproc) cores: other work inflated the wall times; the CPU ratios (user+system) are the steadier reading, except for the import, which uses both cores."
	fi
	echo
	echo "| figure | before | after | ratio / target |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
} | tee "$out"
echo "(written to $out)" >&2
