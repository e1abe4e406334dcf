package storetest

import (
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// A watch on one handle reports what another handle (another process)
// commits, within a bounded wait, and reports nothing when nothing was
// written: the daemon relies on it to take an edit, a cancel or a pause at
// once.
func testChangeNotifier(t *testing.T, h Harness) {
	const bound = 2 * time.Second
	e := newEnv(t, h)
	other := e.second()
	e.channel("a", nil)
	w, err := e.s.Watch(e.ctx)
	wantErr(t, "Watch", err, nil)
	defer w.Close()

	// quiet: nothing written, nothing reported, over a while.
	quiet := func(step string) {
		t.Helper()
		for range 5 {
			changed, err := w.Changed(e.ctx)
			wantErr(t, "Changed", err, nil)
			if changed {
				t.Fatalf("%s: a change is reported though nothing was written", step)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// reported: the change shows within the bound.
	reported := func(step string) {
		t.Helper()
		deadline := time.Now().Add(bound)
		for {
			changed, err := w.Changed(e.ctx)
			wantErr(t, "Changed", err, nil)
			if changed {
				// One commit may reach the watch as several notifications
				// (PostgreSQL: one per table its triggers fire for), read
				// one at a time: the rest of this one is not a new change.
				time.Sleep(250 * time.Millisecond)
				_, err := w.Changed(e.ctx)
				wantErr(t, "Changed", err, nil)
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no change reported within %s", step, bound)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	writes := []struct {
		name  string
		write func() error
	}{
		{"a post created", func() error {
			return other.CreatePost(e.ctx, &calendar.Post{Slug: "p", Body: "x", Status: calendar.StatusScheduled, PublishAt: at(T0.Add(time.Hour)), Channels: []string{"a"}})
		}},
		{"a post canceled", func() error { _, err := other.CancelPost(e.ctx, "p"); return err }},
		{"a channel paused", func() error { return other.SetChannelPaused(e.ctx, "a", true, "quiet") }},
		{"everything paused", func() error { return other.PauseAll(e.ctx, "incident") }},
	}
	quiet("after Watch")
	for _, wr := range writes {
		wantErr(t, wr.name, wr.write(), nil)
		reported(wr.name)
		quiet("after " + wr.name + " was reported")
	}
	// A refused write commits nothing.
	if _, err := other.CancelPost(e.ctx, "p"); err == nil {
		t.Fatal("a canceled post was canceled again")
	}
	quiet("after a refused write")
}
