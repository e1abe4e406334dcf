package scheduler

import (
	"context"
	"time"
)

// Leases are short (DefaultLease) so that a process that dies mid-call
// leaves its deliveries for at most that long; the live process keeps the
// leases of its calls in flight renewed, however long a call takes.

// extendLeases renews the leases of ids (calls in flight) to now+Lease and
// says which ones this process no longer holds: another process recovered
// them, so their outcome is recorded under ErrLeaseLost's rules (a
// publication still is; anything else is left to the recoverer).
func (s *Scheduler) extendLeases(ctx context.Context, now time.Time, ids []int64) {
	if len(ids) == 0 {
		return
	}
	lost, err := s.st.ExtendLeases(ctx, s.o.Owner, ids, now.Add(s.o.Lease))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("extending leases", "err", err)
		}
		return
	}
	for _, id := range lost {
		if !s.leaseLost(id) {
			continue // settled by this process meanwhile
		}
		s.log.Warn("lease lost while its call runs: another process took this delivery over", "delivery", id)
	}
}

// keepLeases renews the leases of calls in flight every third of a lease
// (by the scheduler's clock) until ctx ends: a renewal can fail twice
// before a lease runs out.
func (s *Scheduler) keepLeases(ctx context.Context) {
	every := max(s.o.Lease/3, time.Millisecond)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.o.Clock.After(every):
		}
		s.extendLeases(ctx, s.o.Clock.Now(), s.inflightIDs())
	}
}

// startLeaseKeeper runs keepLeases until the returned stop is called; stop
// waits for it to end.
func (s *Scheduler) startLeaseKeeper() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.keepLeases(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
