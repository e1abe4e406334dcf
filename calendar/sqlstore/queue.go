package sqlstore

import (
	"context"
	"time"
)

// OverdueCount counts runnable deliveries due more than a minute before now
// on unpaused channels, outside any blackout: the runnable index's range up
// to now-1m, which is empty while the daemon keeps up.
func (s *Store) OverdueCount(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND ch.paused = 0 AND `+approvedGate+` AND `+notBlackedOut,
		ms(now.Add(-time.Minute)), ms(now), ms(now)).Scan(&n)
	return n, err
}

// PendingCount counts pending deliveries, scheduled or not. It reads every
// pending delivery's index entry: for a metrics scrape, not for a loop.
func (s *Store) PendingCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status='pending'`).Scan(&n)
	return n, err
}
