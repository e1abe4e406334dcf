-- +goose Up
-- Whether the author allows a text over a network's limit to be cut into a
-- thread (`post new --thread`, `thread: true`). Posts written before keep
-- 0: their previews and loads now say when a text is too long.
ALTER TABLE posts ADD COLUMN auto_thread INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE posts DROP COLUMN auto_thread;
