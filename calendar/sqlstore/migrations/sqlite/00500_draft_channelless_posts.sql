-- +goose Up
-- A post timed to publish but with no channel could never publish, and the
-- calendar showed it as scheduled. Such posts are drafts again (keeping their
-- time); from now on the store refuses to time a post without a channel.
UPDATE posts SET status = 'draft', queued = 0
WHERE status IN ('scheduled', 'review', 'approved')
  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = posts.id);

-- +goose Down
SELECT 1;
