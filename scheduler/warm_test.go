package scheduler

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// slowWarm is a store whose Warm (opening the pool's connections) does not
// end until the daemon stops.
type slowWarm struct {
	*sqlstore.Store
	warming atomic.Bool
}

func (s *slowWarm) Warm(ctx context.Context, _ int) error {
	s.warming.Store(true)
	<-ctx.Done()
	return ctx.Err()
}

// A daemon claims while its store warms up, not after: a post due at its
// start is published though the warm-up has not ended.
func TestDaemonPublishesWhileItsStoreWarms(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "crieur.db"), sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.AddChannel(ctx, &calendar.Channel{Name: "c0", Network: "fake"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	p := calendar.Post{Slug: "now", Body: "due at once", Channels: []string{"c0"}, Status: calendar.StatusScheduled, PublishAt: &now}
	if err := st.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	var published atomic.Int64
	f := &publishertest.Fake{Idempotent: true, OnPublish: func(publishers.Post) { published.Add(1) }}
	warm := &slowWarm{Store: st}
	s := New(warm, Options{Poll: time.Hour, SweepSpec: "@every 1h", FillSpec: "off", Factory: fakeFactory(f)})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for published.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the daemon did not stop")
	}
	if !warm.warming.Load() {
		t.Fatal("the daemon did not warm its store")
	}
	if published.Load() != 1 {
		t.Fatalf("published %d posts while the store warmed, want 1 (the daemon waits for its warm-up before claiming)", published.Load())
	}
}
