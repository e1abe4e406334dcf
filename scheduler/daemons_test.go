package scheduler

import (
	"context"
	"testing"

	"github.com/crieur/crieur/calendar/sqlstore"
)

// Two daemons on one calendar each beat their own heartbeat: both are
// listed, and the one that stops is marked stopped while the other runs on.
func TestEachDaemonHasItsOwnHeartbeat(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	other, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s1 := e.scheduler(Options{Owner: "h:1:one", Concurrency: 2})
	s2 := New(other, Options{Owner: "h:2:two", Concurrency: 3, Clock: e.clock, Factory: e.factory()})
	ctx1, stop1 := context.WithCancel(ctx)
	ctx2, stop2 := context.WithCancel(ctx)
	done1, done2 := make(chan error, 1), make(chan error, 1)
	go func() { done1 <- s1.Run(ctx1) }()
	go func() { done2 <- s2.Run(ctx2) }()
	defer func() { stop2(); <-done2 }()
	beats := func() map[string]Heartbeat {
		all, err := ReadHeartbeats(ctx, e.st)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]Heartbeat{}
		for _, hb := range all {
			m[hb.Owner] = hb
		}
		return m
	}
	waitFor(t, "both daemons to beat", func() bool { return len(beats()) == 2 })
	for owner, conc := range map[string]int{"h:1:one": 2, "h:2:two": 3} {
		hb := beats()[owner]
		if hb.Stopped || hb.Concurrency != conc || len(hb.Jobs) == 0 || hb.PID == 0 {
			t.Errorf("daemon %s heartbeat %+v, want running with concurrency %d and its jobs", owner, hb, conc)
		}
	}
	stop1()
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	got := beats()
	if !got["h:1:one"].Stopped || got["h:2:two"].Stopped {
		t.Errorf("after one stopped: one stopped=%v, two stopped=%v; want true, false", got["h:1:one"].Stopped, got["h:2:two"].Stopped)
	}
}
