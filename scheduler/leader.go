package scheduler

import (
	"context"
	"time"

	"github.com/crieur/crieur/calendar"
)

// One daemon at a time leads the daemons of a calendar: it holds the lease
// row calendar.LeaderMaintenance and runs the maintenance jobs (today the
// recovery of expired delivery leases); publishing runs on every daemon.
// Correctness does not rest on it (recovery takes each delivery in one
// statement), only the work done once instead of N times.
//
// The leader lease lasts half a delivery lease and is renewed every third
// of that: when the leader dies, another daemon leads within half a lease,
// before the dead daemon's delivery leases (a full lease) run out, so its
// deliveries are recovered as soon as they expire.

// leadTTL is how long the leader lease lasts unrenewed.
func (s *Scheduler) leadTTL() time.Duration { return max(s.o.Lease/2, 2*time.Millisecond) }

// Leading says whether this daemon leads at now: its last successful
// renewal runs past now. A daemon whose renewals fail stops leading when
// its lease would have run out, before another can take it over.
func (s *Scheduler) Leading(now time.Time) bool { return now.UnixMilli() < s.leadUntil.Load() }

// lead takes or renews the leader lease once; it says whether this daemon
// has just become the leader.
func (s *Scheduler) lead(ctx context.Context) (gained bool) {
	now := s.o.Clock.Now()
	was := s.Leading(now)
	ok, err := s.st.Lead(ctx, calendar.LeaderMaintenance, s.o.Owner, now, s.leadTTL())
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("leader lease", "err", err)
		}
		return false // leading, if at all, until the last renewal runs out
	}
	if !ok {
		s.leadUntil.Store(0)
		if was {
			s.log.Warn("no longer leading: another daemon holds the leader lease; maintenance jobs stop here")
		}
		return false
	}
	s.leadUntil.Store(now.Add(s.leadTTL()).UnixMilli())
	if !was {
		s.log.Info("leading: this daemon runs the maintenance jobs", "owner", s.o.Owner)
	}
	return !was
}

// keepLeading renews (or tries to take) the leader lease every third of
// it until ctx ends, calling gained when this daemon becomes the leader.
func (s *Scheduler) keepLeading(ctx context.Context, gained func()) {
	every := max(s.leadTTL()/3, time.Millisecond)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.o.Clock.After(every):
		}
		if s.lead(ctx) {
			gained()
		}
	}
}

// startLeading runs keepLeading until the returned stop is called; stop
// waits for it, then gives the lease up so another daemon leads at once.
func (s *Scheduler) startLeading(gained func()) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.keepLeading(ctx, gained)
	}()
	return func() {
		cancel()
		<-done
		if s.Leading(s.o.Clock.Now()) {
			s.leadUntil.Store(0)
			if err := s.st.Resign(context.Background(), calendar.LeaderMaintenance, s.o.Owner); err != nil {
				s.log.Error("giving the leader lease up", "err", err)
			}
		}
	}
}

// maintain is the maintenance job: run by the leader only.
func (s *Scheduler) maintain(ctx context.Context) {
	if !s.Leading(s.o.Clock.Now()) {
		return
	}
	if _, err := s.recoverExpired(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("lease recovery", "err", err)
	}
}

// fillAsLeader fills the evergreen slots when this daemon leads: a fill is
// idempotent (each slot time is filled once), but only one daemon should
// spend the work and log its skips.
func (s *Scheduler) fillAsLeader(ctx context.Context) {
	if !s.Leading(s.o.Clock.Now()) {
		return
	}
	if _, err := s.FillEvergreen(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("evergreen fill", "err", err)
	}
}
