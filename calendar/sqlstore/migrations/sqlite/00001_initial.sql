-- +goose Up
-- Instants are INTEGER milliseconds since the Unix epoch, UTC.
-- Maps and lists are JSON text.

CREATE TABLE channels (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    network          TEXT NOT NULL,
    settings         TEXT NOT NULL DEFAULT '{}',  -- {"instance": "https://…"}
    secrets          TEXT NOT NULL DEFAULT '{}',  -- {"token": "env:VAR" | "file:PATH" | "stored:KEY"}
    tz               TEXT NOT NULL DEFAULT '',    -- IANA zone; '' = the calendar's
    paused           INTEGER NOT NULL DEFAULT 0,
    pause_reason     TEXT NOT NULL DEFAULT '',
    require_approval INTEGER NOT NULL DEFAULT 0,
    max_lateness_ms  INTEGER NOT NULL DEFAULT 3600000,
    rate_per_minute  INTEGER NOT NULL DEFAULT 0,  -- 0 = no limit of ours
    rate_per_day     INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

CREATE TABLE slots (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    spec       TEXT NOT NULL,   -- as the user wrote it
    cron       TEXT NOT NULL,   -- the 5-field cron spec it means
    created_at INTEGER NOT NULL,
    UNIQUE (channel_id, cron)
);

CREATE TABLE campaigns (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    starts_on  TEXT NOT NULL DEFAULT '',  -- YYYY-MM-DD
    ends_on    TEXT NOT NULL DEFAULT '',
    utm        TEXT NOT NULL DEFAULT '{}', -- {"utm_campaign": …, "utm_medium": …}
    color      TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    link         TEXT NOT NULL DEFAULT '',
    excerpt      TEXT NOT NULL DEFAULT '',
    campaign_id  INTEGER REFERENCES campaigns(id) ON DELETE SET NULL,
    author       TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '[]',
    thread       TEXT NOT NULL DEFAULT '[]',  -- explicit thread parts after the body
    status       TEXT NOT NULL DEFAULT 'draft',
    publish_at   INTEGER,                     -- NULL while a draft or queued without a slot
    queued       INTEGER NOT NULL DEFAULT 0,  -- placed by the queue (slot) rather than by hand
    approved_at  INTEGER,
    approved_by  TEXT NOT NULL DEFAULT '',
    published_at INTEGER,
    source       TEXT NOT NULL DEFAULT '',    -- where a load took it from: file:line
    content_hash TEXT NOT NULL DEFAULT '',    -- what a load compares to say "unchanged"
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX posts_publish_at ON posts(publish_at);
CREATE INDEX posts_status ON posts(status, publish_at);
CREATE INDEX posts_campaign ON posts(campaign_id, publish_at);
CREATE INDEX posts_updated ON posts(updated_at);

CREATE TABLE post_variants (
    post_id    INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    body       TEXT NOT NULL,
    PRIMARY KEY (post_id, channel_id)
);

CREATE TABLE post_media (
    post_id  INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    path     TEXT NOT NULL,
    alt      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (post_id, position)
);

CREATE TABLE post_notes (
    id      INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,
    author  TEXT NOT NULL,
    text    TEXT NOT NULL
);
CREATE INDEX post_notes_post ON post_notes(post_id);

-- One post on one channel: the unit the daemon publishes.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    post_id          INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'pending', -- pending publishing published failed canceled held missed
    due_at           INTEGER,          -- the planned instant (the post's publish_at), NULL while unscheduled
    run_at           INTEGER,          -- when it may next be claimed: due_at, or a retry's time
    attempts         INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_expires_at INTEGER,
    idempotency_key  TEXT NOT NULL,
    remote_id        TEXT NOT NULL DEFAULT '',
    remote_url       TEXT NOT NULL DEFAULT '',
    published_at     INTEGER,
    last_error       TEXT NOT NULL DEFAULT '',
    updated_at       INTEGER NOT NULL,
    UNIQUE (post_id, channel_id)
);
-- The claim and the daemon's next wake read only what is pending and timed.
CREATE INDEX deliveries_runnable ON deliveries(run_at) WHERE status = 'pending' AND run_at IS NOT NULL;
CREATE INDEX deliveries_leased ON deliveries(lease_expires_at) WHERE status = 'publishing';
CREATE INDEX deliveries_channel ON deliveries(channel_id, status);

CREATE TABLE blackouts (
    id         INTEGER PRIMARY KEY,
    channel_id INTEGER REFERENCES channels(id) ON DELETE CASCADE, -- NULL = every channel
    starts_at  INTEGER NOT NULL,
    ends_at    INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    drop_posts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Append-only history of every change and every publish attempt.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,       -- post.created, delivery.attempt, channel.paused, …
    post_id     INTEGER,             -- no foreign keys: history outlives what it tells of
    delivery_id INTEGER,
    channel_id  INTEGER,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_post ON events(post_id, id);

-- Small shared state: the global pause switch, the daemon's heartbeat, …
CREATE TABLE state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- +goose Down
DROP TABLE state;
DROP TABLE events;
DROP TABLE blackouts;
DROP TABLE deliveries;
DROP TABLE post_notes;
DROP TABLE post_media;
DROP TABLE post_variants;
DROP TABLE posts;
DROP TABLE campaigns;
DROP TABLE slots;
DROP TABLE channels;
