#!/usr/bin/env bash
# bench-import.sh — how fast `crieur import` loads a big CSV campaign, as a
# whole process, beside Debian's sqlite3 shell importing the same CSV into a
# plain table (the floor for "parse a CSV and write it to SQLite").
#
#   scripts/bench-import.sh [ROWS]        # default 100000
#
# Prints wall time and peak RSS of: sqlite3 .import, the first crieur import
# into an empty calendar (3 channels: log, mastodon, bluesky), and the same
# import again (every post unchanged); then the ratios BENCHMARKS.md records.
# Needs sqlite3 and GNU time (apt-get install -y sqlite3 time).
set -euo pipefail

rows=${1:-100000}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in sqlite3 /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-import: $tool is missing (apt-get install -y sqlite3 time)" >&2; exit 1; }
done

echo "building crieur…" >&2
(cd "$root" && go build -o "$work/crieur" ./cmd/crieur)

# A deterministic campaign: one post every 5 minutes from 2031-01-01, on
# three channels, French text with accents and an emoji, a link, tags.
csv="$work/campaign.csv"
bash "$(dirname "${BASH_SOURCE[0]}")/bench/campaign-csv.sh" "$rows" >"$csv"
echo "$rows rows, $(du -h "$csv" | cut -f1) of CSV" >&2

export CRIEUR_DB="$work/crieur.db" XDG_CONFIG_HOME="$work/config" TZ=UTC
"$work/crieur" init -q >/dev/null
# env: secrets must be set when a channel is added; the import never uses them.
export BENCH_TOKEN=bench-token BENCH_PASSWORD=bench-password
"$work/crieur" channel add bench-log --network log --set path=/dev/null >/dev/null
"$work/crieur" channel add bench-mastodon --network mastodon --set instance=https://mastodon.example --secret token=env:BENCH_TOKEN >/dev/null
"$work/crieur" channel add bench-bsky --network bluesky --set handle=bench.bsky.social --secret app_password=env:BENCH_PASSWORD >/dev/null
sync

# measure VAR NAME CMD...: wall seconds (kept in VAR) and peak RSS of one whole process.
measure() {
	local var=$1 name=$2
	shift 2
	/usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	read -r secs kb <"$work/time"
	printf '%-28s %8.2f s  %7.1f MB peak RSS\n' "$name" "$secs" "$(echo "$kb / 1024" | bc -l)"
	printf -v "$var" '%s' "$secs"
}

measure sqlite_s "sqlite3 .import" sqlite3 "$work/plain.db" ".import --csv $csv posts"
measure first_s "crieur import (first)" "$work/crieur" import "$csv" -q
measure again_s "crieur import (unchanged)" "$work/crieur" import "$csv"
grep -q "0 created, 0 updated, $rows unchanged" "$work/out" || { echo "re-import was not all unchanged: $(cat "$work/out")" >&2; exit 1; }

echo
printf 'first import / sqlite3 .import: %.2fx (target <= 3x)\n' "$(echo "$first_s / $sqlite_s" | bc -l)"
printf 're-import / first import:       %.2fx (target < 2x)\n' "$(echo "$again_s / $first_s" | bc -l)"
