package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// State reads a state value; ok is false when absent.
func (s *Store) State(ctx context.Context, key string) (value string, at time.Time, ok bool, err error) {
	var updated int64
	err = s.db.QueryRowContext(ctx, `SELECT value, updated_at FROM state WHERE key = ?`, key).Scan(&value, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	return value, fromMS(updated), true, nil
}

// SetState writes a state value (without an event: for frequent writes such as heartbeats).
func (s *Store) SetState(ctx context.Context, key, value string) error {
	s.openZone.Store(nil)
	_, err := s.db.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, key, value, ms(s.now()))
	return err
}

// PauseAll is the kill switch: no delivery is claimed while it is on.
func (s *Store) PauseAll(ctx context.Context, reason string) error {
	if reason == "" {
		reason = "paused"
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,?)
			ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, calendar.StatePauseAll, reason, ms(s.now())); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "calendar.paused", Detail: map[string]any{"reason": reason}})
	})
}

// ResumeAll turns the kill switch off.
func (s *Store) ResumeAll(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM state WHERE key = ?`, calendar.StatePauseAll); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "calendar.resumed"})
	})
}

// PausedAll reports the kill switch and its reason.
func (s *Store) PausedAll(ctx context.Context) (bool, string, error) {
	v, _, ok, err := s.State(ctx, calendar.StatePauseAll)
	return ok, v, err
}

// HeldDeliveriesDue counts the deliveries due at now (approved, outside any
// blackout) that a pause holds back: the kill switch, or their channel's; of
// one post when postID is set.
func (s *Store) HeldDeliveriesDue(ctx context.Context, now time.Time, postID int64) (calendar.HeldDue, error) {
	h := calendar.HeldDue{Channels: []calendar.HeldChannel{}}
	on, reason, err := s.PausedAll(ctx)
	if err != nil {
		return h, err
	}
	h.KillSwitchReason = reason
	n := ms(now)
	rows, err := s.db.QueryContext(ctx, `SELECT ch.name, ch.paused, ch.pause_reason, count(*) FROM deliveries d
		JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND `+approvedGate+` AND `+notBlackedOut+`
		AND (? = 0 OR d.post_id = ?) GROUP BY ch.id ORDER BY ch.name`, n, n, n, postID, postID)
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		var c calendar.HeldChannel
		var paused bool
		if err := rows.Scan(&c.Channel, &paused, &c.Reason, &c.Due); err != nil {
			return h, err
		}
		switch {
		case paused:
			h.Channels = append(h.Channels, c)
		case on:
			h.KillSwitch += c.Due
		}
	}
	return h, rows.Err()
}
