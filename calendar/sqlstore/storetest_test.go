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
)

// runConformance runs the store conformance suite on one engine: each
// calendar it opens is newTarget's (a SQLite file, a PostgreSQL database),
// opened with sqlstore.OpenURL; a second handle opens the same target.
//
// The key source of every handle: a key file and its KEY.old, as
// `crieur secrets rotate-key` leaves them (NextKey moves them on).
//
// With shortLived, the first handle is opened as a command opens it
// (Options.ShortLived) and the second as the daemon does: a command beside
// a daemon.
func runConformance(t *testing.T, newTarget func(t *testing.T) string, shortLived bool) {
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
	var targets sync.Map // *sqlstore.Store → the target it opened
	open := func(t *testing.T, target string, now func() time.Time, short bool) *sqlstore.Store {
		t.Helper()
		s, err := sqlstore.OpenURL(context.Background(), target, sqlstore.Options{Create: true, Keys: keys, ShortLived: short})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.Now, s.Actor = now, storetest.Actor
		targets.Store(s, target)
		return s
	}
	storetest.Run(t, storetest.Harness{
		Open: func(t *testing.T, now func() time.Time) storetest.Store {
			return open(t, newTarget(t), now, shortLived)
		},
		OpenSecond: func(t *testing.T, first storetest.Store, now func() time.Time) storetest.Store {
			target, ok := targets.Load(first.(*sqlstore.Store))
			if !ok {
				t.Fatal("OpenSecond: not a store the harness opened")
			}
			return open(t, target.(string), now, false)
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
