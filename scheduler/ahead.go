package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Claiming ahead. A busy daemon's calls end one at a time, and claiming
// for each free slot as it frees costs a claim (a transaction and the
// reads of its posts) per delivery. When more is due than the daemon can
// start, it claims a few more than its free slots (aheadOf), starts them
// as its calls end (one claim for several calls), and tops them up before
// they run out. They are claimed like any other (leased, counted in
// flight, their leases kept), only out of a backlog that leaves a peer's
// worth for the other daemons, and given back (pending again, the attempt
// not counted) when no slot frees within aheadWait, or when the daemon
// stops.

// aheadWait bounds how long a delivery claimed ahead waits for a slot.
const aheadWait = time.Second

// queued is a delivery claimed ahead, with what its claim read for it.
type queued struct {
	d   calendar.Delivery
	pre *claimReads
	at  time.Time // when it was claimed
}

// aheadOf is how many deliveries the daemon may claim ahead of its free
// slots: half its concurrency (none below 2).
func (s *Scheduler) aheadOf() int { return s.o.Concurrency / 2 }

// giveBack returns deliveries claimed ahead and not started: pending
// again at the time they were due (their lateness still counts from it),
// the attempt given back, their leases released.
func (s *Scheduler) giveBack(ctx context.Context, qs []queued, why string) {
	if len(qs) == 0 {
		return
	}
	batch := make([]*pendingOutcome, len(qs))
	for i, q := range qs {
		at := s.o.Clock.Now()
		if q.d.RunAt != nil {
			at = *q.d.RunAt
		}
		s.markSettling(q.d.ID)
		batch[i] = &pendingOutcome{rec: calendar.OutcomeRecord{Delivery: q.d, Outcome: calendar.Outcome{Kind: calendar.OutcomeRetry,
			NotTried: true, Class: "ahead", RetryAt: at, Error: why}}, done: make(chan error, 1)}
	}
	commitOutcomes(ctx, s, batch)
	for i, p := range batch {
		if err := <-p.done; err != nil {
			s.log.Error("giving back a delivery claimed ahead failed; its lease will expire and recovery will settle it",
				"delivery", qs[i].d.ID, "err", err)
		}
		s.forget(qs[i].d.ID)
	}
}

// aheadQueue holds what was claimed ahead, in claim order. A call that ends
// takes the next one at once, in its own slot (take): waiting for the
// daemon's loop to start it would add that loop's claim and reads, several
// round trips, to the slot's turn.
type aheadQueue struct {
	mu    sync.Mutex
	qs    []queued
	drawn bool // one was started since the last topUp
}

func (a *aheadQueue) push(q queued) {
	a.mu.Lock()
	a.qs = append(a.qs, q)
	a.mu.Unlock()
}

// take removes and returns the first delivery still this daemon's; one
// whose lease another process took over is forgotten (it is theirs).
func (a *aheadQueue) take(s *Scheduler) (queued, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for len(a.qs) > 0 {
		q := a.qs[0]
		a.qs = a.qs[1:]
		if !s.wasLost(q.d.ID) {
			a.drawn = true
			return q, true
		}
		s.forget(q.d.ID)
	}
	return queued{}, false
}

// topUp is how many to claim ahead while every slot is busy: none until
// half of most have been started (in claims of at least half of it), and
// none when nothing was started since the last top-up (what waits was
// given back: the slots are slow to free, and claiming it again at once
// would give it back again).
func (a *aheadQueue) topUp(most int) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	want := most - len(a.qs)
	if 2*want < most || !a.drawn {
		return 0
	}
	a.drawn = false
	return want
}

// oldest is when the first waiting delivery was claimed.
func (a *aheadQueue) oldest() (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.qs) == 0 {
		return time.Time{}, false
	}
	return a.qs[0].at, true
}

// drain removes and returns all that waits.
func (a *aheadQueue) drain() []queued {
	a.mu.Lock()
	defer a.mu.Unlock()
	qs := a.qs
	a.qs = nil
	return qs
}
