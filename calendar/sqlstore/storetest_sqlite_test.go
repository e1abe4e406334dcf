package sqlstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/calendar/storetest"
	"github.com/crieur/crieur/internal/seal"
)

// The SQLite store passes the store conformance suite.
func TestSQLiteStoreConformance(t *testing.T) {
	// The key source of every handle: a key file and its KEY.old, as
	// `crieur secrets rotate-key` leaves them (NextKey moves them on).
	var mu sync.Mutex
	var keyring calendar.Keys
	newKey := func(t *testing.T) seal.Key {
		t.Helper()
		k, err := seal.New()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyring.Current = newKey(t)
	keys := func() (calendar.Keys, error) {
		mu.Lock()
		defer mu.Unlock()
		return calendar.Keys{Current: keyring.Current, Old: append([]seal.Key(nil), keyring.Old...)}, nil
	}
	open := func(t *testing.T, path string, now func() time.Time) *sqlstore.Store {
		t.Helper()
		s, err := sqlstore.Open(context.Background(), path, sqlstore.Options{Create: true, Keys: keys})
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
			return open(t, first.Path(), now)
		},
		NextKey: func(t *testing.T) seal.Key {
			next := newKey(t)
			mu.Lock()
			keyring = calendar.Keys{Current: next, Old: []seal.Key{keyring.Current}}
			mu.Unlock()
			return next
		},
		LegacyRemoteID: func(t *testing.T, s storetest.Store, id int64, remoteID string) {
			t.Helper()
			if err := sqlstore.SetRemoteIDForTest(s.(*sqlstore.Store), id, remoteID); err != nil {
				t.Fatal(err)
			}
		},
	})
}
