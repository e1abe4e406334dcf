package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// On PostgreSQL a daemon wakes on another process's write through
// LISTEN/NOTIFY as it arrives, not at its next poll: with a poll of an hour,
// a post written due now by another store is published within seconds.
func TestDaemonWakesOnPostgresNotification(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	url := testsvc.Postgres(t)
	ctx := context.Background()
	daemonStore, writer := openPG(t, url), openPG(t, url)
	if err := writer.AddChannel(ctx, &calendar.Channel{Name: "c0", Network: "fake"}); err != nil {
		t.Fatal(err)
	}
	var published atomic.Int64
	f := &publishertest.Fake{Idempotent: true, OnPublish: func(publishers.Post) { published.Add(1) }}
	s := New(daemonStore, Options{Poll: time.Hour, SweepSpec: "@every 1h", Factory: fakeFactory(f)})
	defer runDaemon(t, s)()
	time.Sleep(500 * time.Millisecond) // the daemon is asleep: nothing is due, no timer
	now := time.Now()
	p := calendar.Post{Slug: "now", Body: "due at once", Channels: []string{"c0"}, Status: calendar.StatusScheduled, PublishAt: &now}
	if err := writer.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for published.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a post written due now by another process was not published within 10 s (the daemon waits for its poll instead of the notification)")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("published %v after it was written", time.Since(now).Round(time.Millisecond))
}

// On PostgreSQL, by the wall clock: a daemon that cannot publish to a
// channel gives its due delivery back, and a daemon that can, woken by the
// notification, publishes it within seconds, not after notHereRetry; the
// first does not take it again meanwhile.
func TestNotHereLeftToAnotherDaemonOnPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	url := testsvc.Postgres(t)
	ctx := context.Background()
	withoutStore, withStore := openPG(t, url), openPG(t, url)
	if err := withStore.AddChannel(ctx, &calendar.Channel{Name: "hook", Network: "fake"}); err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int32
	defer runDaemon(t, New(withoutStore, Options{Owner: "h:1:without", Factory: notHereFactory(&tries)}))()
	now := time.Now()
	p := calendar.Post{Slug: "now", Body: "due at once", Channels: []string{"hook"}, Status: calendar.StatusScheduled, PublishAt: &now}
	if err := withStore.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the daemon without the secret to give the delivery back", func() bool { return tries.Load() > 0 })
	var published atomic.Int64
	f := &publishertest.Fake{Idempotent: true, OnPublish: func(publishers.Post) { published.Add(1) }}
	defer runDaemon(t, New(withStore, Options{Owner: "h:2:with", Factory: fakeFactory(f)}))()
	deadline := time.Now().Add(10 * time.Second)
	for published.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a delivery given back as not here was not published within 10 s by the daemon that can")
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("published %v after it was due", time.Since(now).Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	if n, m := tries.Load(), published.Load(); n != 1 || m != 1 {
		t.Errorf("tried %d times without the secret and published %d times, want once each", n, m)
	}
}

// openPG opens (creating it the first time) the calendar at url, closed
// when the test ends.
func openPG(t *testing.T, url string) *sqlstore.Store {
	st, err := sqlstore.OpenURL(context.Background(), url, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
