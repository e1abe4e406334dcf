-- +goose Up
-- Four-eyes approval: a channel can require that a post's approver is not
-- its author, and restrict approval to some people (a JSON list of names).
ALTER TABLE channels ADD COLUMN approver_not_author BIGINT NOT NULL DEFAULT 0;
ALTER TABLE channels ADD COLUMN approvers TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE channels DROP COLUMN approvers;
ALTER TABLE channels DROP COLUMN approver_not_author;
