-- +goose Up
-- The engagement a network reported for a published delivery, read at
-- points after it went live (+1h, +24h, +7d, +30d by default: offset_ms
-- names the point). Every read is kept: the curve, not only the last number.
-- state is ok, deleted (the network says the post is gone) or revoked (it
-- refuses crieur the post); counts is JSON {"likes": 3, …} holding only
-- what the network gave (a metric absent is unknown, not 0).
CREATE TABLE stat_snapshots (
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    offset_ms   BIGINT NOT NULL,
    taken_at    BIGINT NOT NULL,
    state       TEXT NOT NULL,
    counts      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (delivery_id, offset_ms)
);
-- Each delivery's latest reading, and its latest ok one (a post deleted
-- since keeps its last numbers): what a report's table reads, one row per
-- delivery instead of the whole curve. RecordSnapshot keeps it.
CREATE TABLE stat_latest (
    delivery_id  BIGINT PRIMARY KEY REFERENCES deliveries(id) ON DELETE CASCADE,
    offset_ms    BIGINT NOT NULL,
    taken_at     BIGINT NOT NULL,
    state        TEXT NOT NULL,
    ok_offset_ms BIGINT,  -- NULL: no ok reading
    ok_taken_at  BIGINT,
    ok_counts    TEXT
);
-- The collector looks for published deliveries by the time they went live.
CREATE INDEX deliveries_published ON deliveries(published_at) WHERE status = 'published';

-- +goose Down
DROP INDEX deliveries_published;
DROP TABLE stat_latest;
DROP TABLE stat_snapshots;
