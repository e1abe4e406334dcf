package sqlstore_test

import (
	"testing"

	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
)

// The PostgreSQL store passes the same conformance suite, unchanged: each
// calendar is a new database on the test server (testsvc.Postgres). Each is
// opened as a command opens it (Options.ShortLived: every statement sent
// unprepared, its parameters' types left to the server, the stricter of
// pgx's modes), and the second store of the cases that use two as the
// daemon opens it (pgx's statement cache): a command beside a daemon. The
// store's own tests (CRIEUR_TEST_ENGINE=postgres) and the scheduler's run in
// the daemon's mode.
func TestPostgresStoreConformance(t *testing.T) {
	testsvc.Postgres(t) // skips (or fails under CI) at once without a server
	runConformance(t, func(t *testing.T) string { return sqlstore.PostgresForTest(t) }, true)
}
