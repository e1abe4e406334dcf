-- +goose Up
-- When a delivery was last claimed: per-channel rate limits count claims in a
-- sliding window, so a catch-up after a stop never bursts.
ALTER TABLE deliveries ADD COLUMN claimed_at INTEGER;
CREATE INDEX deliveries_claimed ON deliveries(channel_id, claimed_at) WHERE claimed_at IS NOT NULL;

-- +goose Down
DROP INDEX deliveries_claimed;
ALTER TABLE deliveries DROP COLUMN claimed_at;
