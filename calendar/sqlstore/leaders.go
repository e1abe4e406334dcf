package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// Lead takes or renews the lease row name for holder until now+ttl, in one
// portable statement: the insert takes a free row; on conflict the update
// applies only when the row is holder's already or has expired, so of two
// daemons racing for an expired row one updates it and the other's WHERE
// then fails (the row is the winner's, not expired).
func (s *Store) Lead(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (bool, error) {
	if holder == "" {
		return false, errors.New("lead: no holder")
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO leaders (name, holder, acquired_at, expires_at) VALUES (?,?,?,?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
			acquired_at = CASE WHEN leaders.holder = excluded.holder THEN leaders.acquired_at ELSE excluded.acquired_at END
		WHERE leaders.holder = excluded.holder OR leaders.expires_at < ?`,
		name, holder, ms(now), ms(now.Add(ttl)), ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Resign gives name up when holder holds it.
func (s *Store) Resign(ctx context.Context, name, holder string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM leaders WHERE name = ? AND holder = ?`, name, holder)
	return err
}

// Leader reads the lease row name.
func (s *Store) Leader(ctx context.Context, name string) (calendar.Leadership, bool, error) {
	l := calendar.Leadership{Name: name}
	var since, until int64
	err := s.db.QueryRowContext(ctx, `SELECT holder, acquired_at, expires_at FROM leaders WHERE name = ?`, name).Scan(&l.Holder, &since, &until)
	if errors.Is(err, sql.ErrNoRows) {
		return calendar.Leadership{}, false, nil
	}
	if err != nil {
		return calendar.Leadership{}, false, err
	}
	l.Since, l.Until = fromMS(since), fromMS(until)
	return l, true, nil
}
