-- The SELECTs `crieur calendar --month 2026-11` runs (TZ=UTC, no filter),
-- with their parameters written in: calendar.Store.Entries (WithBody false)
-- (the room to reserve, entriesHint, then the entries themselves) then
-- calendar.Store.Blackouts over the month. The connection settings are
-- the ones crieur's DSN sets; PRAGMA user_version is its schema check.
.bail on
.output /dev/null
PRAGMA busy_timeout = 15000;
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = 1;
PRAGMA synchronous = NORMAL;
PRAGMA user_version;
.output
SELECT (SELECT count(*) FROM posts INDEXED BY posts_publish_at WHERE publish_at >= 1793491200000 AND publish_at < 1796083200000) * (SELECT count(*) FROM channels);
SELECT d.id, p.id, p.slug, p.title, CASE WHEN p.title <> '' THEN '' ELSE substr(p.body, 1, 160) END, '', COALESCE(d.due_at, p.publish_at), ch.name, ch.network, d.status, p.status,
		COALESCE(c.name, ''), COALESCE(c.color, ''), p.tags, d.remote_url, d.published_at, d.idempotency_key, p.version, max(p.updated_at, d.updated_at)
		FROM posts p INDEXED BY posts_publish_at
		JOIN deliveries d ON d.post_id = p.id
		JOIN channels ch ON ch.id = d.channel_id
		LEFT JOIN campaigns c ON c.id = p.campaign_id
		WHERE p.publish_at IS NOT NULL AND p.publish_at >= 1793491200000 AND p.publish_at < 1796083200000 ORDER BY p.publish_at, p.id, ch.name;
SELECT b.id, COALESCE(b.channel_id, 0), COALESCE(c.name, ''), b.starts_at, b.ends_at, b.reason, b.drop_posts, b.created_at FROM blackouts b LEFT JOIN channels c ON c.id = b.channel_id WHERE 1=1 AND b.ends_at > 1793491200000 AND b.starts_at < 1796083200000 ORDER BY b.starts_at, b.id;
