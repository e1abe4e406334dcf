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
	ctx := context.Background()
	daemonStore, writer := pgPair(t, "c0")
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
	waitFor(t, "a post written due now by another process to be published (a daemon that waits for its poll instead of the notification does not)",
		func() bool { return published.Load() > 0 })
	t.Logf("published %v after it was written", time.Since(now).Round(time.Millisecond))
}

// On PostgreSQL, by the wall clock: a daemon that cannot publish to a
// channel gives its due delivery back, and a daemon that can, woken by the
// notification, publishes it within seconds, not after notHereRetry; the
// first does not take it again meanwhile.
func TestNotHereLeftToAnotherDaemonOnPostgres(t *testing.T) {
	ctx := context.Background()
	withoutStore, withStore := pgPair(t, "hook")
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
	waitFor(t, "the daemon that can to publish a delivery given back as not here", func() bool { return published.Load() > 0 })
	t.Logf("published %v after it was due", time.Since(now).Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	if n, m := tries.Load(), published.Load(); n != 1 || m != 1 {
		t.Errorf("tried %d times without the secret and published %d times, want once each", n, m)
	}
}

// pgPair is two stores (two processes, as it were) on one new PostgreSQL
// calendar with one channel of the fake network, closed when the test
// ends. Outside CI, a test without PostgreSQL (or with -short) is skipped.
func pgPair(t *testing.T, channel string) (a, b *sqlstore.Store) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	url := testsvc.Postgres(t)
	open := func() *sqlstore.Store {
		st, err := sqlstore.OpenURL(context.Background(), url, sqlstore.Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b = open(), open()
	if err := b.AddChannel(context.Background(), &calendar.Channel{Name: channel, Network: "fake"}); err != nil {
		t.Fatal(err)
	}
	return a, b
}
