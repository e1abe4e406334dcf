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
db="$dir/calendar-$posts.db"
if [[ ! -f "$db" ]]; then
	go run ./internal/benchgen -db "$db" -posts "$posts" -channels 3 -every 1m -from 2025-12-13T00:00:00Z
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

echo "== Go benchmarks"
go test -run '^$' -bench . -benchtime 3x ./calendar/... ./scheduler/... 2>/dev/null | grep -E '^(Benchmark|ok|PASS)|/op' || true

if [[ -x scripts/bench-import.sh ]]; then
	echo "== import of 100,000 posts"
	bash scripts/bench-import.sh
fi
