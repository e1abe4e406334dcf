-- +goose Up
-- The engagement a network reported for a published delivery, read at
-- points after it went live (+1h, +24h, +7d, +30d by default: offset_ms
-- names the point). Every read is kept: the curve, not only the last number.
-- state is ok, deleted (the network says the post is gone) or revoked (it
-- refuses crieur the post); counts is JSON {"likes": 3, …} holding only
-- what the network gave (a metric absent is unknown, not 0).
CREATE TABLE stat_snapshots (
    delivery_id INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    offset_ms   INTEGER NOT NULL,
    taken_at    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    counts      TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (delivery_id, offset_ms)
);
-- The collector looks for published deliveries by the time they went live.
CREATE INDEX deliveries_published ON deliveries(published_at) WHERE status = 'published';

-- +goose Down
DROP INDEX deliveries_published;
DROP TABLE stat_snapshots;
