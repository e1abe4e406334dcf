package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// batchingStore records how outcomes reach the store; the first batch
// waits on hold (so that others queue behind it), and fail makes batches
// of more than one fail.
type batchingStore struct {
	calendar.Deliveries
	mu      sync.Mutex
	batches []int // size of each RecordOutcomes call
	singles int   // RecordOutcome calls
	hold    chan struct{}
	entered chan struct{}
	fail    bool
}

func (b *batchingStore) RecordOutcomes(ctx context.Context, owner string, rs []calendar.OutcomeRecord) ([]error, error) {
	b.mu.Lock()
	b.batches = append(b.batches, len(rs))
	first := len(b.batches) == 1
	fail := b.fail && len(rs) > 1
	b.mu.Unlock()
	if first && b.hold != nil {
		close(b.entered)
		<-b.hold
	}
	if fail {
		return nil, errors.New("database is locked")
	}
	return b.Deliveries.RecordOutcomes(ctx, owner, rs)
}

func (b *batchingStore) RecordOutcome(ctx context.Context, d calendar.Delivery, owner string, o calendar.Outcome) error {
	b.mu.Lock()
	b.singles++
	b.mu.Unlock()
	return b.Deliveries.RecordOutcome(ctx, d, owner, o)
}

// Calls that end while an outcome is being committed share the next
// commit; each still learns its own result, and every delivery ends as it
// would one by one. When a batch cannot be written, each outcome is
// written on its own: none is lost.
func TestOutcomesOfCallsEndingTogetherShareACommit(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(map[bool]string{false: "batched", true: "batch-fails"}[fail], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.channel("acme", "fake", nil)
			const n = 8
			for i := range n {
				e.post(fmt.Sprintf("p%d", i), t0, "acme")
			}
			b := &batchingStore{Deliveries: e.st, hold: make(chan struct{}), entered: make(chan struct{}), fail: fail}
			s := New(b, Options{Owner: "host:1:live", Clock: e.clock, Factory: e.factory()})
			res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "host:1:live", Now: t0, Lease: DefaultLease, Limit: n})
			if err != nil || len(res.Claimed) != n {
				t.Fatalf("claim: %v %d", err, len(res.Claimed))
			}
			s.track(res.Claimed)
			results := make([]Result, n)
			var wg sync.WaitGroup
			record := func(i int) {
				defer wg.Done()
				d := res.Claimed[i]
				s.record(d, calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprint("r", d.ID)}, "fake", &results[i])
			}
			wg.Add(1)
			go record(0)
			<-b.entered // the first outcome is being committed
			for i := 1; i < n; i++ {
				wg.Add(1)
				go record(i)
			}
			waitFor(t, "the other outcomes to queue", func() bool {
				s.outcomes.mu.Lock()
				defer s.outcomes.mu.Unlock()
				return len(s.outcomes.queue) == n-1
			})
			close(b.hold)
			wg.Wait()
			b.mu.Lock()
			batches, singles := fmt.Sprint(b.batches), b.singles
			b.mu.Unlock()
			want, wantSingles := fmt.Sprint([]int{1, n - 1}), 0
			if fail {
				// The first was alone (the store was asked once, with one); the
				// failed batch of 7 is written one by one.
				want, wantSingles = fmt.Sprint([]int{1, n - 1}), n-1
			}
			if batches != want || singles != wantSingles {
				t.Errorf("batches %s and %d single writes, want %s and %d", batches, singles, want, wantSingles)
			}
			for i, d := range res.Claimed {
				p, err := e.st.Post(ctx, strconv.FormatInt(d.PostID, 10))
				if err != nil {
					t.Fatal(err)
				}
				got := p.Deliveries[0]
				if got.Status != calendar.DeliveryPublished || got.RemoteID != fmt.Sprint("r", d.ID) {
					t.Errorf("delivery %d: %s %q", d.ID, got.Status, got.RemoteID)
				}
				if results[i].Error != "" {
					t.Errorf("result %d: %s", i, results[i].Error)
				}
			}
			if s.counts.published.Load() != n {
				t.Errorf("%d counted published, want %d", s.counts.published.Load(), n)
			}
			if ids := s.inflightIDs(); len(ids) != 0 {
				t.Errorf("still in flight: %v", ids)
			}
		})
	}
}

// gatedStore holds its n-th outcome batch until gates[n] is closed.
type gatedStore struct {
	calendar.Deliveries
	mu    sync.Mutex
	calls int
	gates []chan struct{}
}

func (g *gatedStore) RecordOutcomes(ctx context.Context, owner string, rs []calendar.OutcomeRecord) ([]error, error) {
	g.mu.Lock()
	n := g.calls
	g.calls++
	g.mu.Unlock()
	if n < len(g.gates) {
		<-g.gates[n]
	}
	return g.Deliveries.RecordOutcomes(ctx, owner, rs)
}

// A call whose outcome is committed returns then, even while the outcomes
// that arrived during its commit are still being committed: it does not
// commit them itself (on a busy daemon, that kept its slot from the next
// call for as long as outcomes kept coming).
func TestRecordReturnsOnceItsOwnBatchIsCommitted(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p0", t0, "acme")
	e.post("p1", t0, "acme")
	g := &gatedStore{Deliveries: e.st, gates: []chan struct{}{make(chan struct{}), make(chan struct{})}}
	s := New(g, Options{Owner: "host:1:live", Clock: e.clock, Factory: e.factory()})
	res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "host:1:live", Now: t0, Lease: DefaultLease, Limit: 2})
	if err != nil || len(res.Claimed) != 2 {
		t.Fatalf("claim: %v %d", err, len(res.Claimed))
	}
	s.track(res.Claimed)
	done := make([]chan struct{}, 2)
	for i, d := range res.Claimed {
		done[i] = make(chan struct{})
		if i == 1 {
			waitFor(t, "the first outcome's commit to start", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.calls == 1 })
		}
		go func() {
			var r Result
			s.record(d, calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprint("r", d.ID)}, "fake", &r)
			close(done[i])
		}()
	}
	waitFor(t, "the second outcome to queue", func() bool {
		s.outcomes.mu.Lock()
		defer s.outcomes.mu.Unlock()
		return len(s.outcomes.queue) == 1
	})
	close(g.gates[0]) // the first batch commits; the second is held
	select {
	case <-done[0]:
	case <-time.After(5 * time.Second):
		t.Fatal("the first call waited for the second outcome's commit")
	}
	select {
	case <-done[1]:
		t.Fatal("the second call returned before its outcome was committed")
	default:
	}
	close(g.gates[1])
	<-done[1]
	for _, d := range res.Claimed {
		got, err := e.st.Delivery(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != calendar.DeliveryPublished {
			t.Errorf("delivery %d: %s", d.ID, got.Status)
		}
	}
}
