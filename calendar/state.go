package calendar

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Keys of the state table.
const (
	StatePauseAll  = "pause.all"        // value: the reason; absent when not paused
	StateHeartbeat = "daemon.heartbeat" // value: JSON of the daemon's last report
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
			ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, StatePauseAll, reason, ms(s.now())); err != nil {
			return err
		}
		return s.event(ctx, tx, Event{Kind: "calendar.paused", Detail: map[string]any{"reason": reason}})
	})
}

// ResumeAll turns the kill switch off.
func (s *Store) ResumeAll(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM state WHERE key = ?`, StatePauseAll); err != nil {
			return err
		}
		return s.event(ctx, tx, Event{Kind: "calendar.resumed"})
	})
}

// PausedAll reports the kill switch and its reason.
func (s *Store) PausedAll(ctx context.Context) (bool, string, error) {
	v, _, ok, err := s.State(ctx, StatePauseAll)
	return ok, v, err
}
