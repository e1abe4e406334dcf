#!/usr/bin/env bash
# bench-import-sqlite.sh — the sqlite3 side of the import figure: Debian's
# sqlite3 shell writing exactly the rows `crieur import CSV` writes into an
# empty calendar (the campaign, each post, its deliveries, the history
# events), in one transaction: `.import` of the CSV into a temporary table,
# then INSERT … SELECT. It is the floor "the same rows, the same schema, the
# same indexes, in C" that crieur's first import is compared with.
#
#   bench-import-sqlite.sh sql CSV SOURCE ACTOR >load.sql
#       print the load (then time `sqlite3 COPY-OF-EMPTY.db ".read load.sql"`)
#   bench-import-sqlite.sh hashed CSV CRIEUR_DB >hashed.csv
#       CSV with each post's content hash appended, read from a calendar
#       crieur imported CSV into (a hash crieur computes is not SQL)
#   bench-import-sqlite.sh check SQLITE_DB CRIEUR_DB
#       compare the two calendars, table by table, every column but the
#       times of the load and the random idempotency keys; exit 1 if any
#       row differs
#
# CSV is the campaign scripts/bench-import.sh writes (slug, at, channels,
# campaign, tags, title, body, link); the sql mode reads its hashed form.
# SOURCE is the file name crieur was given (posts.source is SOURCE:LINE),
# ACTOR the author crieur records (posts.author, events.actor).
#
# What a load writes was read from a calendar after `crieur import` (main at
# 2916390): one campaigns row and its campaign.added event; posts with ids
# max(id)+1… in file order, status scheduled (no channel needs approval),
# content_hash HASH@1; deliveries channel by channel (by name), then post by
# post, pending and runnable at the post's time; one post.created event per
# post. If crieur's rows change, change this file: `check` says where.
set -euo pipefail

sq() { printf "'%s'" "${1//\'/\'\'}"; }

case "${1:-}" in
sql)
	csv=$2 source=$3 actor=$4
	cat <<EOF
.bail on
PRAGMA busy_timeout = 15000;
PRAGMA foreign_keys = 1;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -8192;
CREATE TEMP TABLE src (slug TEXT, at TEXT, channels TEXT, campaign TEXT, tags TEXT, title TEXT, body TEXT, link TEXT, content_hash TEXT);
.import --csv --skip 1 --schema temp $(sq "$csv") src
BEGIN IMMEDIATE;
CREATE TEMP TABLE k AS SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) AS now, $(sq "$actor") AS actor,
	(SELECT COALESCE(max(id), 0) FROM posts) AS base;
-- a post's channels as crieur's post.created event names them: sorted
CREATE TEMP TABLE chj AS SELECT x.channels AS channels,
	(SELECT json_group_array(name) FROM (SELECT ch.name FROM channels ch WHERE instr(',' || x.channels || ',', ',' || ch.name || ',') > 0 ORDER BY ch.name)) AS names
	FROM (SELECT DISTINCT channels FROM src) x;
INSERT INTO campaigns (name, starts_on, ends_on, utm, color, created_at, updated_at)
	SELECT s.campaign, '', '', '{}', '', k.now, k.now FROM src s, k
	WHERE s.campaign <> '' AND s.campaign NOT IN (SELECT name FROM campaigns)
	GROUP BY s.campaign ORDER BY min(s.rowid);
INSERT INTO events (at, actor, kind, detail)
	SELECT k.now, k.actor, 'campaign.added', json_object('name', c.name) FROM campaigns c, k WHERE c.created_at = k.now ORDER BY c.id;
INSERT INTO posts (id, slug, title, body, link, excerpt, campaign_id, author, tags, thread,
		status, publish_at, source, content_hash, auto_thread, queued, approved_by, version, created_at, updated_at)
	SELECT k.base + s.rowid, s.slug, s.title, s.body, s.link, '', c.id, k.actor,
		CASE WHEN s.tags = '' THEN '[]' ELSE '["' || replace(s.tags, ',', '","') || '"]' END, '[]',
		'scheduled', unixepoch(s.at) * 1000, $(sq "$source:") || (s.rowid + 1), s.content_hash || '@1', 0, 0, '', 1, k.now, k.now
	FROM src s JOIN k LEFT JOIN campaigns c ON c.name = s.campaign
	ORDER BY s.rowid;
INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
	SELECT p.id, ch.id, 'pending', p.publish_at, CASE WHEN ch.require_approval = 0 THEN p.publish_at END, lower(hex(randomblob(16))), k.now
	FROM k JOIN channels ch JOIN src s ON instr(',' || s.channels || ',', ',' || ch.name || ',') > 0
	JOIN posts p ON p.id = k.base + s.rowid
	ORDER BY ch.name, p.id;
INSERT INTO events (at, actor, kind, post_id, detail)
	SELECT k.now, k.actor, 'post.created', p.id, json_object('channels', json(chj.names), 'slug', p.slug, 'status', p.status)
	FROM k JOIN src s JOIN chj ON chj.channels = s.channels JOIN posts p ON p.id = k.base + s.rowid
	ORDER BY p.id;
COMMIT;
EOF
	;;
hashed)
	csv=$2 db=$3
	awk -F'|' 'NR == FNR { h[$1] = $2; next }
		FNR == 1 { print $0 ",content_hash"; next }
		{ slug = substr($0, 1, index($0, ",") - 1); if (!(slug in h)) { print "no hash for " slug > "/dev/stderr"; exit 1 }; print $0 "," h[slug] }' \
		<(sqlite3 "$db" "SELECT slug, substr(content_hash, 1, instr(content_hash, '@') - 1) FROM posts") "$csv"
	;;
check)
	mine=$2 theirs=$3
	bad=0
	for t in $(sqlite3 "$theirs" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
		cols=$(sqlite3 "$theirs" "SELECT name FROM pragma_table_info('$t') WHERE name NOT IN ('created_at', 'updated_at', 'at', 'idempotency_key')" | sed 's/.*/"&"/' | paste -sd,)
		# shellcheck disable=SC2016
		diff=$(sqlite3 "$mine" "ATTACH $(sq "$theirs") AS c;
			SELECT (SELECT count(*) FROM main.\"$t\"), (SELECT count(*) FROM c.\"$t\"),
				(SELECT count(*) FROM (SELECT $cols FROM main.\"$t\" EXCEPT SELECT $cols FROM c.\"$t\")),
				(SELECT count(*) FROM (SELECT $cols FROM c.\"$t\" EXCEPT SELECT $cols FROM main.\"$t\"));" 2>&1) || diff="error: $diff"
		IFS='|' read -r n1 n2 only1 only2 <<<"$diff"
		if [[ "$n1" != "$n2" || "$only1" != 0 || "$only2" != 0 ]]; then
			echo "bench-import-sqlite: table $t differs: sqlite3 side $n1 rows, crieur $n2; rows only on the sqlite3 side: $only1, only in crieur's: $only2" >&2
			bad=1
		fi
		# the idempotency keys: as many, all distinct, 32 hex digits, on both sides
		if [[ "$t" == deliveries ]]; then
			k=$(sqlite3 "$mine" "SELECT count(DISTINCT idempotency_key) = count(*) AND min(length(idempotency_key)) = 32 AND max(length(idempotency_key)) = 32 FROM deliveries")
			[[ "$k" == 1 ]] || { echo "bench-import-sqlite: idempotency keys are not 32 distinct hex digits each" >&2; bad=1; }
		fi
	done
	exit "$bad"
	;;
*)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
