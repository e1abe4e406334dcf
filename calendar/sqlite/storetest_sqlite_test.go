package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlite"
	"github.com/crieur/crieur/calendar/storetest"
	"github.com/crieur/crieur/internal/seal"
)

// The SQLite store passes the store conformance suite.
func TestSQLiteStoreConformance(t *testing.T) {
	key, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	keys := func() (calendar.Keys, error) { return calendar.Keys{Current: key}, nil }
	open := func(t *testing.T, path string, now func() time.Time) *sqlite.Store {
		t.Helper()
		s, err := sqlite.Open(context.Background(), path, sqlite.Options{Create: true, Keys: keys})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.Now, s.Actor = now, storetest.Actor
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, now func() time.Time) storetest.Store {
			return open(t, filepath.Join(t.TempDir(), "calendar.db"), now)
		},
		OpenSecond: func(t *testing.T, first storetest.Store, now func() time.Time) storetest.Store {
			return open(t, first.(*sqlite.Store).Path(), now)
		},
	})
}
