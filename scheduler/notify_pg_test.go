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
	open := func() *sqlstore.Store {
		st, err := sqlstore.OpenURL(ctx, url, sqlstore.Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	daemonStore, writer := open(), open()
	if err := writer.AddChannel(ctx, &calendar.Channel{Name: "c0", Network: "fake"}); err != nil {
		t.Fatal(err)
	}
	var published atomic.Int64
	f := &publishertest.Fake{Idempotent: true, OnPublish: func(publishers.Post) { published.Add(1) }}
	s := New(daemonStore, Options{Poll: time.Hour, SweepSpec: "@every 1h", Factory: fakeFactory(f)})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
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
