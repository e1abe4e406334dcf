package calendar

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// FillSynthetic adds n scheduled posts spread evenly from `from`, every
// `every`, each with one pending delivery per channel, using set-based SQL so
// that a calendar of a million posts is made in seconds. It exists for
// benchmarks and load tests (make bench), never for real calendars.
func (s *Store) FillSynthetic(ctx context.Context, n int, channels []string, from time.Time, every time.Duration) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var first int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM posts`).Scan(&first); err != nil {
			return err
		}
		now := ms(s.now())
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < ?)
			INSERT INTO posts (id, slug, title, body, status, publish_at, tags, version, created_at, updated_at)
			SELECT ? + i, 'synthetic-' || (? + i), 'Synthetic post ' || (? + i),
				'Body of synthetic post ' || (? + i) || ' with a link https://example.com/p/' || i,
				'scheduled', ? + (i - 1) * ?, '["bench"]', 1, ?, ? FROM seq`,
			n, first, first, first, first, ms(from), every.Milliseconds(), now, now)
		if err != nil {
			return fmt.Errorf("synthetic posts: %w", err)
		}
		for _, name := range channels {
			c, err := scanChannel(tx.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name=?`, name))
			if err != nil {
				return fmt.Errorf("channel %s: %w", name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
				SELECT id, ?, 'pending', publish_at, publish_at, lower(hex(randomblob(16))), ? FROM posts WHERE id > ?`,
				c.ID, now, first); err != nil {
				return fmt.Errorf("synthetic deliveries: %w", err)
			}
		}
		return nil
	})
}
