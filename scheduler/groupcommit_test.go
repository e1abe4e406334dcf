package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

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
