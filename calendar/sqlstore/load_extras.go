package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// applyExtrasTx gives post id its channel times and, for a new post, its
// approval and notes, then settles its status and deliveries again.
func (s *Store) applyExtrasTx(ctx context.Context, tx *sql.Tx, id int64, lp *calendar.LoadPost, created bool) error {
	p, err := s.postRow(ctx, tx, strconv.FormatInt(id, 10))
	if err != nil {
		return err
	}
	posts := []calendar.Post{p}
	if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
		return err
	}
	p = posts[0]
	chans, err := s.resolveChannels(ctx, tx, &p)
	if err != nil {
		return err
	}
	p.Queued = len(lp.Times) > 0
	if p.Queued {
		for name, c := range chans {
			due := lp.PublishAt
			if t, ok := lp.Times[name]; ok {
				due = &t
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at=? WHERE post_id=? AND channel_id=? AND status IN ('pending','canceled')`,
				msPtr(due), p.ID, c.ID); err != nil {
				return err
			}
		}
	}
	if created && lp.ApprovedAt != nil {
		p.ApprovedAt, p.ApprovedBy = lp.ApprovedAt, lp.ApprovedBy
		// The history says who let a file carry the approval in.
		if err := s.event(ctx, tx, calendar.Event{Kind: "post.approved", PostID: p.ID, Detail: map[string]any{
			"approved_by": lp.ApprovedBy, "approved_at": lp.ApprovedAt.Format(time.RFC3339), "via": "import --keep-approvals"}}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET queued=?, approved_at=?, approved_by=? WHERE id=?`,
		p.Queued, msPtr(p.ApprovedAt), p.ApprovedBy, p.ID); err != nil {
		return err
	}
	if created {
		for _, n := range lp.Notes {
			if _, err := tx.ExecContext(ctx, `INSERT INTO post_notes (post_id, at, author, text) VALUES (?,?,?,?)`, p.ID, ms(n.At), n.Author, n.Text); err != nil {
				return err
			}
		}
	}
	return s.settleStatusTx(ctx, tx, &p, chans)
}
