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
// calendar is a new database on the test server (testsvc.Postgres).
func TestPostgresStoreConformance(t *testing.T) {
	postgresConformance(t, false)
}

// And so it does opened as a command opens it (sqlstore.Options.ShortLived:
// every statement sent unprepared, its parameters' types left to the
// server).
func TestPostgresStoreConformanceShortLived(t *testing.T) {
	postgresConformance(t, true)
}

func postgresConformance(t *testing.T, shortLived bool) {
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
	open := func(t *testing.T, url string, now func() time.Time) *sqlstore.Store {
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
			return open(t, sqlstore.PostgresForTest(t), now)
		},
		OpenSecond: func(t *testing.T, first storetest.Store, now func() time.Time) storetest.Store {
			url, ok := urls.Load(first.(*sqlstore.Store))
			if !ok {
				t.Fatal("OpenSecond: not a store the harness opened")
			}
			return open(t, url.(string), now)
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
