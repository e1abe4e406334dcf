package scheduler

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// switchNotifier is a ChangeNotifier the test drives: it reports a change
// only once told to, whatever the database does.
type switchNotifier struct {
	changed atomic.Bool
	watched atomic.Int32
	asked   atomic.Int32 // calls of Changed: the daemon asks only while asleep
}

func (n *switchNotifier) Watch(context.Context) (calendar.ChangeWatch, error) {
	n.watched.Add(1)
	return switchWatch{n}, nil
}

type switchWatch struct{ n *switchNotifier }

func (w switchWatch) Changed(context.Context) (bool, error) {
	w.n.asked.Add(1)
	return w.n.changed.Swap(false), nil
}

func (w switchWatch) Close() error { return nil }

// The daemon learns of other processes' changes through Options.Changes
// alone: a channel resumed behind its back stays asleep until the notifier
// says so, then its due post goes out at once.
func TestDaemonWakesOnItsChangeNotifier(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	if err := e.st.SetChannelPaused(ctx, "acme", true, "test"); err != nil {
		t.Fatal(err)
	}
	n := &switchNotifier{}
	s := e.scheduler(Options{Changes: n, Poll: 5 * time.Millisecond})
	defer runDaemon(t, s)()
	// Asking the notifier means it claimed nothing and sleeps (no timer: the
	// only due post's channel is paused).
	waitFor(t, "the daemon to sleep", func() bool { return n.asked.Load() > 0 })
	if err := e.st.SetChannelPaused(ctx, "acme", false, ""); err != nil {
		t.Fatal(err)
	}
	asked := n.asked.Load()
	waitFor(t, "the daemon to ask its notifier again", func() bool { return n.asked.Load() >= asked+20 })
	if got := len(e.fakes["fake"].Posts()); got != 0 {
		t.Fatalf("published %d before the notifier reported a change: the daemon does not use Options.Changes", got)
	}
	n.changed.Store(true)
	waitFor(t, "the post to go out once the notifier reports a change", func() bool { return len(e.fakes["fake"].Posts()) == 1 })
}

// stopOnWatch ends the daemon's context the moment it starts watching, as a
// SIGINT arriving while the daemon starts does.
type stopOnWatch struct {
	switchNotifier
	stop context.CancelFunc
}

func (n *stopOnWatch) Watch(ctx context.Context) (calendar.ChangeWatch, error) {
	n.stop()
	return n.switchNotifier.Watch(ctx)
}

// A daemon stopped while it starts (before its first lease recovery) stops
// cleanly: Run returns nil, so `crieur daemon` exits 0 on Ctrl-C at start.
func TestRunStoppedWhileStartingIsACleanStop(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := e.scheduler(Options{Changes: &stopOnWatch{stop: cancel}})
	if err := s.Run(ctx); err != nil {
		t.Fatalf("Run stopped while starting: %v, want a clean stop", err)
	}
}
