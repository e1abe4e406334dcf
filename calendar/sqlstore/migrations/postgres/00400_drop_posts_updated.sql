-- +goose Up
-- No query filters or sorts posts by updated_at (it is only read as a value),
-- so this index was pure cost on every post written: a big load's posts each
-- paid one more b-tree insert for it.
DROP INDEX posts_updated;

-- +goose Down
CREATE INDEX posts_updated ON posts(updated_at);
