package calendar

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidName checks a channel or campaign name: lower case letters, digits, . _ -.
func ValidName(field, name string) error {
	if !nameRE.MatchString(name) {
		return Invalid(field, "%q is not a valid name: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

const channelCols = `id, name, network, settings, secrets, tz, paused, pause_reason, require_approval,
	max_lateness_ms, rate_per_minute, rate_per_day, created_at, updated_at`

func scanChannel(sc interface{ Scan(...any) error }) (Channel, error) {
	var c Channel
	var settings, secrets string
	var lateMS, created, updated int64
	err := sc.Scan(&c.ID, &c.Name, &c.Network, &settings, &secrets, &c.TZ, &c.Paused, &c.PauseReason,
		&c.RequireApproval, &lateMS, &c.RatePerMinute, &c.RatePerDay, &created, &updated)
	if err != nil {
		return c, err
	}
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
func (s *Store) AddChannel(ctx context.Context, c *Channel) error {
	if err := ValidName("name", c.Name); err != nil {
		return err
	}
	if c.MaxLateness == 0 {
		c.MaxLateness = time.Hour
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO channels (name, network, settings, secrets, tz, paused, pause_reason,
			require_approval, max_lateness_ms, rate_per_minute, rate_per_day, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.Name, c.Network, jsonText(nonNil(c.Settings)), jsonText(nonNil(c.Secrets)), c.TZ, c.Paused, c.PauseReason,
			c.RequireApproval, c.MaxLateness.Milliseconds(), c.RatePerMinute, c.RatePerDay, ms(now), ms(now))
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("channel %q already exists: %w", c.Name, ErrConflict)
			}
			return err
		}
		c.ID, _ = res.LastInsertId()
		c.CreatedAt, c.UpdatedAt = now, now
		return s.event(ctx, tx, Event{Kind: "channel.added", ChannelID: c.ID, Detail: map[string]any{"name": c.Name, "network": c.Network}})
	})
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Channels lists every channel by name.
func (s *Store) Channels(ctx context.Context) ([]Channel, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+channelCols+` FROM channels ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Channel returns the channel called name.
func (s *Store) Channel(ctx context.Context, name string) (Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, NotFound("channel", name)
	}
	return c, err
}

// ChannelByID returns the channel with that id.
func (s *Store) ChannelByID(ctx context.Context, id int64) (Channel, error) {
	c, err := scanChannel(s.db.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, NotFound("channel", fmt.Sprint(id))
	}
	return c, err
}

// UpdateChannel writes every field of c (found by ID).
func (s *Store) UpdateChannel(ctx context.Context, c *Channel) error {
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var gated bool
		if err := tx.QueryRowContext(ctx, `SELECT require_approval FROM channels WHERE id=?`, c.ID).Scan(&gated); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE channels SET settings=?, secrets=?, tz=?, require_approval=?,
			max_lateness_ms=?, rate_per_minute=?, rate_per_day=?, updated_at=? WHERE id=?`,
			jsonText(nonNil(c.Settings)), jsonText(nonNil(c.Secrets)), c.TZ, c.RequireApproval,
			c.MaxLateness.Milliseconds(), c.RatePerMinute, c.RatePerDay, ms(now), c.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return NotFound("channel", c.Name)
		}
		c.UpdatedAt = now
		if gated != c.RequireApproval {
			if err := s.resettleChannelTx(ctx, tx, c.ID); err != nil {
				return err
			}
		}
		return s.event(ctx, tx, Event{Kind: "channel.edited", ChannelID: c.ID, Detail: map[string]any{"name": c.Name}})
	})
}

// RemoveChannel deletes a channel. A channel with deliveries still to publish
// is refused unless force: removing it would drop them silently.
func (s *Store) RemoveChannel(ctx context.Context, name string, force bool) error {
	c, err := s.Channel(ctx, name)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var pending int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE channel_id=? AND status IN ('pending','publishing','held')`, c.ID).Scan(&pending); err != nil {
			return err
		}
		// Not even with force while a call is in flight: its outcome (the
		// network's post id) would have no record left to be written to.
		var inflight int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE channel_id=? AND status='publishing'`, c.ID).Scan(&inflight); err != nil {
			return err
		}
		if inflight > 0 {
			return fmt.Errorf("channel %q has %s being published right now; remove it once they are recorded: %w", name, Count(inflight, "delivery", "deliveries"), ErrConflict)
		}
		if pending > 0 && !force {
			return fmt.Errorf("channel %q has %s not yet published; cancel them or use --force: %w", name, Count(pending, "delivery", "deliveries"), ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM channels WHERE id=?`, c.ID); err != nil {
			return err
		}
		return s.event(ctx, tx, Event{Kind: "channel.removed", ChannelID: c.ID, Detail: map[string]any{"name": name, "pending_dropped": pending}})
	})
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
	return s.event(ctx, tx, Event{Kind: kind, ChannelID: id, Detail: map[string]any{"reason": reason}})
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
