-- +goose Up
-- One heartbeat row per daemon (keyed by its lease owner, host:pid:random),
-- so several daemons on one calendar are each visible in `crieur status`.
-- report is the daemon's last report as JSON (concurrency, counts, jobs).
CREATE TABLE daemons (
    owner      TEXT PRIMARY KEY,
    host       TEXT NOT NULL,
    pid        BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    beat_at    BIGINT NOT NULL,
    stopped_at BIGINT,
    jobs       TEXT NOT NULL DEFAULT '[]',
    report     TEXT NOT NULL DEFAULT '{}'
);
-- The one heartbeat all daemons shared is replaced by the rows above.
DELETE FROM state WHERE key = 'daemon.heartbeat';

-- +goose Down
DROP TABLE daemons;
