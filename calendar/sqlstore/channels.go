package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
)

const channelCols = `id, name, network, settings, secrets, tz, paused, pause_reason, require_approval,
	max_lateness_ms, rate_per_minute, rate_per_day, created_at, updated_at, approver_not_author, approvers`

func scanChannel(sc interface{ Scan(...any) error }) (calendar.Channel, error) {
	var c calendar.Channel
	var settings, secrets, approvers string
	var lateMS, created, updated int64
	err := sc.Scan(&c.ID, &c.Name, &c.Network, &settings, &secrets, &c.TZ, &c.Paused, &c.PauseReason,
		&c.RequireApproval, &lateMS, &c.RatePerMinute, &c.RatePerDay, &created, &updated, &c.ApproverNotAuthor, &approvers)
	if err != nil {
		return c, err
	}
	c.Approvers = []string{}
	_ = json.Unmarshal([]byte(approvers), &c.Approvers)
	c.Settings, c.Secrets = map[string]string{}, map[string]string{}
	_ = json.Unmarshal([]byte(settings), &c.Settings)
	_ = json.Unmarshal([]byte(secrets), &c.Secrets)
	c.MaxLateness = time.Duration(lateMS) * time.Millisecond
	c.MaxLatenessText = c.MaxLateness.String()
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// AddChannel creates a channel. The caller validated network-specific fields.
func (s *Store) AddChannel(ctx context.Context, c *calendar.Channel) error {
	return s.addChannel(ctx, c, nil)
}

// addChannel creates c and seals values (see writeSecretsTx) in one transaction.
func (s *Store) addChannel(ctx context.Context, c *calendar.Channel, values map[string]string) error {
	if err := calendar.ValidName("name", c.Name); err != nil {
		return err
	}
	if err := calendar.CheckChannel(c); err != nil {
		return err
	}
	if c.MaxLateness == 0 {
		c.MaxLateness = time.Hour
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO channels (name, network, settings, secrets, tz, paused, pause_reason,
			require_approval, max_lateness_ms, rate_per_minute, rate_per_day, created_at, updated_at, approver_not_author, approvers)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			c.Name, c.Network, jsonText(calendar.NonNil(c.Settings)), jsonText(calendar.NonNil(c.Secrets)), c.TZ, c.Paused, c.PauseReason,
			c.RequireApproval, c.MaxLateness.Milliseconds(), c.RatePerMinute, c.RatePerDay, ms(now), ms(now), c.ApproverNotAuthor, jsonText(calendar.NonNilList(c.Approvers))).Scan(&c.ID)
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("channel %q already exists: %w", c.Name, calendar.ErrConflict)
			}
			return err
		}
		c.CreatedAt, c.UpdatedAt = now, now
		if err := s.writeSecretsTx(ctx, tx, c.Name, values); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "channel.added", ChannelID: c.ID, Detail: map[string]any{"name": c.Name, "network": c.Network}})
	})
}

// Channels lists every channel by name.
func (s *Store) Channels(ctx context.Context) ([]calendar.Channel, error) {
	return s.channelRows(ctx, `SELECT `+channelCols+` FROM channels ORDER BY name`)
}

// channelRows reads the channels a query of channelCols returns.
func (s *Store) channelRows(ctx context.Context, q string, args ...any) ([]calendar.Channel, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanChannel)
}

// Channel returns the channel called name.
func (s *Store) Channel(ctx context.Context, name string) (calendar.Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		if hint := suggest.DidYouMean(name, s.channelNames(ctx, s.db)); hint != "" {
			return c, fmt.Errorf("%w%s", calendar.NotFound("channel", name), hint)
		}
		return c, calendar.NotFound("channel", name)
	}
	return c, err
}

// ChannelByID returns the channel with that id.
func (s *Store) ChannelByID(ctx context.Context, id int64) (calendar.Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, calendar.NotFound("channel", fmt.Sprint(id))
	}
	return c, err
}

// ChannelsByID reads the channels of ids, in one query.
func (s *Store) ChannelsByID(ctx context.Context, ids []int64) ([]calendar.Channel, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	in, args := s.dia.in(ids)
	return s.channelRows(ctx, `SELECT `+channelCols+` FROM channels WHERE id`+in+` ORDER BY id`, args...)
}

// UpdateChannel writes every field of c (found by ID).
func (s *Store) UpdateChannel(ctx context.Context, c *calendar.Channel) error {
	_, err := s.UpdateChannelReport(ctx, c)
	return err
}

// UpdateChannelReport is UpdateChannel, also saying which posts a change of
// the approval rule moved (to review, or back to scheduled).
func (s *Store) UpdateChannelReport(ctx context.Context, c *calendar.Channel) (calendar.ApprovalMoves, error) {
	return s.updateChannel(ctx, c, nil)
}

// updateChannel writes c and seals values (see writeSecretsTx) in one transaction.
func (s *Store) updateChannel(ctx context.Context, c *calendar.Channel, values map[string]string) (calendar.ApprovalMoves, error) {
	var mv calendar.ApprovalMoves
	if err := calendar.CheckChannel(c); err != nil {
		return mv, err
	}
	now := s.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var gated bool
		if err := tx.QueryRowContext(ctx, `SELECT require_approval FROM channels WHERE id=?`, c.ID).Scan(&gated); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE channels SET settings=?, secrets=?, tz=?, require_approval=?,
			max_lateness_ms=?, rate_per_minute=?, rate_per_day=?, updated_at=?, approver_not_author=?, approvers=? WHERE id=?`,
			jsonText(calendar.NonNil(c.Settings)), jsonText(calendar.NonNil(c.Secrets)), c.TZ, c.RequireApproval,
			c.MaxLateness.Milliseconds(), c.RatePerMinute, c.RatePerDay, ms(now), c.ApproverNotAuthor, jsonText(calendar.NonNilList(c.Approvers)), c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return calendar.NotFound("channel", c.Name)
		}
		c.UpdatedAt = now
		if err := s.writeSecretsTx(ctx, tx, c.Name, values); err != nil {
			return err
		}
		if gated != c.RequireApproval {
			if mv, err = s.resettleChannelTx(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, calendar.Event{Kind: "channel.edited", ChannelID: c.ID, Detail: map[string]any{"name": c.Name}})
	})
	return mv, err
}

// RemoveChannel deletes a channel. A channel with deliveries still to publish
// is refused unless force: removing it would drop them silently.
func (s *Store) RemoveChannel(ctx context.Context, name string, force bool) error {
	_, err := s.RemoveChannelReport(ctx, name, force)
	return err
}

// RemoveChannelReport deletes a channel and says what became of its posts:
// those left with no channel go back to draft (nothing could publish them),
// the others keep their other channels. Without force, a channel with
// deliveries still to publish is refused, and the error says what removing
// it would do.
func (s *Store) RemoveChannelReport(ctx context.Context, name string, force bool) (calendar.ChannelRemoval, error) {
	r := calendar.ChannelRemoval{Channel: name, Drafted: []string{}, Kept: []string{}}
	c, err := s.Channel(ctx, name)
	if err != nil {
		return r, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status IN ('pending','publishing','held')),
			count(*) FILTER (WHERE status='published') FROM deliveries WHERE channel_id=?`, c.ID).Scan(&r.Pending, &r.Published); err != nil {
			return err
		}
		// Not even with force while a call is in flight: its outcome (the
		// network's post id) would have no record left to be written to.
		var inflight int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE channel_id=? AND status='publishing'`, c.ID).Scan(&inflight); err != nil {
			return err
		}
		if inflight > 0 {
			return fmt.Errorf("channel %q has %s being published right now; remove it once they are recorded: %w", name, calendar.Count(inflight, "delivery", "deliveries"), calendar.ErrConflict)
		}
		// The posts still waiting on this channel, and whether any other
		// channel is left to publish them.
		rows, err := tx.QueryContext(ctx, `SELECT p.id, p.slug, (SELECT count(*) FROM deliveries o WHERE o.post_id = p.id AND o.channel_id <> ?)
			FROM posts p WHERE p.status NOT IN ('published','canceled','draft')
			AND EXISTS (SELECT 1 FROM deliveries d WHERE d.post_id = p.id AND d.channel_id = ?) ORDER BY p.id`, c.ID, c.ID)
		if err != nil {
			return err
		}
		var orphans, kept []int64
		for rows.Next() {
			var id int64
			var slug string
			var others int
			if err := rows.Scan(&id, &slug, &others); err != nil {
				rows.Close()
				return err
			}
			if others == 0 {
				orphans = append(orphans, id)
				r.Drafted = append(r.Drafted, slug)
			} else {
				kept = append(kept, id)
				r.Kept = append(r.Kept, slug)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if r.Pending > 0 && !force {
			return fmt.Errorf("channel %q has %s not yet published; removing it with --force would drop them: %s: %w", name, calendar.Count(r.Pending, "delivery", "deliveries"), r.Summary(), calendar.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id=?`, c.ID); err != nil {
			return err
		}
		if err := s.writeSecretsTx(ctx, tx, name, nil); err != nil {
			return err
		}
		for _, id := range orphans {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET status=?, queued=0, approved_at=NULL, approved_by='', version=version+1, updated_at=? WHERE id=?`,
				calendar.StatusDraft, ms(s.now()), id); err != nil {
				return err
			}
			if err := s.event(ctx, tx, calendar.Event{Kind: "post.drafted", PostID: id, Detail: map[string]any{"reason": "its only channel " + name + " was removed"}}); err != nil {
				return err
			}
		}
		// The others are settled again on the channels they keep: one waiting
		// in review only for the removed channel's approval goes on.
		for _, id := range kept {
			if _, err := s.resettlePostTx(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, calendar.Event{Kind: "channel.removed", ChannelID: c.ID, Detail: map[string]any{"name": name, "pending_dropped": r.Pending, "back_to_draft": len(r.Drafted)}})
	})
	return r, err
}

// SetChannelPaused pauses or resumes one channel. A paused channel publishes
// nothing: the daemon's claim checks the flag on every claim.
func (s *Store) SetChannelPaused(ctx context.Context, name string, paused bool, reason string) error {
	c, err := s.Channel(ctx, name)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		return s.setChannelPausedTx(ctx, tx, c.ID, paused, reason)
	})
}

func (s *Store) setChannelPausedTx(ctx context.Context, tx *sql.Tx, id int64, paused bool, reason string) error {
	if !paused {
		reason = ""
	}
	if _, err := tx.ExecContext(ctx, `UPDATE channels SET paused=?, pause_reason=?, updated_at=? WHERE id=?`, paused, reason, ms(s.now()), id); err != nil {
		return err
	}
	kind := "channel.resumed"
	if paused {
		kind = "channel.paused"
	}
	return s.event(ctx, tx, calendar.Event{Kind: kind, ChannelID: id, Detail: map[string]any{"reason": reason}})
}

func isUnique(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "UNIQUE constraint failed") || pgCode(err) == "23505")
}

// isBusy tells SQLite's "database is locked" after its busy timeout.
func isBusy(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "database is locked"))
}
