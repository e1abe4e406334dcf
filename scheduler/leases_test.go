package scheduler

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
)

// armed counts the timers waiting on the clock.
func (c *fakeClock) armed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// A process that died mid-call leaves its delivery for at most ~30 s of
// clock time: then a live scheduler settles it by the usual rules.
func TestDeadOwnerRecoveredWithin30s(t *testing.T) {
	if DefaultLease > 30*time.Second {
		t.Fatalf("DefaultLease %v: a crash would leave deliveries for longer than 30s", DefaultLease)
	}
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	// What a daemon's claim does (the default lease), before it is killed.
	res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "host:1:dead", Now: t0, Lease: DefaultLease, Limit: 1})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	live := e.scheduler(Options{Owner: "host:2:live"})
	e.clock.Advance(DefaultLease - time.Second)
	if _, err := live.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublishing || d.LeaseOwner != "host:1:dead" {
		t.Fatalf("taken over before its lease ran out: %s %s", d.Status, d.LeaseOwner)
	}
	e.clock.Advance(time.Second + time.Millisecond)
	if _, err := live.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublished {
		t.Fatalf("%v after the crash: %s (%s), want recovered and published", DefaultLease+time.Millisecond, d.Status, d.LastError)
	}
	if h := e.history("p1"); !contains(h, "delivery.recovered") {
		t.Errorf("history %v lacks delivery.recovered", h)
	}
}

// A live process's slow call (six minutes of clock time, far past the
// lease) keeps its lease: no other process takes the delivery over, and the
// call's outcome is recorded as usual.
func TestSlowCallKeepsItsLease(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake-unsafe", nil)
	e.post("p1", t0, "acme")
	entered, release := make(chan struct{}), make(chan struct{})
	e.fakes["fake-unsafe"].Fail = func(publishers.Post, int) error {
		close(entered)
		<-release
		return nil
	}
	other, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s := e.scheduler(Options{Owner: "host:1:live"})
	done := make(chan Report, 1)
	go func() {
		rep, err := s.RunOnce(ctx, 0)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	<-entered
	every := DefaultLease / 3
	for range int(6 * time.Minute / every) {
		// The lease keeper is waiting on the clock; a third of a lease passes.
		waitFor(t, "the lease keeper to wait on the clock", func() bool { return e.clock.armed() > 0 })
		e.clock.Advance(every)
		now := e.clock.Now()
		waitFor(t, "the lease to be renewed", func() bool {
			d := e.delivery("p1", "acme")
			return d.LeaseExpiresAt != nil && !d.LeaseExpiresAt.Before(now.Add(DefaultLease))
		})
		// Another process looking for dead leases finds none.
		taken, err := other.ClaimExpired(ctx, "host:2:rescuer", now, DefaultLease, 10)
		if err != nil || len(taken) != 0 {
			t.Fatalf("at +%v a live call's delivery was taken over: %v %+v", now.Sub(t0), err, taken)
		}
	}
	close(release)
	rep := <-done
	if rep.Published != 1 {
		t.Errorf("report %+v, want 1 published", rep)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublished {
		t.Errorf("delivery %s (%s), want published", d.Status, d.LastError)
	}
	if h := e.history("p1"); contains(h, "delivery.lease_expired") || contains(h, "delivery.held") {
		t.Errorf("history %v: the live call lost its lease", h)
	}
}

// waitFor polls cond (real time) for a few seconds: for a goroutine of the
// scheduler to act on the fake clock.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// A lease that ran out anyway (the process froze past it, say) and was
// taken over: the renewal says so, and the call's outcome is recorded under
// ErrLeaseLost's rules: a publication still is; anything else is left to
// the process that took the delivery over.
func TestLeaseLostMidCall(t *testing.T) {
	for _, publish := range []bool{true, false} {
		t.Run(map[bool]string{true: "published", false: "failed"}[publish], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.channel("acme", "fake", nil)
			e.post("p1", t0, "acme")
			entered, release := make(chan struct{}), make(chan struct{})
			e.fakes["fake"].Fail = func(publishers.Post, int) error {
				close(entered)
				<-release
				if publish {
					return nil
				}
				return publishers.Transport(context.DeadlineExceeded)
			}
			other, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			h := &countHandler{n: map[string]int{}}
			s := e.scheduler(Options{Owner: "host:1:frozen", Log: slog.New(h)})
			done := make(chan Report, 1)
			go func() {
				rep, _ := s.RunOnce(ctx, 0)
				done <- rep
			}()
			<-entered
			// Another process, whose clock is past the lease, takes it over.
			taken, err := other.ClaimExpired(ctx, "host:2:rescuer", t0.Add(time.Hour), DefaultLease, 10)
			if err != nil || len(taken) != 1 {
				t.Fatalf("take-over: %v %+v", err, taken)
			}
			waitFor(t, "the lease keeper to wait on the clock", func() bool { return e.clock.armed() > 0 })
			e.clock.Advance(DefaultLease / 3)
			waitFor(t, "the renewal to report the lost lease", func() bool {
				return h.count("lease lost while its call runs: another process took this delivery over") == 1
			})
			close(release)
			rep := <-done
			d := e.delivery("p1", "acme")
			if publish {
				if d.Status != calendar.DeliveryPublished || rep.Published != 1 {
					t.Errorf("delivery %s, report %+v: the network's confirmation must be recorded", d.Status, rep)
				}
				return
			}
			if d.Status != calendar.DeliveryPublishing || d.LeaseOwner != "host:2:rescuer" {
				t.Errorf("delivery %s leased to %q: a lost lease's failure must not settle it", d.Status, d.LeaseOwner)
			}
			if len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Error, calendar.ErrLeaseLost.Error()) {
				t.Errorf("results %+v, want the lease lost reported", rep.Results)
			}
		})
	}
}

// The lease keeper renews the leases of the calls it saw in flight; a call
// whose outcome was recorded meanwhile has no lease left to renew, and that
// is no lost lease (a false warning sent people looking for a stalled
// daemon that was not there).
func TestSettledCallIsNoLostLease(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	h := &countHandler{n: map[string]int{}}
	s := e.scheduler(Options{Owner: "host:1:live", Log: slog.New(h)})
	res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "host:1:live", Now: t0, Lease: DefaultLease, Limit: 1})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	d := res.Claimed[0]
	s.track(res.Claimed)
	ids := s.inflightIDs() // what the keeper saw, before the outcome
	s.markSettling(d.ID)
	if err := e.st.RecordOutcome(ctx, d, "host:1:live", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "1"}); err != nil {
		t.Fatal(err)
	}
	s.extendLeases(ctx, t0, ids)
	if n := h.count("lease lost while its call runs: another process took this delivery over"); n != 0 {
		t.Errorf("%d lost-lease warnings for a call this process settled", n)
	}
	// Taken over for real (another process recovered it): still said.
	e.post("p2", t0, "acme")
	res, err = e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "host:1:live", Now: t0, Lease: DefaultLease, Limit: 1})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %+v", err, res)
	}
	s.track(res.Claimed)
	if _, err := e.st.ClaimExpired(ctx, "host:2:rescuer", t0.Add(time.Hour), DefaultLease, 10); err != nil {
		t.Fatal(err)
	}
	s.extendLeases(ctx, t0, s.inflightIDs())
	if n := h.count("lease lost while its call runs: another process took this delivery over"); n != 1 {
		t.Errorf("%d lost-lease warnings for a call taken over, want 1", n)
	}
}
