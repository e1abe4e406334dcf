package sqlstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/calendar/storetest"
	"github.com/crieur/crieur/internal/seal"
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
	var urls sync.Map // *sqlstore.Store → its database URL
	open := func(t *testing.T, url string, now func() time.Time, shortLived bool) *sqlstore.Store {
		t.Helper()
		s, err := sqlstore.OpenURL(context.Background(), url, sqlstore.Options{Create: true, Keys: keys, ShortLived: shortLived})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.Now, s.Actor = now, storetest.Actor
		urls.Store(s, url)
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, now func() time.Time) storetest.Store {
			return open(t, sqlstore.PostgresForTest(t), now, true)
		},
		OpenSecond: func(t *testing.T, first storetest.Store, now func() time.Time) storetest.Store {
			url, ok := urls.Load(first.(*sqlstore.Store))
			if !ok {
				t.Fatal("OpenSecond: not a store the harness opened")
			}
			return open(t, url.(string), now, false)
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
