package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	calendar "github.com/crieur/crieur/calendar"
)

// CalendarID is this calendar's identifier: random, made once (on first
// use) and kept in the database, so that identifiers crieur gives to the
// outside world (iCalendar UIDs) differ between two calendars.
func (s *Store) CalendarID(ctx context.Context) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	// The first writer wins; everyone reads the same id afterwards.
	if _, err := s.db.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,?) ON CONFLICT(key) DO NOTHING`,
		calendar.StateCalendarID, hex.EncodeToString(b), ms(s.now())); err != nil {
		return "", err
	}
	id, _, _, err := s.State(ctx, calendar.StateCalendarID)
	return id, err
}
