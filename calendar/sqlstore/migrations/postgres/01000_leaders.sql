-- +goose Up
-- One lease row per group of daemons' jobs (today: "maintenance"): the
-- daemon named in holder runs them until expires_at (ms), renewing it; a
-- daemon that dies stops renewing and another takes the row over once it
-- expires. Taken and renewed by one INSERT … ON CONFLICT DO UPDATE … WHERE.
CREATE TABLE leaders (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE leaders;
