package calendar

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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

// HeldDue is what is due now but held back by a person's pause: the kill
// switch (pause --all) or a paused channel. A claim skips these, so without
// saying so `publish --due` would look as if nothing were due.
type HeldDue struct {
	// KillSwitch counts due deliveries on unpaused channels while the kill
	// switch is on; KillSwitchReason is its reason.
	KillSwitch       int    `json:"kill_switch"`
	KillSwitchReason string `json:"kill_switch_reason,omitempty"`
	// Channels lists the paused channels with due deliveries, by name.
	Channels []HeldChannel `json:"paused_channels"`
}

// HeldChannel is a paused channel and how many of its deliveries are due.
type HeldChannel struct {
	Channel string `json:"channel"`
	Reason  string `json:"reason"`
	Due     int    `json:"due"`
}

// Total counts every held due delivery.
func (h HeldDue) Total() int {
	n := h.KillSwitch
	for _, c := range h.Channels {
		n += c.Due
	}
	return n
}

// HeldDeliveriesDue counts the deliveries due at now (approved, outside any
// blackout) that a pause holds back: the kill switch, or their channel's; of
// one post when postID is set.
func (s *Store) HeldDeliveriesDue(ctx context.Context, now time.Time, postID int64) (HeldDue, error) {
	h := HeldDue{Channels: []HeldChannel{}}
	on, reason, err := s.PausedAll(ctx)
	if err != nil {
		return h, err
	}
	h.KillSwitchReason = reason
	n := ms(now)
	rows, err := s.db.QueryContext(ctx, `SELECT ch.name, ch.paused, ch.pause_reason, count(*) FROM deliveries d
		JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND `+Approved+` AND `+NotBlackedOut+`
		AND (? = 0 OR d.post_id = ?) GROUP BY ch.id ORDER BY ch.name`, n, n, n, postID, postID)
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		var c HeldChannel
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

// Lines says, one line per pause, what is held and how to release it.
func (h HeldDue) Lines() []string {
	var out []string
	due := func(n int) string {
		if n == 1 {
			return "1 delivery is due"
		}
		return strconv.Itoa(n) + " deliveries are due"
	}
	if h.KillSwitch > 0 {
		out = append(out, fmt.Sprintf("%s but held by the kill switch (pause --all, reason: %s); `crieur resume --all` to publish",
			due(h.KillSwitch), orNone(h.KillSwitchReason)))
	}
	for _, c := range h.Channels {
		out = append(out, fmt.Sprintf("%s but held: channel %s is paused (reason: %s); `crieur resume %s` to publish",
			due(c.Due), c.Channel, orNone(c.Reason), c.Channel))
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none given"
	}
	return s
}
