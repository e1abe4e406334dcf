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
