package sqlstore_test

import (
	"testing"

	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
)

// The PostgreSQL store passes the same conformance suite, unchanged: each
// calendar is a new database on the test server (testsvc.Postgres).
func TestPostgresStoreConformance(t *testing.T) {
	testsvc.Postgres(t) // skips (or fails under CI) at once without a server
	runConformance(t, func(t *testing.T) string { return sqlstore.PostgresForTest(t) })
}
