package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/when"
)

// CalendarZone is the zone recorded in the calendar ("" when none is).
func (s *Store) CalendarZone(ctx context.Context) (string, error) {
	if z := s.openZone.Swap(nil); z != nil {
		return *z, nil
	}
	v, _, _, err := s.State(ctx, calendar.StateZone)
	return v, err
}

// calendarZoneName checks that name can be a calendar's zone and returns
// its canonical spelling: an IANA name or UTC, never the machine's zone
// (each process has its own).
func calendarZoneName(name string) (string, *time.Location, error) {
	if strings.EqualFold(strings.TrimSpace(name), "local") {
		return "", nil, calendar.Invalid("tz", "%q is each machine's own zone, not one a calendar can share: give an IANA name such as Europe/Paris, or UTC", name)
	}
	loc, err := when.LoadZone(name)
	if err != nil {
		return "", nil, calendar.Invalid("tz", "%v", err)
	}
	return loc.String(), loc, nil
}

// AdoptCalendarZone records name as the calendar's zone if none is recorded
// yet (a calendar made before zones were kept in it, or one made without a
// zone) and returns the zone recorded afterwards: name, or the one another
// process recorded first. The store's Zone becomes the recorded zone.
func (s *Store) AdoptCalendarZone(ctx context.Context, name string) (string, error) {
	canon, _, err := calendarZoneName(name)
	if err != nil {
		return "", err
	}
	s.openZone.Store(nil)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,?) ON CONFLICT(key) DO NOTHING`,
			calendar.StateZone, canon, ms(s.now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			return s.event(ctx, tx, calendar.Event{Kind: "calendar.zone_set", Detail: map[string]any{"tz": canon}})
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	rec, err := s.CalendarZone(ctx)
	if err != nil {
		return "", err
	}
	if loc, err := when.LoadZone(rec); err == nil {
		s.Zone = loc
	}
	return rec, nil
}

// SetCalendarZone records name as the calendar's zone, replacing any, and
// returns the zone it replaces ("" when none was recorded). The slots of
// channels without their own zone are read in the new zone from then on;
// posts already placed keep their instants. The store's Zone becomes it.
func (s *Store) SetCalendarZone(ctx context.Context, name string) (previous string, err error) {
	canon, loc, err := calendarZoneName(name)
	if err != nil {
		return "", err
	}
	s.openZone.Store(nil)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var old string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM state WHERE key = ?`, calendar.StateZone).Scan(&old); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		previous = old
		if old == canon {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,?)
			ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, calendar.StateZone, canon, ms(s.now())); err != nil {
			return err
		}
		d := map[string]any{"tz": canon}
		if old != "" {
			d["previous"] = old
		}
		return s.event(ctx, tx, calendar.Event{Kind: "calendar.zone_set", Detail: d})
	})
	if err != nil {
		return "", err
	}
	s.Zone = loc
	return previous, nil
}
