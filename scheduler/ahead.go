package scheduler

import (
	"context"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Claiming ahead. A busy daemon's calls end one at a time, and claiming
// for each free slot as it frees costs a claim (a transaction and the
// reads of its posts) per delivery. When more is due than the daemon can
// start, it claims a few more than its free slots (aheadOf) and starts
// them as its calls end: one claim for several calls. They are claimed
// like any other (leased, counted in flight, their leases kept), only out
// of a backlog that leaves a peer's worth for the other daemons, and
// given back (pending again, the attempt not counted) when no slot frees
// within aheadWait, or when the daemon stops.

// aheadWait bounds how long a delivery claimed ahead waits for a slot.
const aheadWait = time.Second

// queued is a delivery claimed ahead, with what its claim read for it.
type queued struct {
	d   calendar.Delivery
	pre *claimReads
	at  time.Time // when it was claimed
}

// aheadOf is how many deliveries the daemon may claim ahead of its free
// slots: a quarter of its concurrency (none below 4).
func (s *Scheduler) aheadOf() int { return s.o.Concurrency / 4 }

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
