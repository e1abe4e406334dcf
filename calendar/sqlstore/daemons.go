package sqlstore

import (
	"context"
	"database/sql"

	calendar "github.com/crieur/crieur/calendar"
)

// BeatDaemon writes a daemon's heartbeat row, and prunes the rows of
// daemons silent for longer than DaemonRowsKept. A running daemon's beat
// then copies the WAL back into the database (a passive checkpoint, which
// waits for no one), so that a stop has little left to copy and exits at
// once; the last beat (stopped) leaves that to the store's Close. On
// PostgreSQL there is no WAL of ours to copy.
func (s *Store) BeatDaemon(ctx context.Context, d calendar.DaemonRow) error {
	if err := s.beatDaemon(ctx, d); err != nil || d.Stopped != nil || s.dia.pg {
		return err
	}
	_, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

func (s *Store) beatDaemon(ctx context.Context, d calendar.DaemonRow) error {
	if d.Jobs == "" {
		d.Jobs = "[]"
	}
	if d.Report == "" {
		d.Report = "{}"
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO daemons (owner, host, pid, started_at, beat_at, stopped_at, jobs, report)
			VALUES (?,?,?,?,?,?,?,?)
			ON CONFLICT(owner) DO UPDATE SET host=excluded.host, pid=excluded.pid, started_at=excluded.started_at,
				beat_at=excluded.beat_at, stopped_at=excluded.stopped_at, jobs=excluded.jobs, report=excluded.report`,
			d.Owner, d.Host, d.PID, ms(d.Started), ms(d.Beat), msPtr(d.Stopped), d.Jobs, d.Report); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM daemons WHERE beat_at < ?`, ms(d.Beat.Add(-calendar.DaemonRowsKept)))
		return err
	})
}

// Daemons lists the daemons' heartbeat rows, the latest heartbeat first.
func (s *Store) Daemons(ctx context.Context) ([]calendar.DaemonRow, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT owner, host, pid, started_at, beat_at, stopped_at, jobs, report
		FROM daemons ORDER BY beat_at DESC, owner`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.DaemonRow
	for rows.Next() {
		var d calendar.DaemonRow
		var started, beat int64
		var stopped sql.NullInt64
		if err := rows.Scan(&d.Owner, &d.Host, &d.PID, &started, &beat, &stopped, &d.Jobs, &d.Report); err != nil {
			return nil, err
		}
		d.Started, d.Beat, d.Stopped = fromMS(started), fromMS(beat), fromNullMS(stopped)
		out = append(out, d)
	}
	return out, rows.Err()
}
