-- +goose Up
-- The runnable index in the claim's order (run_at, then id): a claim of a
-- few among thousands due at the same instant reads those few in order,
-- instead of reading and sorting all of them (PostgreSQL: 58 ms → 1.6 ms
-- for 80 of 2,000 due at once).
DROP INDEX deliveries_runnable;
CREATE INDEX deliveries_runnable ON deliveries(run_at, id) WHERE status = 'pending' AND run_at IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_runnable;
CREATE INDEX deliveries_runnable ON deliveries(run_at) WHERE status = 'pending' AND run_at IS NOT NULL;
