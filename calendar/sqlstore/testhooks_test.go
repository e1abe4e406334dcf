package sqlstore

import (
	"context"
	"os"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"
)

// SetRemoteIDForTest writes a remote id on a delivery without recording a
// part, as a calendar from before migration 00600 (thread parts) holds a
// thread cut short: the conformance suite's LegacyRemoteID.
func SetRemoteIDForTest(s *Store, id int64, remoteID string) error {
	_, err := s.db.ExecContext(context.Background(), `UPDATE deliveries SET remote_id=? WHERE id=?`, remoteID, id)
	return err
}

// The package's tests share one PostgreSQL server (testsvc.Postgres), stopped
// when they end.
func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.StopPostgres()
	os.Exit(code)
}

// PostgresForTest is the URL of a new PostgreSQL database holding the
// store's schema (copied from a template migrated once per test binary;
// the migrations themselves run in TestPostgresMigrations).
func PostgresForTest(t testing.TB) string {
	t.Helper()
	return testsvc.PostgresFrom(t, "sqlstore", func(url string) error {
		s, err := OpenURL(context.Background(), url, Options{Create: true})
		if err != nil {
			return err
		}
		return s.Close()
	})
}
