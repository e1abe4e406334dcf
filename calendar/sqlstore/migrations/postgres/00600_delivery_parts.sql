-- +goose Up
-- The parts of a thread that the network confirmed, recorded the moment each
-- went live: a thread cut short resumes after them, and never posts them again.
CREATE TABLE delivery_parts (
    delivery_id  BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    idx          BIGINT NOT NULL, -- 0 is the first part
    remote_id    TEXT NOT NULL,
    remote_url   TEXT NOT NULL DEFAULT '',
    ref          TEXT NOT NULL DEFAULT '', -- what the adapter needs to reply to it (Bluesky: the CID)
    published_at BIGINT,
    PRIMARY KEY (delivery_id, idx)
);

-- +goose Down
DROP TABLE delivery_parts;
