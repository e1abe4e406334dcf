package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// A busy daemon claims a few deliveries ahead of its free slots and starts
// them as its calls end: it never makes more calls at once than its
// concurrency, never holds more leases than its calls, the outcomes it is
// recording (as many again at most) and aheadOf; each delivery goes out
// once, and one waiting ahead keeps its lease (shorter here than its wait
// plus its call).
func TestClaimAheadIsBoundedAndPublishesOnce(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake-unsafe", nil)
	f := e.fakes["fake-unsafe"]
	f.Latency = 150 * time.Millisecond
	const n = 24
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond) // within the channel's max lateness
	for i := range n {
		e.post(fmt.Sprintf("p%02d", i), base.Add(time.Duration(i)*time.Millisecond), "acme")
	}
	const concurrency = 4
	s := e.scheduler(Options{Owner: "host:1:ahead", Clock: RealClock, Concurrency: concurrency, Lease: 250 * time.Millisecond})
	if s.aheadOf() != 2 {
		t.Fatalf("aheadOf at concurrency %d = %d, want 2", concurrency, s.aheadOf())
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	most := 0 // the most deliveries leased at once
	eventually(t, "every delivery published", func() bool {
		sum, err := e.st.DeliverySummary(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, sum.Inflight)
		return sum.Counts[calendar.DeliveryPublished] == n
	})
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if got := f.MostAtOnce(); got != concurrency {
		t.Errorf("%d calls at once, want concurrency %d", got, concurrency)
	}
	if most > 2*concurrency+s.aheadOf() {
		t.Errorf("%d deliveries leased at once, more than concurrency %d calls + as many outcomes + %d ahead", most, concurrency, s.aheadOf())
	}
	if most < concurrency+s.aheadOf() {
		t.Errorf("at most %d deliveries leased at once: the daemon never claimed ahead", most)
	}
	calls := map[int64]int{}
	for _, p := range f.Posts() {
		calls[p.DeliveryID]++
	}
	for i := range n {
		d := e.delivery(fmt.Sprintf("p%02d", i), "acme")
		if calls[d.ID] != 1 || d.Attempts != 1 || d.Status != calendar.DeliveryPublished {
			t.Errorf("delivery %d: %d calls, %d attempts, %s (want one call, one attempt, published)", d.ID, calls[d.ID], d.Attempts, d.Status)
		}
	}
}

// A delivery claimed ahead that finds no free slot within aheadWait, or
// whose daemon stops, is given back: pending again at its time, the
// attempt not counted, never called by this daemon.
func TestClaimedAheadIsGivenBack(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake-unsafe", nil)
	f := e.fakes["fake-unsafe"]
	f.Latency = aheadWait + time.Second // no slot frees in time
	const n = 12
	due := map[int64]time.Time{}
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i := range n {
		at := base.Add(time.Duration(i) * time.Millisecond)
		e.post(fmt.Sprintf("p%02d", i), at, "acme")
		due[e.delivery(fmt.Sprintf("p%02d", i), "acme").ID] = at
	}
	s := e.scheduler(Options{Owner: "host:1:ahead", Clock: RealClock, Concurrency: 4})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	// The fifth oldest is the one claimed ahead (p04): 4 calls run, it waits.
	fifth := e.delivery("p04", "acme").ID
	eventually(t, "the delivery claimed ahead given back", func() bool {
		d, err := e.st.Delivery(context.Background(), fifth)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status == calendar.DeliveryPending && d.Attempts == 0 && d.LastError != ""
	})
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if len(f.Posts()) != 4 {
		t.Errorf("%d calls, want the 4 the slots allowed", len(f.Posts()))
	}
	called := map[int64]bool{}
	for _, p := range f.Posts() {
		called[p.DeliveryID] = true
	}
	for id, at := range due {
		d, err := e.st.Delivery(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case called[id]:
			if d.Status != calendar.DeliveryPublished {
				t.Errorf("delivery %d called, left %s", id, d.Status)
			}
		case d.Status != calendar.DeliveryPending || d.Attempts != 0 || d.LeaseOwner != "" || d.RunAt == nil || !d.RunAt.Equal(at):
			t.Errorf("delivery %d not called, left %s, %d attempts, lease %q, run at %v (want pending at %v, no attempt, no lease)",
				id, d.Status, d.Attempts, d.LeaseOwner, d.RunAt, at)
		}
	}
}

// A delivery waiting ahead whose lease another process took over (its
// renewal found it gone) is marked so, and the daemon does not start it.
func TestClaimedAheadWithLostLeaseIsNotStarted(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p", t0, "acme")
	s := e.scheduler(Options{Owner: "host:1:ahead", Lease: time.Minute})
	ctx := context.Background()
	claimed, _, err := s.claim(ctx, t0, 1, 0)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	id := claimed[0].ID
	if s.wasLost(id) {
		t.Fatal("a fresh claim reads as lost")
	}
	// Another process takes it over once the lease has run out.
	if taken, err := e.st.ClaimExpired(ctx, "host:2:other", t0.Add(2*time.Minute), time.Minute, 10); err != nil || len(taken) != 1 {
		t.Fatalf("takeover: %d, %v", len(taken), err)
	}
	s.extendLeases(ctx, t0.Add(2*time.Minute), s.inflightIDs())
	if !s.wasLost(id) {
		t.Errorf("delivery %d: its lease was taken over, but it is not marked lost (a daemon would start it)", id)
	}
	s.forget(id)
	if s.wasLost(id) {
		t.Errorf("delivery %d still marked lost once forgotten", id)
	}
}

// holdingStore holds every outcome batch until release is closed.
type holdingStore struct {
	calendar.Deliveries
	release chan struct{}
}

func (h *holdingStore) RecordOutcomes(ctx context.Context, owner string, rs []calendar.OutcomeRecord) ([]error, error) {
	<-h.release
	return h.Deliveries.RecordOutcomes(ctx, owner, rs)
}

// A slot frees when its call returns, not once its outcome is recorded:
// while the database holds the outcomes back, the daemon goes on calling
// until concurrency outcomes wait, then makes no more calls. A stop waits
// for the outcomes: once released, each is recorded, and each delivery
// went out once.
func TestSlotFreesWhenTheCallReturns(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake-unsafe", nil)
	f := e.fakes["fake-unsafe"]
	const n, concurrency = 12, 2
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	for i := range n {
		e.post(fmt.Sprintf("p%02d", i), base.Add(time.Duration(i)*time.Millisecond), "acme")
	}
	h := &holdingStore{Deliveries: e.st, release: make(chan struct{})}
	o := Options{Owner: "host:1:slots", Clock: RealClock, Concurrency: concurrency, Factory: e.factory(), Backoff: Backoff{Rand: func() float64 { return 0 }}}
	s := New(h, o)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	// 2 outcomes waiting to be recorded, 2 more calls made (their outcomes
	// wait for a free place), then none.
	eventually(t, "calls beyond the slots whose outcomes wait", func() bool { return len(f.Posts()) >= 2*concurrency })
	time.Sleep(300 * time.Millisecond)
	if got := len(f.Posts()); got != 2*concurrency {
		t.Errorf("%d calls while the outcomes were held, want %d (concurrency calls, then as many while their outcomes wait)", got, 2*concurrency)
	}
	cancel()
	select {
	case err := <-ran:
		t.Fatalf("the daemon stopped (%v) with outcomes not recorded", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(h.release)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	calls := map[int64]int{}
	for _, p := range f.Posts() {
		calls[p.DeliveryID]++
	}
	for i := range n {
		d := e.delivery(fmt.Sprintf("p%02d", i), "acme")
		switch {
		case calls[d.ID] > 1:
			t.Errorf("delivery %d called %d times", d.ID, calls[d.ID])
		case calls[d.ID] == 1 && d.Status != calendar.DeliveryPublished:
			t.Errorf("delivery %d called, left %s (its outcome lost)", d.ID, d.Status)
		case calls[d.ID] == 0 && (d.Status != calendar.DeliveryPending || d.LeaseOwner != ""):
			t.Errorf("delivery %d not called, left %s, lease %q (want pending, no lease)", d.ID, d.Status, d.LeaseOwner)
		}
	}
}
