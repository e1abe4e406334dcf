#!/bin/sh
# Times `crieur calendar --month` as a whole process on a calendar of
# 1,000,000 posts (about 2,200 a month, 2000-2038, one delivery each).
# Target: under 50 ms. Uses hyperfine when present, else a timed loop.
#   scripts/calendar-bench.sh            # build, generate (once), time
#   CRIEUR_BIN=/path/crieur scripts/calendar-bench.sh
#   BENCH_DIR=/tmp/crieur-bench keeps the generated database between runs.
set -eu
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/crieur-bench}
mkdir -p "$dir"
bin=${CRIEUR_BIN:-$dir/crieur}
if [ -z "${CRIEUR_BIN:-}" ]; then
	go build -o "$bin" ./cmd/crieur
fi
command -v sqlite3 >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
export CRIEUR_DB="$dir/bench.db" XDG_CONFIG_HOME="$dir/config" NO_COLOR=1 COLUMNS=120 TZ=UTC
if [ ! -f "$CRIEUR_DB" ]; then
	"$bin" init >/dev/null
	for ch in acme-mastodon acme-bsky acme-news; do "$bin" channel add "$ch" --network log >/dev/null; done
	"$bin" campaign add winter-sale --color '#e4572e' >/dev/null
	"$bin" campaign add launch >/dev/null
	"$bin" campaign add evergreen >/dev/null
	echo "generating 1,000,000 posts in $CRIEUR_DB ..."
	sqlite3 "$CRIEUR_DB" <<'SQL'
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
-- One post every 20 minutes from 2000-01-01 (946684800000 ms).
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)
INSERT INTO posts (id, slug, title, body, campaign_id, status, publish_at, created_at, updated_at)
SELECT i, 'post-' || i,
       CASE WHEN i % 3 = 0 THEN 'Title of post ' || i ELSE '' END,
       'Body of post number ' || i || ', with a little text to carry.',
       CASE WHEN i % 5 = 0 THEN 1 + i % 3 END,
       'scheduled', 946684800000 + i * 1200000, 946684800000, 946684800000
FROM n;
INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
SELECT id, 1 + id % 3, 'pending', publish_at, publish_at, 'key-' || id, created_at FROM posts;
COMMIT;
ANALYZE;
SQL
fi
echo "posts: $(sqlite3 "$CRIEUR_DB" 'SELECT count(*) FROM posts'), deliveries: $(sqlite3 "$CRIEUR_DB" 'SELECT count(*) FROM deliveries')"
"$bin" calendar --month 2020-06 | tail -4
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 5 --runs 50 "$bin calendar --month 2020-06" "$bin calendar --month 2020-06 -o json"
else
	start=$(date +%s%N)
	i=0
	while [ $i -lt 50 ]; do "$bin" calendar --month 2020-06 >/dev/null; i=$((i + 1)); done
	end=$(date +%s%N)
	echo "mean: $(((end - start) / 50 / 1000000)) ms per run (50 runs)"
fi
