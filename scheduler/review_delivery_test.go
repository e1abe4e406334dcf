package scheduler

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// publish --due works through its claims one after another at the instant it
// started: a delivery claimed late in the run must still hold a full lease,
// or another daemon's lease recovery takes over a call in flight.
func TestReviewRunOnceLeasesFromEachClaim(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake-lookup", nil)
	first := e.post("first", t0, "a")
	e.post("second", t0, "a")
	taken := -1
	e.fakes["fake-lookup"].Fail = func(p publishers.Post, _ int) error {
		if p.Slug == first.Slug {
			e.clock.Advance(4 * time.Minute) // a slow first call
			return nil
		}
		// The second call is 2 minutes into a 5-minute lease when another
		// daemon looks for expired leases.
		ds, err := e.st.ClaimExpired(ctx, "other", e.clock.Now().Add(2*time.Minute), 5*time.Minute, 10)
		if err != nil {
			t.Error(err)
		}
		taken = len(ds)
		return nil
	}
	s := e.scheduler(Options{Concurrency: 1, Lease: 5 * time.Minute})
	rep, err := s.RunOnce(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Published != 2 {
		t.Fatalf("published %d, want 2: %+v", rep.Published, rep.Results)
	}
	if taken != 0 {
		t.Fatalf("another daemon took over %d deliveries still in flight", taken)
	}
}

// A process whose own lease ran out while its call still runs (the machine
// slept; the heartbeat did not extend it) must not settle that delivery as
// crashed: it would publish it a second time beside the call in flight.
func TestReviewRecoveryLeavesOwnCallsInFlight(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake-lookup", nil)
	e.post("p", t0, "a")
	s := e.scheduler(Options{Lease: time.Minute})
	claimed, _, err := s.claim(ctx, t0, 1, 0)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d (%v), want 1", len(claimed), err)
	}
	e.clock.Advance(2 * time.Minute)
	if rec, err := s.recoverExpired(ctx); err != nil || len(rec) != 0 {
		t.Fatalf("recovery settled %+v (%v) while its call is in flight", rec, err)
	}
	if rep, err := s.RunOnce(ctx, 0); err != nil || len(rep.Results) != 0 {
		t.Fatalf("a second run did %+v (%v), want nothing", rep.Results, err)
	}
	if r := s.deliver(ctx, claimed[0], nil); r.Outcome != calendar.OutcomePublished || r.Error != "" {
		t.Fatalf("the call in flight ended %s (%s)", r.Outcome, r.Error)
	}
	if n := len(e.fakes["fake-lookup"].Posts()); n != 1 {
		t.Fatalf("the network received %d posts, want 1", n)
	}
	if d := e.delivery("p", "a"); d.Status != calendar.DeliveryPublished {
		t.Fatalf("delivery %s, want published", d.Status)
	}
}

// lostReply is a network that posts, then loses the reply of the first
// attempts (a timeout after the request went out): the outcome is unknown.
type lostReply struct {
	*publishertest.Fake
	lose int
	err  error
	n    int
}

func (l *lostReply) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	res, err := l.Fake.Publish(ctx, p)
	if l.n++; err == nil && l.n <= l.lose {
		return publishers.Result{}, l.err
	}
	return res, err
}

// A failed call whose request may have reached the network is not posted
// again blindly: a lookup network looks first, an unsafe one is held.
func TestReviewUnknownOutcomeIsNotPostedTwice(t *testing.T) {
	timeout := publishers.Transport(context.DeadlineExceeded)
	refused := publishers.Transport(&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")})
	tests := []struct {
		name      string
		safety    publishers.RetrySafety
		lookup    bool
		err       error
		lose      int
		wantPosts int
		want      string // delivery status after two runs
	}{
		{"lookup network, reply lost", publishers.RetryLookup, true, timeout, 1, 1, calendar.DeliveryPublished},
		{"unsafe network, reply lost", publishers.RetryUnsafe, false, timeout, 1, 1, calendar.DeliveryHeld},
		{"unsafe network, 503", publishers.RetryUnsafe, false, &publishers.Error{Class: publishers.Transient, Status: 503}, 0, 1, calendar.DeliveryPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			fake := &publishertest.Fake{}
			if tt.lose == 0 {
				fake.Fail = func(_ publishers.Post, n int) error {
					if n == 1 {
						return tt.err
					}
					return nil
				}
			}
			var pub publishers.Publisher = &lostReply{Fake: fake, lose: tt.lose, err: tt.err}
			if !tt.lookup {
				pub = struct{ publishers.Publisher }{pub} // no Find
			}
			nw := publishers.Network{Name: "net", Safety: tt.safety, New: func(publishers.Config) (publishers.Publisher, error) { return pub, nil }}
			e.channel("a", "net", nil)
			e.post("p", t0, "a")
			s := e.scheduler(Options{Factory: Factory{Lookup: func(string) (publishers.Network, error) { return nw, nil }}})
			for range 2 {
				if _, err := s.RunOnce(context.Background(), 0); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Hour)
			}
			if n := len(fake.Posts()); n != tt.wantPosts {
				t.Errorf("the network received %d posts, want %d", n, tt.wantPosts)
			}
			if d := e.delivery("p", "a"); d.Status != tt.want {
				t.Errorf("delivery %s (%s), want %s", d.Status, d.LastError, tt.want)
			}
		})
	}
	// A refused connection never reached the network: retried, even unsafe.
	e := newEnv(t)
	e.fakes["fake-unsafe"].Fail = func(_ publishers.Post, n int) error {
		if n == 1 {
			return refused
		}
		return nil
	}
	e.channel("a", "fake-unsafe", nil)
	e.post("p", t0, "a")
	s := e.scheduler(Options{})
	for range 2 {
		if _, err := s.RunOnce(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Hour)
	}
	if d := e.delivery("p", "a"); d.Status != calendar.DeliveryPublished || len(e.fakes["fake-unsafe"].Posts()) != 1 {
		t.Errorf("refused connection: delivery %s, %d posts; want published once", d.Status, len(e.fakes["fake-unsafe"].Posts()))
	}
}

// publish --due must not report success when a claim failed while other
// calls were in flight: its exit status is what a cron job checks.
func TestReviewRunOnceReportsALaterClaimError(t *testing.T) {
	e := newEnv(t)
	e.channel("a", "fake", nil)
	e.post("first", t0, "a")
	e.post("second", t0, "a")
	dropped := make(chan struct{})
	fake := e.fakes["fake"]
	fake.OnPublish = func(p publishers.Post) {
		if p.Slug != "first" {
			return
		}
		// The database breaks under the run: the next claim fails while
		// the other call is still in flight.
		defer close(dropped)
		// A raw connection of the test's own: it needs the store's busy timeout
		// too, or its DROP races the daemon's writes.
		db, err := sql.Open("sqlite", "file:"+e.st.Path()+"?_pragma=busy_timeout(15000)")
		if err != nil {
			t.Error(err)
			return
		}
		defer db.Close()
		if _, err := db.Exec(`DROP TABLE blackouts`); err != nil {
			t.Error(err)
		}
	}
	// The second call waits for the break, outside the fake's lock.
	slow := &waitFirst{Fake: fake, wait: dropped}
	nw := publishers.Network{Name: "fake", Safety: publishers.RetryIdempotent, New: func(publishers.Config) (publishers.Publisher, error) { return slow, nil }}
	s := e.scheduler(Options{Concurrency: 2, Factory: Factory{Lookup: func(string) (publishers.Network, error) { return nw, nil }}})
	rep, err := s.RunOnce(context.Background(), 0)
	if err == nil {
		t.Fatalf("RunOnce succeeded after a failed claim: %+v", rep)
	}
	if rep.Published != 2 {
		t.Errorf("published %d, want both calls in flight reported", rep.Published)
	}
}

// waitFirst holds every post but "first" until wait is closed.
type waitFirst struct {
	*publishertest.Fake
	wait chan struct{}
}

func (w *waitFirst) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	if p.Slug != "first" {
		<-w.wait
	}
	return w.Fake.Publish(ctx, p)
}

// countHandler counts log records by message.
type countHandler struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.n[r.Message]++
	h.mu.Unlock()
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }
func (h *countHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[msg]
}

// A lease recovery that keeps failing (the database refuses its writes) is
// tried again after a poll, not in a busy loop that burns a core and floods
// the log.
func TestReviewDaemonDoesNotSpinOnFailedRecovery(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake", nil)
	e.post("p", t0, "a")
	// Another daemon claimed it, then died.
	if r, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "dead", Now: t0, Lease: time.Minute, Limit: 1}); err != nil || len(r.Claimed) != 1 {
		t.Fatalf("claim: %v %v", r, err)
	}
	h := &countHandler{n: map[string]int{}}
	s := e.scheduler(Options{Poll: 20 * time.Millisecond, Log: slog.New(h)})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	eventually(t, "the daemon loop turning", func() bool { return s.lastLoop.Load() != 0 })
	// A raw connection of the test's own: it needs the store's busy timeout
	// too, or its DROP races the daemon's writes.
	db, err := sql.Open("sqlite", "file:"+e.st.Path()+"?_pragma=busy_timeout(15000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DROP TABLE events`); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute) // the dead daemon's lease expires
	eventually(t, "a failed recovery", func() bool { return h.count("lease recovery") > 0 })
	time.Sleep(200 * time.Millisecond) // measure the retry rate, not a schedule
	cancel()
	<-done
	if n := h.count("lease recovery"); n > 50 {
		t.Fatalf("%d failed recoveries in about 200ms: a busy loop", n)
	}
}
