package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

const blackoutCols = `b.id, COALESCE(b.channel_id, 0), COALESCE(c.name, ''), b.starts_at, b.ends_at, b.reason, b.drop_posts, b.created_at`

const blackoutFrom = ` FROM blackouts b LEFT JOIN channels c ON c.id = b.channel_id`

func scanBlackout(sc interface{ Scan(...any) error }) (calendar.Blackout, error) {
	var b calendar.Blackout
	var from, to, created int64
	err := sc.Scan(&b.ID, &b.ChannelID, &b.Channel, &from, &to, &b.Reason, &b.Drop, &created)
	b.StartsAt, b.EndsAt, b.CreatedAt = fromMS(from), fromMS(to), fromMS(created)
	return b, err
}

// AddBlackout records a blackout. Channel may be empty (every channel).
func (s *Store) AddBlackout(ctx context.Context, b *calendar.Blackout) error {
	verr := &calendar.ValidationError{}
	if strings.TrimSpace(b.Reason) == "" {
		verr.Add(calendar.FieldError{Field: "reason", Message: "say why nothing is published then (--reason)"})
	}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"from", b.StartsAt}, {"to", b.EndsAt}} {
		if err := calendar.CheckInstant(f.name, &f.t); err != nil {
			verr.Problems = append(verr.Problems, err.(*calendar.ValidationError).Problems...)
		}
	}
	if !b.EndsAt.After(b.StartsAt) {
		verr.Add(calendar.FieldError{Field: "to", Message: "the blackout ends before it starts: its end must be later than its start"})
	}
	var channelID any
	if b.Channel != "" {
		c, err := s.Channel(ctx, b.Channel)
		if errors.Is(err, calendar.ErrNotFound) {
			verr.Add(calendar.FieldError{Field: "channel", Message: calendar.UnknownChannelMessage(b.Channel, s.channelNames(ctx, s.db))})
		} else if err != nil {
			return err
		}
		b.ChannelID, channelID = c.ID, c.ID
	}
	if err := verr.Err(); err != nil {
		return err
	}
	b.CreatedAt = s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO blackouts (channel_id, starts_at, ends_at, reason, drop_posts, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
			channelID, ms(b.StartsAt), ms(b.EndsAt), b.Reason, b.Drop, ms(b.CreatedAt)).Scan(&b.ID)
		if err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "blackout.added", ChannelID: b.ChannelID, Detail: map[string]any{
			"blackout": b.ID, "from": b.StartsAt.UTC().Format(time.RFC3339), "to": b.EndsAt.UTC().Format(time.RFC3339), "reason": b.Reason, "drop": b.Drop}})
	})
}

// Blackouts lists the blackouts that end after from and start before to
// (either may be zero: unbounded), by start.
func (s *Store) Blackouts(ctx context.Context, from, to time.Time) ([]calendar.Blackout, error) {
	q := `SELECT ` + blackoutCols + blackoutFrom + ` WHERE 1=1`
	var args []any
	if !from.IsZero() {
		q += ` AND b.ends_at > ?`
		args = append(args, ms(from))
	}
	if !to.IsZero() {
		q += ` AND b.starts_at < ?`
		args = append(args, ms(to))
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY b.starts_at, b.id`, args...)
	if err != nil {
		return nil, err
	}
	out, err := scanRows(rows, scanBlackout)
	if out == nil && err == nil {
		out = []calendar.Blackout{} // an empty list, not nil
	}
	return out, err
}

// RemoveBlackout deletes a blackout; deliveries it held become claimable.
func (s *Store) RemoveBlackout(ctx context.Context, id int64) (calendar.Blackout, error) {
	var b calendar.Blackout
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		b, err = scanBlackout(tx.QueryRowContext(ctx, `SELECT `+blackoutCols+blackoutFrom+` WHERE b.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return calendar.NotFound("blackout", fmt.Sprint(id))
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM blackouts WHERE id=?`, id); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "blackout.removed", ChannelID: b.ChannelID, Detail: map[string]any{"blackout": id, "reason": b.Reason}})
	})
	return b, err
}

// BlackedOut tells whether a blackout covers channelID at instant at: until is
// when the covering blackouts end (the delivery may run then), drop whether
// one of them cancels what falls due inside it.
func (s *Store) BlackedOut(ctx context.Context, channelID int64, at time.Time) (until time.Time, drop, ok bool, err error) {
	// Back-to-back or overlapping blackouts hold a delivery until the last ends.
	t := ms(at)
	for {
		var end sql.NullInt64
		var d sql.NullBool
		err = s.db.QueryRowContext(ctx, `SELECT max(ends_at), max(drop_posts) FROM blackouts
			WHERE (channel_id IS NULL OR channel_id = ?) AND starts_at <= ? AND ends_at > ?`, channelID, t, t).Scan(&end, &d)
		if err != nil || !end.Valid {
			return until, drop, ok, err
		}
		ok, drop, until, t = true, drop || d.Bool, fromMS(end.Int64), end.Int64
	}
}

// DropBlackedOut cancels the pending deliveries that are due by now inside a
// blackout added with drop, each with a delivery.dropped event, and settles
// their posts as their deliveries say (nothing else: canceled; published
// elsewhere: partial). The scheduler calls it before claiming; it returns how
// many it canceled.
func (s *Store) DropBlackedOut(ctx context.Context, now time.Time) (int, error) {
	// Called before every claim: with no drop blackout begun, nothing to do,
	// and no write transaction taken.
	var begun int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM blackouts WHERE drop_posts = 1 AND starts_at <= ? LIMIT 1) AS begun`, ms(now)).Scan(&begun); err != nil || begun == 0 {
		return 0, err
	}
	n := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// From each drop blackout, the runnable index's range inside it: the
		// work is what the blackouts hold, never a scan of the calendar.
		rows, err := tx.QueryContext(ctx, `SELECT d.id, d.post_id, d.channel_id, b.id, b.reason
			FROM blackouts b CROSS JOIN deliveries d`+s.dia.indexedBy("deliveries_runnable")+`
			WHERE b.drop_posts = 1 AND b.starts_at <= ?
			  AND d.status = 'pending' AND d.run_at IS NOT NULL AND d.run_at <= ?
			  AND d.run_at >= b.starts_at AND d.run_at < b.ends_at
			  AND (b.channel_id IS NULL OR b.channel_id = d.channel_id)
			ORDER BY d.id, b.id`, ms(now), ms(now))
		if err != nil {
			return err
		}
		type hit struct {
			delivery, post, channel, blackout int64
			reason                            string
		}
		var hits []hit
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.delivery, &h.post, &h.channel, &h.blackout, &h.reason); err != nil {
				rows.Close()
				return err
			}
			if len(hits) > 0 && hits[len(hits)-1].delivery == h.delivery {
				continue // inside two drop blackouts: dropped once, for the first
			}
			hits = append(hits, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		posts := map[int64]bool{}
		for _, h := range hits {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status='canceled', run_at=NULL, updated_at=? WHERE id=? AND status='pending'`, ms(s.now()), h.delivery); err != nil {
				return err
			}
			if err := s.event(ctx, tx, calendar.Event{Kind: "delivery.dropped", PostID: h.post, DeliveryID: h.delivery, ChannelID: h.channel,
				Detail: map[string]any{"blackout": h.blackout, "reason": h.reason}}); err != nil {
				return err
			}
			posts[h.post] = true
		}
		// Each post rolls up from all its deliveries: one published elsewhere
		// makes it partial, none left at all canceled.
		for id := range posts {
			if err := s.refreshPostTx(ctx, tx, id, ""); err != nil {
				return err
			}
		}
		n = len(hits)
		return nil
	})
	return n, err
}

// PostsInBlackout lists the posts (slugs) with a delivery still to publish
// that falls due inside b: adding b holds them to its end (or, with Drop,
// cancels them), which the person adding it should hear of.
func (s *Store) PostsInBlackout(ctx context.Context, b calendar.Blackout) ([]string, error) {
	q := `SELECT DISTINCT p.slug FROM deliveries d JOIN posts p ON p.id = d.post_id
		WHERE d.status IN ('pending','held') AND d.due_at >= ? AND d.due_at < ?`
	args := []any{ms(b.StartsAt), ms(b.EndsAt)}
	if b.ChannelID != 0 {
		q += ` AND d.channel_id = ?`
		args = append(args, b.ChannelID)
	}
	return queryNames(ctx, s.db, q+` ORDER BY p.slug`, args...)
}

// BlackoutCovering returns the first blackout that covers instant at on one
// of the post's channels, or nil: a move into it deserves a warning.
func (s *Store) BlackoutCovering(ctx context.Context, postID int64, at time.Time) (*calendar.Blackout, error) {
	b, err := scanBlackout(s.db.QueryRowContext(ctx, `SELECT `+blackoutCols+blackoutFrom+`
		WHERE b.starts_at <= ? AND b.ends_at > ? AND (b.channel_id IS NULL OR b.channel_id IN
			(SELECT channel_id FROM deliveries WHERE post_id = ?)) ORDER BY b.starts_at, b.id LIMIT 1`, ms(at), ms(at), postID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &b, nil
}
