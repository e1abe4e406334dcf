package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
)

// countingStore counts the maintenance job's work: lease recovery.
type countingStore struct {
	calendar.Deliveries
	recoveries atomic.Int32
}

func (c *countingStore) ClaimExpired(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]calendar.Delivery, error) {
	c.recoveries.Add(1)
	return c.Deliveries.ClaimExpired(ctx, owner, now, lease, limit)
}

// daemons starts n daemons (each on its own handle of e's calendar, the
// fake clock, the default lease) and stops them when the test ends.
func (e *env) daemons(n int) ([]*Scheduler, []*countingStore, []context.CancelFunc) {
	e.t.Helper()
	var ss []*Scheduler
	var cs []*countingStore
	var stops []context.CancelFunc
	for i := range n {
		h, err := sqlstore.Open(context.Background(), e.st.Path(), sqlstore.Options{})
		if err != nil {
			e.t.Fatal(err)
		}
		e.t.Cleanup(func() { h.Close() })
		c := &countingStore{Deliveries: h}
		s := New(c, Options{Owner: "host:" + string(rune('1'+i)) + ":live", Clock: e.clock, Factory: e.factory()})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		var once sync.Once
		stop := func() {
			once.Do(func() {
				cancel()
				if err := <-done; err != nil {
					e.t.Error(err)
				}
			})
		}
		e.t.Cleanup(stop)
		ss, cs, stops = append(ss, s), append(cs, c), append(stops, stop)
	}
	return ss, cs, stops
}

func (e *env) leader() string {
	e.t.Helper()
	l, ok, err := e.st.Leader(context.Background(), calendar.LeaderMaintenance)
	if err != nil {
		e.t.Fatal(err)
	}
	if !ok || !l.Until.After(e.clock.Now()) {
		return ""
	}
	return l.Holder
}

// step advances the fake clock by d in steps of a second, letting the
// daemons' goroutines turn after each.
func (e *env) step(d time.Duration) {
	for ; d > 0; d -= time.Second {
		e.clock.Advance(min(d, time.Second))
		time.Sleep(15 * time.Millisecond)
	}
}

// Of two daemons on one calendar one leads; the maintenance job, run by
// both at the same tick, does its work once (on the leader); a leader that
// stops cleanly gives the lease up and the other leads at its next try.
func TestOneLeaderRunsMaintenanceOnce(t *testing.T) {
	e := newEnv(t)
	ss, cs, stops := e.daemons(2)
	waitFor(t, "a leader", func() bool { return e.leader() != "" })
	waitFor(t, "both daemons to beat", func() bool {
		all, err := ReadHeartbeats(context.Background(), e.st)
		return err == nil && len(all) == 2
	})
	lead, other := 0, 1
	if e.leader() == ss[1].Owner() {
		lead, other = 1, 0
	}
	now := e.clock.Now()
	if !ss[lead].Leading(now) || ss[other].Leading(now) {
		t.Fatalf("leading: %v, %v; want exactly the lease holder %s", ss[0].Leading(now), ss[1].Leading(now), e.leader())
	}
	for tick := range 3 {
		before := [2]int32{cs[0].recoveries.Load(), cs[1].recoveries.Load()}
		for _, s := range ss { // the cron fires the job on every daemon at the same tick
			s.maintain(context.Background())
		}
		if got := cs[lead].recoveries.Load() - before[lead]; got != 1 {
			t.Errorf("tick %d: the leader recovered %d times, want 1", tick, got)
		}
		if got := cs[other].recoveries.Load() - before[other]; got != 0 {
			t.Errorf("tick %d: the other daemon recovered %d times, want 0", tick, got)
		}
	}
	stops[lead]()
	if h := e.leader(); h != "" {
		t.Fatalf("a daemon stopped cleanly still holds the leader lease: %s", h)
	}
	e.step(ss[other].leadTTL() / 3)
	waitFor(t, "the other daemon to lead", func() bool { return e.leader() == ss[other].Owner() })
}

// The leader dies (killed: it renews nothing more, gives nothing up) with a
// delivery in flight: another daemon leads before its delivery lease runs
// out, and recovers the delivery within a lease of its last renewal.
func TestLeaderDiesAnotherTakesOver(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	// What the dead leader left: its leader lease and a claim, both as just renewed.
	const dead = "host:9:dead"
	ttl := DefaultLease / 2
	if ok, err := e.st.Lead(ctx, calendar.LeaderMaintenance, dead, t0, ttl); err != nil || !ok {
		t.Fatalf("lead: %v %v", ok, err)
	}
	if res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: dead, Now: t0, Lease: DefaultLease, Limit: 1}); err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	ss, cs, _ := e.daemons(3)
	waitFor(t, "the daemons to beat", func() bool {
		all, err := ReadHeartbeats(ctx, e.st)
		return err == nil && len(all) == 3
	})
	e.step(ttl - time.Second)
	if h := e.leader(); h != dead {
		t.Fatalf("%s after the death: leader %q, want the dead one's lease still running", ttl-time.Second, h)
	}
	// Taken over within the leader lease and one try (a third of it).
	e.step(time.Second + ttl/3)
	var leader *Scheduler
	waitFor(t, "a live daemon to lead", func() bool {
		for _, s := range ss {
			if e.leader() == s.Owner() {
				leader = s
			}
		}
		return leader != nil
	})
	for _, s := range ss {
		if s != leader && s.Leading(e.clock.Now()) {
			t.Errorf("%s and %s both lead", s.Owner(), leader.Owner())
		}
	}
	// The delivery lease is the dead daemon's until it runs out…
	e.step(DefaultLease - (ttl + ttl/3))
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublishing || d.LeaseOwner != dead {
		t.Fatalf("taken over before its lease ran out: %s %s", d.Status, d.LeaseOwner)
	}
	// …then the leader recovers it (a wake-up poll later) and it is published.
	e.step(time.Second)
	waitFor(t, "the delivery to be recovered and published", func() bool {
		return e.delivery("p1", "acme").Status == calendar.DeliveryPublished
	})
	if h := e.history("p1"); !contains(h, "delivery.recovered") {
		t.Errorf("history %v lacks delivery.recovered", h)
	}
	var recovered uint64
	for i, s := range ss {
		n := s.counts.recovered.Load()
		recovered += n
		if n > 0 && s != leader {
			t.Errorf("%s recovered %d deliveries but does not lead", s.Owner(), n)
		}
		if s != leader && cs[i].recoveries.Load() > 0 {
			t.Errorf("%s ran lease recovery %d times but does not lead", s.Owner(), cs[i].recoveries.Load())
		}
	}
	if recovered != 1 {
		t.Errorf("%d recoveries across the daemons, want 1", recovered)
	}
}

// A daemon that is not the leader dies with a delivery in flight: the
// leader, already running among three, wakes when that lease runs out and
// settles it then — 30 s (DefaultLease) after the dead daemon's last lease
// write, not a cron period later — and the delivery is published.
func TestDeadDaemonsDeliveryRecoveredWithin30s(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	const dead = "host:8:dead" // claimed, then killed: its lease was last written at t0
	if res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: dead, Now: t0, Lease: DefaultLease, Limit: 1}); err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	ss, _, _ := e.daemons(3)
	waitFor(t, "a leader", func() bool { return e.leader() != "" })
	e.step(DefaultLease)
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublishing || d.LeaseOwner != dead {
		t.Fatalf("taken over before its lease ran out: %s %s", d.Status, d.LeaseOwner)
	}
	e.step(time.Second)
	waitFor(t, "the delivery recovered and published within a second of its lease's end", func() bool {
		return e.delivery("p1", "acme").Status == calendar.DeliveryPublished
	})
	if h := e.history("p1"); !contains(h, "delivery.recovered") {
		t.Errorf("history %v lacks delivery.recovered", h)
	}
	for _, s := range ss {
		if n := s.counts.recovered.Load(); n > 0 && e.leader() != s.Owner() {
			t.Errorf("%s, not the leader, recovered %d", s.Owner(), n)
		}
	}
}
