package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// MovePost re-times a post to at: every pending delivery follows (a queued
// post leaves its slots). Published and canceled posts are refused. With dryRun
// nothing is written.
func (s *Store) MovePost(ctx context.Context, ref string, at time.Time, dryRun bool) (calendar.Move, error) {
	if err := calendar.CheckInstant("to", &at); err != nil {
		return calendar.Move{}, err
	}
	var mv calendar.Move
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, err := s.postRow(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := movable(p); err != nil {
			return err
		}
		posts := []calendar.Post{p}
		if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
			return err
		}
		p = posts[0]
		at = at.UTC()
		mv = calendar.Move{PostID: p.ID, Slug: p.Slug, Title: p.Title, Status: p.Status, To: at}
		if p.PublishAt != nil {
			mv.From = *p.PublishAt
		}
		if dryRun {
			return nil
		}
		p.PublishAt, p.Queued = &at, false
		if err := s.updatePostTx(ctx, tx, &p, "post.moved"); err != nil {
			return err
		}
		mv.Status = p.Status
		return s.event(ctx, tx, calendar.Event{Kind: "post.retimed", PostID: p.ID, Detail: map[string]any{"from": timeText(p, mv.From), "to": at.Format(time.RFC3339)}})
	})
	return mv, err
}

func timeText(p calendar.Post, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func movable(p calendar.Post) error {
	switch p.Status {
	case calendar.StatusPublished:
		return fmt.Errorf("post %s is already published: it stays where it is: %w", p.Slug, calendar.ErrConflict)
	case calendar.StatusCanceled:
		return fmt.Errorf("post %s is canceled: schedule it again with `crieur post schedule`: %w", p.Slug, calendar.ErrConflict)
	}
	return nil
}

// ShiftCampaign moves every timed post of a campaign that is not yet
// published by sh, in one transaction, keeping their relative timing. Days
// are read in the post's zone (calendar.PostZone: its first channel with a
// zone of its own, else def), as post move reads them;
// a queued post's deliveries each move in their own channel's zone. Published
// and canceled posts stay where they are. With dryRun nothing is written.
func (s *Store) ShiftCampaign(ctx context.Context, campaign string, sh calendar.Shift, def *time.Location, dryRun bool) ([]calendar.Move, error) {
	moves := []calendar.Move{}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var cid int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM campaigns WHERE name=?`, campaign).Scan(&cid); err != nil {
			if err == sql.ErrNoRows {
				return calendar.NotFound("campaign", campaign)
			}
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+postCols+postFrom+` WHERE p.campaign_id = ? AND p.publish_at IS NOT NULL
			AND p.status NOT IN ('published','canceled') ORDER BY p.publish_at, p.id`, cid)
		if err != nil {
			return err
		}
		var posts []calendar.Post
		for rows.Next() {
			p, err := scanPost(rows)
			if err != nil {
				rows.Close()
				return err
			}
			posts = append(posts, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
			return err
		}
		zones := map[string]*time.Location{}
		own := map[string]bool{} // the channels with a zone of their own
		zoneOf := func(name string) (*time.Location, error) {
			if loc, ok := zones[name]; ok {
				return loc, nil
			}
			c, err := scanChannel(tx.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name=?`, name))
			if err != nil {
				return nil, err
			}
			zones[name], own[name] = c.Zone(def), c.TZ != ""
			return zones[name], nil
		}
		for i := range posts {
			p := &posts[i]
			for _, n := range p.Channels {
				if _, err := zoneOf(n); err != nil {
					return err
				}
			}
			// Read where the post's time is read (post new, post move).
			loc := calendar.PostZone(p.Channels, func(n string) *time.Location {
				if own[n] {
					return zones[n]
				}
				return nil
			}, def)
			from := *p.PublishAt
			to := sh.Apply(from, loc)
			if err := calendar.CheckInstant("by", &to); err != nil {
				return fmt.Errorf("post %s: %w", p.Slug, err)
			}
			moves = append(moves, calendar.Move{PostID: p.ID, Slug: p.Slug, Title: p.Title, Status: p.Status, From: from, To: to})
			if dryRun {
				continue
			}
			if p.Queued {
				if err := s.shiftDeliveriesTx(ctx, tx, p.ID, sh, zoneOf); err != nil {
					return err
				}
			}
			p.PublishAt = &to
			if err := s.updatePostTx(ctx, tx, p, "post.moved"); err != nil {
				return err
			}
			moves[len(moves)-1].Status = p.Status
			if err := s.event(ctx, tx, calendar.Event{Kind: "post.retimed", PostID: p.ID, Detail: map[string]any{
				"from": from.UTC().Format(time.RFC3339), "to": to.Format(time.RFC3339), "campaign": campaign, "by": sh.String()}}); err != nil {
				return err
			}
		}
		return nil
	})
	return moves, err
}

// shiftDeliveriesTx moves a queued post's pending deliveries, each in its own
// channel's zone (they sit in different channels' slots).
func (s *Store) shiftDeliveriesTx(ctx context.Context, tx *sql.Tx, postID int64, sh calendar.Shift, zoneOf func(string) (*time.Location, error)) error {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, ch.name, d.due_at FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.post_id=? AND d.status='pending' AND d.due_at IS NOT NULL`, postID)
	if err != nil {
		return err
	}
	type due struct {
		id   int64
		ch   string
		when int64
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.ch, &d.when); err != nil {
			rows.Close()
			return err
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range dues {
		loc, err := zoneOf(d.ch)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at=?, updated_at=? WHERE id=?`, ms(sh.Apply(fromMS(d.when), loc)), ms(s.now()), d.id); err != nil {
			return err
		}
	}
	return nil
}
