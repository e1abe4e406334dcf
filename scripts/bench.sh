#!/usr/bin/env bash
# make bench: the figures BENCHMARKS.md records, measured in one run on this
# machine (compare ratios within a run: these machines are small and noisy).
#   BENCH_POSTS=1000000 (default)  size of the synthetic calendar
set -euo pipefail
cd "$(dirname "$0")/.."
posts="${BENCH_POSTS:-1000000}"
dir="${BENCH_DIR:-.tmp/bench}"
mkdir -p "$dir"
for tool in hyperfine sqlite3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "installing $tool"; apt-get install -y hyperfine sqlite3 time >/dev/null; break; }
done
go build -o "$dir/crieur" ./cmd/crieur
db="$dir/calendar-$posts-20m.db"
if [[ ! -f "$db" ]]; then
	# 1M posts every 20 minutes from 2000: 72 a day, ~2,160 in a month: a very busy calendar.
	go run ./internal/benchgen -db "$db" -posts "$posts" -channels 3 -every 20m -from 2000-01-01T00:00:00Z
fi
crieur="$dir/crieur"
export CRIEUR_DB="$db" NO_COLOR=1 TZ=UTC

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== start-up and lists on $posts posts (whole process)"
hyperfine -N --warmup 3 --runs 30 --export-markdown "$dir/cli.md" \
	"$crieur version" \
	"$crieur post list --limit 50 -o json" \
	"$crieur post list --from 2026-11-01 --to 2026-12-01 -o json" \
	"$crieur post list --from 2026-11-01 --to 2026-12-01 --limit 0 -o json"
if "$crieur" calendar --help >/dev/null 2>&1; then
	hyperfine -N --warmup 3 --runs 30 --export-markdown "$dir/calendar.md" \
		"$crieur calendar --month 2026-11" "$crieur calendar --month 2026-11 -o json"
fi

echo "== daemon resident memory with $posts posts in the calendar (all in the future)"
future="$dir/future-$posts.db"
if [[ ! -f "$future" ]]; then
	go run ./internal/benchgen -db "$future" -posts "$posts" -channels 3 -every 1m -from 2030-01-01T00:00:00Z
fi
CRIEUR_DB="$future" "$crieur" daemon --log-format json 2>"$dir/daemon.log" &
pid=$!
sleep 8
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"; wait "$pid" || true
echo "daemon: VmRSS $((rss_kb / 1024)) MB, peak (VmHWM) $((hwm_kb / 1024)) MB"

echo "== Go benchmarks"
CRIEUR_BENCH_FULL=1 go test -run '^$' -bench . -benchtime 1x ./scheduler/ 2>/dev/null | grep -vE '^(goos|goarch|pkg|cpu):' || true
go test -run '^$' -bench . -benchtime 3x ./calendar/... 2>/dev/null | grep -E '^Benchmark' || true

if [[ -x scripts/bench-import.sh ]]; then
	echo "== import of 100,000 posts"
	bash scripts/bench-import.sh
fi
