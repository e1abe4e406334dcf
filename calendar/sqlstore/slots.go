package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/crieur/crieur/calendar/when"

	calendar "github.com/crieur/crieur/calendar"
)

// AddSlot adds a recurring publish time to a channel, read in its zone.
func (s *Store) AddSlot(ctx context.Context, channel, spec string) (calendar.Slot, error) {
	c, err := s.Channel(ctx, channel)
	if err != nil {
		return calendar.Slot{}, err
	}
	sched, err := when.ParseSchedule(spec)
	if err != nil {
		return calendar.Slot{}, calendar.Invalid("spec", "%v", err)
	}
	sl := calendar.Slot{ChannelID: c.ID, Channel: c.Name, Spec: spec, Cron: sched.String(), CreatedAt: s.now()}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO slots (channel_id, spec, cron, created_at) VALUES (?,?,?,?) RETURNING id`, c.ID, sl.Spec, sl.Cron, ms(sl.CreatedAt)).Scan(&sl.ID)
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("channel %s already has the slot %q: %w", c.Name, sl.Cron, calendar.ErrConflict)
			}
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "slot.added", ChannelID: c.ID, Detail: map[string]any{"spec": spec, "cron": sl.Cron}})
	})
	return sl, err
}

// Slots lists slots, of one channel when channel is not empty.
func (s *Store) Slots(ctx context.Context, channel string) ([]calendar.Slot, error) {
	q := `SELECT s.id, s.channel_id, c.name, s.spec, s.cron, s.created_at FROM slots s JOIN channels c ON c.id = s.channel_id`
	var args []any
	if channel != "" {
		if _, err := s.Channel(ctx, channel); err != nil {
			return nil, err
		}
		q += ` WHERE c.name = ?`
		args = append(args, channel)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY c.name, s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.Slot
	for rows.Next() {
		var sl calendar.Slot
		var created int64
		if err := rows.Scan(&sl.ID, &sl.ChannelID, &sl.Channel, &sl.Spec, &sl.Cron, &created); err != nil {
			return nil, err
		}
		sl.CreatedAt = fromMS(created)
		out = append(out, sl)
	}
	return out, rows.Err()
}

// RemoveSlot deletes a slot. Posts already placed in it keep their time.
func (s *Store) RemoveSlot(ctx context.Context, id int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var ch int64
		if err := tx.QueryRowContext(ctx, `SELECT channel_id FROM slots WHERE id=?`, id).Scan(&ch); err != nil {
			if err == sql.ErrNoRows {
				return calendar.NotFound("slot", fmt.Sprint(id))
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM slots WHERE id=?`, id); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "slot.removed", ChannelID: ch, Detail: map[string]any{"slot": id}})
	})
}

// queueHorizon is how far ahead the queue looks for a free slot.
const queueHorizon = 366 * 24 * time.Hour

// queueTx gives each of the post's deliveries its channel's next slot that no
// other post holds and no blackout covers, and returns the earliest of them.
func (s *Store) queueTx(ctx context.Context, tx *sql.Tx, p *calendar.Post) (time.Time, error) {
	now := s.now()
	var first time.Time
	for _, name := range p.Channels {
		c, err := scanChannel(tx.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name=?`, name))
		if err != nil {
			return first, err
		}
		at, err := s.freeSlotTx(ctx, tx, c, p.ID, now)
		if err != nil {
			return first, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at=?, run_at=NULL, updated_at=? WHERE post_id=? AND channel_id=? AND status='pending'`,
			ms(at), ms(now), p.ID, c.ID); err != nil {
			return first, err
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first, nil
}

func (s *Store) freeSlotTx(ctx context.Context, tx *sql.Tx, c calendar.Channel, postID int64, now time.Time) (time.Time, error) {
	rows, err := tx.QueryContext(ctx, `SELECT cron FROM slots WHERE channel_id=?`, c.ID)
	if err != nil {
		return time.Time{}, err
	}
	var scheds []when.Schedule
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			rows.Close()
			return time.Time{}, err
		}
		sc, err := when.ParseSchedule(spec)
		if err != nil {
			rows.Close()
			return time.Time{}, fmt.Errorf("channel %s: stored slot %q: %w", c.Name, spec, err)
		}
		scheds = append(scheds, sc)
	}
	rows.Close()
	if len(scheds) == 0 {
		return time.Time{}, calendar.Invalid("queue", "channel %s has no slot: add one with `crieur slot add %s \"mon-fri 09:00\"`", c.Name, c.Name)
	}
	// Times already held on this channel, and blackouts ahead.
	taken := map[int64]bool{}
	rows, err = tx.QueryContext(ctx, `SELECT due_at FROM deliveries WHERE channel_id=? AND post_id<>? AND due_at>=?
		AND status IN ('pending','publishing','published','held')`, c.ID, postID, ms(now))
	if err != nil {
		return time.Time{}, err
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return time.Time{}, err
		}
		taken[v] = true
	}
	rows.Close()
	type span struct{ from, to int64 }
	var blackouts []span
	rows, err = tx.QueryContext(ctx, `SELECT starts_at, ends_at FROM blackouts WHERE (channel_id IS NULL OR channel_id=?) AND ends_at>?`, c.ID, ms(now))
	if err != nil {
		return time.Time{}, err
	}
	for rows.Next() {
		var b span
		if err := rows.Scan(&b.from, &b.to); err != nil {
			rows.Close()
			return time.Time{}, err
		}
		blackouts = append(blackouts, b)
	}
	rows.Close()
	loc := s.SlotZone(c)
	best := time.Time{}
	for _, sc := range scheds {
		for _, t := range sc.Between(now, now.Add(queueHorizon), loc, 0) {
			v := ms(t)
			if taken[v] {
				continue
			}
			blocked := false
			for _, b := range blackouts {
				if v >= b.from && v < b.to {
					blocked = true
					break
				}
			}
			if blocked {
				continue
			}
			if best.IsZero() || t.Before(best) {
				best = t
			}
			break
		}
	}
	if best.IsZero() {
		return best, calendar.Invalid("queue", "channel %s has no free slot in the next year", c.Name)
	}
	return best.UTC(), nil
}
