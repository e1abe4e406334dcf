-- +goose Up
-- Evergreen libraries: a category's posts are copied into its slots ahead of
-- time by the fill (calendar/evergreen.go). order: fifo (least recently
-- used first), lifo (least used, newest first), shuffle (seeded per slot).
-- 0 / NULL limits mean none; a post's own limit overrides its category's.
CREATE TABLE categories (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    ord         TEXT NOT NULL DEFAULT 'fifo',
    max_repeats INTEGER NOT NULL DEFAULT 0,
    min_gap_ms  INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- A post of the library (category_id), and a copy the fill made of one
-- (recycled_from: the original, kept when the original goes).
ALTER TABLE posts ADD COLUMN category_id INTEGER REFERENCES categories(id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN recycled_from INTEGER REFERENCES posts(id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN max_repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN min_gap_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN expires_at INTEGER;
CREATE INDEX posts_category ON posts(category_id) WHERE category_id IS NOT NULL;
CREATE INDEX posts_recycled_from ON posts(recycled_from) WHERE recycled_from IS NOT NULL;

-- A slot a category fills (NULL: a plain slot, which the queue fills).
ALTER TABLE slots ADD COLUMN category_id INTEGER REFERENCES categories(id);

-- Each slot instant the fill has handled, once: a rerun, a second daemon or
-- a person's change to the copy (moved, canceled, deleted) never makes the
-- fill put another post there.
CREATE TABLE category_fills (
    slot_id   INTEGER NOT NULL REFERENCES slots(id) ON DELETE CASCADE,
    at        INTEGER NOT NULL,
    post_id   INTEGER REFERENCES posts(id) ON DELETE SET NULL,
    filled_at INTEGER NOT NULL,
    PRIMARY KEY (slot_id, at)
);

-- +goose Down
DROP TABLE category_fills;
ALTER TABLE slots DROP COLUMN category_id;
DROP INDEX posts_recycled_from;
DROP INDEX posts_category;
ALTER TABLE posts DROP COLUMN expires_at;
ALTER TABLE posts DROP COLUMN min_gap_ms;
ALTER TABLE posts DROP COLUMN max_repeats;
ALTER TABLE posts DROP COLUMN recycled_from;
ALTER TABLE posts DROP COLUMN category_id;
DROP TABLE categories;
