-- +goose Up
-- Secrets given as values live here, sealed (XChaCha20-Poly1305) under a key
-- that never enters the database; key_id is that key's fingerprint, so a
-- wrong key is told apart from a damaged row. A row is (channel, name), as in
-- a channel's reference stored:CHANNEL/NAME; the ciphertext is bound to both.
-- env: and file: references are never stored.
CREATE TABLE secrets (
    channel    TEXT NOT NULL,
    name       TEXT NOT NULL,
    ciphertext BLOB NOT NULL,
    nonce      BLOB NOT NULL,
    key_id     TEXT NOT NULL,
    version    INTEGER NOT NULL DEFAULT 1,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (channel, name)
) WITHOUT ROWID;

-- The per-channel lock an adapter takes to refresh a token: a lease, so a
-- holder that dies frees it when it expires.
CREATE TABLE secret_locks (
    channel    TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE secret_locks;
DROP TABLE secrets;
