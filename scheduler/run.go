package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/robfig/cron/v3"
)

// Default cron specs of the daemon's recurring jobs.
const (
	DefaultRecoverSpec   = "@every 30s"
	DefaultSweepSpec     = "@every 1m"
	DefaultHeartbeatSpec = "@every 15s"
)

// Run is the daemon: it publishes each delivery as it falls due until ctx is
// canceled, then stops claiming, waits (up to Grace) for calls in flight,
// records them, and returns.
//
// It sleeps until the next runnable run_at or lease expiry, and wakes early
// when another process commits to the calendar (Options.Changes, polled every
// Poll, or at once when its watch is a calendar.ChangeSignal: PostgreSQL's
// LISTEN/NOTIFY), when a call ends, or when the safety sweep fires.
func (s *Scheduler) Run(ctx context.Context) error {
	s.started = s.o.Clock.Now()
	s.lastProgress.Store(s.started.UnixMilli())
	watcher, err := s.o.Changes.Watch(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // asked to stop before it started: a clean stop
		}
		return err
	}
	defer watcher.Close()
	var signal <-chan struct{} // nil (never ready) unless the watch signals changes
	if sw, ok := watcher.(calendar.ChangeSignal); ok {
		signal = sw.Signal()
	}
	// Calls outlive a stop request for Grace: a post half-sent is finished and recorded.
	calls, cancelCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelCalls()

	kick := make(chan struct{}, 1)
	poke := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	jobs := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	specs := []struct {
		name, spec, def string
		fn              func()
		leaderOnly      bool
	}{
		// Maintenance: the leader's alone (leader.go).
		{"lease-recovery", s.o.RecoverSpec, DefaultRecoverSpec, func() { s.maintain(ctx) }, true},
		{"safety-sweep", s.o.SweepSpec, DefaultSweepSpec, poke, false},
		{"heartbeat", s.o.HeartbeatSpec, DefaultHeartbeatSpec, func() { s.beat(ctx, jobs, false) }, false},
		{"evergreen-fill", s.o.FillSpec, DefaultFillSpec, func() { s.fillAsLeader(ctx) }, true},
	}
	s.jobs = map[cron.EntryID]Job{}
	for _, j := range specs {
		spec := j.spec
		if spec == "" {
			spec = j.def
		}
		if spec == "off" {
			continue
		}
		id, err := jobs.AddFunc(spec, j.fn)
		if err != nil {
			return fmt.Errorf("cron job %s %q: %w", j.name, spec, err)
		}
		s.jobs[id] = Job{Name: j.name, Spec: spec, LeaderOnly: j.leaderOnly}
	}
	jobs.Start()
	defer jobs.Stop()
	stopLeases := s.startLeaseKeeper()
	defer stopLeases()

	// Lead if no other daemon does; the leader settles what a crash left.
	s.lead(ctx)
	stopLeading := s.startLeading(poke)
	defer stopLeading()
	if s.Leading(s.o.Clock.Now()) {
		if _, err := s.recoverExpired(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting: a clean stop
			}
			return err
		}
	}
	s.beat(ctx, jobs, false)
	if w, ok := s.st.(interface {
		Warm(context.Context, int) error
	}); ok {
		// Connections made now, not by the first calls due (best effort).
		_ = w.Warm(ctx, s.o.Concurrency/2+2)
	}
	if s.o.FillSpec != "off" {
		s.fillAsLeader(ctx) // at start too: the calendar shows the coming week at once
	}
	s.log.Info("daemon started", "owner", s.o.Owner, "concurrency", s.o.Concurrency)

	done := make(chan struct{}, s.o.Concurrency)
	var wg sync.WaitGroup
	ticker := time.NewTicker(s.o.Poll)
	defer ticker.Stop()
	tick := ticker.C
	if signal != nil {
		// The watch says what may have made work due, at once: polling it
		// would wake the daemon for every other process's claims and
		// outcomes too (a herd: each daemon's commit woke all the others).
		tick = nil
	}
	inflight := 0
	// Claimed ahead of a free slot (aheadOf): a call that ends starts the
	// next one waiting in its own slot, the loop starts the rest.
	var ahead aheadQueue
	// A slot is a call to a network: it frees when the call returns, and
	// its outcome is recorded beside the next call (a commit took a tenth
	// of a slot's time on a busy PostgreSQL). At most Concurrency outcomes
	// wait to be recorded; then a slot waits for one before its next call.
	// Each stays leased and in flight until recorded, and a stop waits
	// for them as for the calls.
	recording := make(chan struct{}, s.o.Concurrency)
	start := func(d calendar.Delivery, pre *claimReads) {
		inflight++
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, out, nw := s.call(calls, d, pre)
				recording <- struct{}{}
				wg.Add(1)
				go func(d calendar.Delivery) {
					defer wg.Done()
					s.record(d, out, nw.Name, &r)
					<-recording
				}(d)
				if ctx.Err() != nil {
					break // stopping: what waits is given back below
				}
				q, ok := ahead.take(s)
				if !ok {
					break
				}
				d, pre = q.d, q.pre
				poke() // the loop tops up what waits ahead
			}
			done <- struct{}{}
		}()
	}
loop:
	for ctx.Err() == nil {
		now := s.o.Clock.Now()
		s.lastLoop.Store(now.UnixMilli())
	drain:
		for {
			select {
			case <-done:
				inflight--
			default:
				break drain
			}
		}
		for inflight < s.o.Concurrency {
			q, ok := ahead.take(s)
			if !ok {
				break
			}
			start(q.d, q.pre)
		}
		if at, ok := ahead.oldest(); ok && !now.Before(at.Add(aheadWait)) {
			s.giveBack(ctx, ahead.drain(), "claimed ahead, it found no free slot within "+aheadWait.String())
		}
		s.o.Metrics.setInflight(inflight)
		claimedAll := false
		// With a free slot nothing waits ahead (the slots took it above).
		// While every slot is busy, what waits ahead is topped up before it
		// runs out (topUp), not only once a call that ends finds it empty:
		// that slot would wait for this claim and its reads.
		free, want := s.o.Concurrency-inflight, s.aheadOf()
		if free == 0 {
			want = ahead.topUp(s.aheadOf())
		}
		if free > 0 || want > 0 {
			claimed, _, err := s.claimAhead(ctx, now, free, 0, want)
			if err != nil && ctx.Err() == nil {
				s.log.Error("claim", "err", err)
			}
			pre := s.readClaimed(ctx, claimed)
			for i, d := range claimed {
				if i < free {
					start(d, pre)
				} else {
					ahead.push(queued{d: d, pre: pre, at: now})
				}
			}
			claimedAll = free > 0 && len(claimed) >= free
		}
		var timer <-chan time.Time
		var run, lease *time.Time
		// A daemon with every slot busy waits for a call to end: when the
		// next delivery is due matters only once there is room, and expired
		// leases are the leader's. Not asking saves a busy daemon a query
		// per call.
		if inflight < s.o.Concurrency || s.Leading(now) {
			var err error
			run, lease, err = s.st.NextWake(ctx, now, s.skipping(now)...)
			if err != nil && ctx.Err() == nil {
				s.log.Error("next wake", "err", err)
			}
		}
		// Expired leases are the leader's to recover: the others do not
		// wake for them (the leader, once one, is poked awake).
		if !s.Leading(now) {
			lease = nil
		}
		// Expired means earlier than now, as ClaimExpired reads it. When
		// recovery fails, look again after a poll, not in a busy loop.
		if lease != nil && lease.Before(now) {
			_, err := s.recoverExpired(ctx)
			if err == nil {
				continue
			}
			if ctx.Err() == nil {
				s.log.Error("lease recovery", "err", err)
			}
		}
		next := lease
		if run != nil && inflight < s.o.Concurrency && (next == nil || run.Before(*next)) {
			next = run
		}
		if at, ok := s.skipEnds(now); ok && inflight < s.o.Concurrency && (next == nil || at.Before(*next)) {
			// A channel skipped as not here is claimed again then.
			next = &at
		}
		if at, ok := ahead.oldest(); ok {
			// What waits ahead is given back if no slot frees in time.
			if back := at.Add(aheadWait); next == nil || back.Before(*next) {
				next = &back
			}
		}
		if next != nil {
			d := next.Sub(now)
			if d <= 0 && claimedAll {
				continue // more is due and there was room: claim again at once
			}
			if d <= 0 {
				d = s.o.Poll // due yet not claimable (an error, or another daemon took it): look again shortly
			}
			timer = s.o.Clock.After(d)
		}
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-timer:
				continue loop
			case <-done:
				inflight--
				continue loop
			case <-kick:
				continue loop
			case <-signal:
				_, _ = watcher.Changed(ctx) // this change is seen now, not again at the next poll
				continue loop
			case <-tick:
				if changed, err := watcher.Changed(ctx); err != nil || changed {
					continue loop
				}
			}
		}
	}
	// What was claimed ahead is not started: another daemon takes it.
	s.giveBack(context.WithoutCancel(ctx), ahead.drain(), "claimed ahead, the daemon stopped before starting it")
	s.log.Info("stopping: no new claims; waiting for calls in flight", "in_flight", inflight, "grace", s.o.Grace.String())
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(s.o.Grace):
		s.log.Warn("grace period over: canceling calls in flight (recorded as retries, or held where the network cannot tell)")
		cancelCalls()
		<-finished
	}
	// No recurring job may run after the last heartbeat (a late beat would
	// mark a stopped daemon running): stop them, and wait for one under way.
	<-jobs.Stop().Done()
	s.beat(context.WithoutCancel(ctx), jobs, true)
	s.log.Info("daemon stopped", "published", s.counts.published.Load(), "failed", s.counts.failed.Load())
	return nil
}

// Report is what RunOnce did.
type Report struct {
	Results   []Result `json:"results"`
	Published int      `json:"published"`
	Retried   int      `json:"retried"`
	Failed    int      `json:"failed"`
	Held      int      `json:"held"`
	Missed    int      `json:"missed"`
	Paused    int      `json:"paused"`
	// NotHere counts the retries this process could not even try (a secret
	// it cannot read): left to another process, but this one needs fixing.
	NotHere int `json:"not_here"`
	// Held is what is due but held back by the kill switch or a paused
	// channel (not claimed, so not in Results).
	HeldByPause calendar.HeldDue `json:"held_by_pause"`
}

func (r *Report) add(res Result) {
	r.Results = append(r.Results, res)
	switch res.Outcome {
	case calendar.OutcomePublished:
		r.Published++
	case calendar.OutcomeRetry, calendar.OutcomeRecovered:
		r.Retried++
		if res.NotHere {
			r.NotHere++
		}
	case calendar.OutcomeFailed:
		r.Failed++
	case calendar.OutcomeHeld:
		r.Held++
	case calendar.OutcomeAuth:
		r.Paused++
	case calendar.DeliveryMissed:
		r.Missed++
	}
}

// RunOnce publishes what is due now (of one post when postID is set) and
// returns: `crieur publish --due`. It settles expired leases first, claims
// with the same claim as the daemon, and does not wait for retries (they are
// pending again, due later). A canceled ctx, or a failed claim, stops
// claiming; calls in flight finish and are recorded, and the claim's error is
// returned with the report. A ctx canceled before every due delivery was
// claimed is always reported as ctx.Err(), wherever the cancellation landed
// (between claims or during one), so a stopped run never looks complete.
func (s *Scheduler) RunOnce(ctx context.Context, postID int64) (Report, error) {
	var rep Report
	stopLeases := s.startLeaseKeeper()
	defer stopLeases()
	rec, err := s.recoverExpired(ctx)
	if err != nil {
		return rep, err
	}
	for _, r := range rec {
		rep.add(r)
	}
	now := s.o.Clock.Now()
	calls := context.WithoutCancel(ctx)
	results := make(chan Result, s.o.Concurrency)
	inflight := 0
	exhausted := false
	var claimErr error // reported once the calls in flight are recorded
	for {
		if !exhausted && ctx.Err() != nil {
			exhausted, claimErr = true, ctx.Err()
		}
		if !exhausted {
			free := s.o.Concurrency - inflight
			claimed, missed, err := s.claim(ctx, now, free, postID)
			if err != nil {
				if ctx.Err() != nil {
					err = ctx.Err()
				}
				exhausted, claimErr = true, err
			}
			for _, d := range missed {
				r := Result{DeliveryID: d.ID, Post: s.postSlug(ctx, d.PostID), Channel: d.Channel, Outcome: calendar.DeliveryMissed, Attempt: d.Attempts, Error: d.LastError}
				if d.RunAt != nil {
					r.Late = now.Sub(*d.RunAt).Round(time.Second).String()
				}
				rep.add(r)
			}
			pre := s.readClaimed(ctx, claimed)
			for _, d := range claimed {
				inflight++
				go func() { results <- s.deliver(calls, d, pre) }()
			}
			exhausted = exhausted || len(claimed) < free
		}
		if inflight == 0 {
			if claimErr == nil {
				held, err := s.st.HeldDeliveriesDue(context.WithoutCancel(ctx), now, postID)
				if err != nil {
					return rep, err
				}
				rep.HeldByPause = held
			}
			return rep, claimErr
		}
		rep.add(<-results)
		inflight--
	}
}

// Heartbeat is what each daemon writes to its row of the daemons table for `crieur status`.
type Heartbeat struct {
	Owner       string    `json:"owner"`
	Host        string    `json:"host"`
	PID         int       `json:"pid"`
	Started     time.Time `json:"started_at"`
	At          time.Time `json:"at"`
	Stopped     bool      `json:"stopped"`
	Concurrency int       `json:"concurrency"`
	InFlight    int       `json:"in_flight"`
	Published   uint64    `json:"published"`
	Retried     uint64    `json:"retried"`
	Failed      uint64    `json:"failed"`
	Held        uint64    `json:"held"`
	Missed      uint64    `json:"missed"`
	Recovered   uint64    `json:"recovered"`
	Jobs        []Job     `json:"jobs"`
}

// Job is one of the daemon's recurring jobs.
type Job struct {
	Name string    `json:"name"`
	Spec string    `json:"spec"`
	Next time.Time `json:"next"`
	// LeaderOnly: only the daemon that leads runs it (maintenance); the
	// others skip it when it comes.
	LeaderOnly bool `json:"leader_only,omitempty"`
}

// beat writes the heartbeat (the lease keeper, not the beat, renews the
// leases of calls in flight).
func (s *Scheduler) beat(ctx context.Context, jobs *cron.Cron, stopped bool) {
	now := s.o.Clock.Now()
	ids := s.inflightIDs()
	host, _ := os.Hostname()
	hb := Heartbeat{Owner: s.o.Owner, Host: host, PID: os.Getpid(), Started: s.started.UTC(), At: now.UTC(), Stopped: stopped,
		Concurrency: s.o.Concurrency, InFlight: len(ids), Published: s.counts.published.Load(), Retried: s.counts.retried.Load(),
		Failed: s.counts.failed.Load(), Held: s.counts.held.Load(), Missed: s.counts.missed.Load(), Recovered: s.counts.recovered.Load()}
	if !stopped {
		for _, e := range jobs.Entries() {
			j := s.jobs[e.ID]
			j.Next = e.Next.UTC()
			hb.Jobs = append(hb.Jobs, j)
		}
		if s.o.SideJobs != nil {
			hb.Jobs = append(hb.Jobs, s.o.SideJobs()...)
		}
	}
	row := calendar.DaemonRow{Owner: hb.Owner, Host: host, PID: hb.PID, Started: hb.Started, Beat: hb.At}
	if stopped {
		row.Stopped = &hb.At
	}
	jobsJSON, _ := json.Marshal(hb.Jobs)
	report, _ := json.Marshal(hb)
	row.Jobs, row.Report = string(jobsJSON), string(report)
	if err := s.st.BeatDaemon(ctx, row); err != nil && ctx.Err() == nil {
		s.log.Error("heartbeat", "err", err)
	}
}

// ReadHeartbeats decodes every daemon's last heartbeat, the latest first
// (daemons silent for a day are pruned).
func ReadHeartbeats(ctx context.Context, st calendar.Deliveries) ([]Heartbeat, error) {
	rows, err := st.Daemons(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Heartbeat, 0, len(rows))
	for _, r := range rows {
		var hb Heartbeat
		if err := json.Unmarshal([]byte(r.Report), &hb); err != nil {
			return nil, fmt.Errorf("daemon %s: heartbeat report: %w", r.Owner, err)
		}
		hb.Jobs = nil
		if err := json.Unmarshal([]byte(r.Jobs), &hb.Jobs); err != nil {
			return nil, fmt.Errorf("daemon %s: heartbeat jobs: %w", r.Owner, err)
		}
		hb.Owner, hb.Host, hb.PID, hb.Started, hb.At, hb.Stopped = r.Owner, r.Host, r.PID, r.Started, r.Beat, r.Stopped != nil
		out = append(out, hb)
	}
	return out, nil
}

// ReadHeartbeat decodes the latest heartbeat of any daemon; ok is false when
// no daemon ran on this calendar (for a day).
func ReadHeartbeat(ctx context.Context, st calendar.Deliveries) (Heartbeat, bool, error) {
	all, err := ReadHeartbeats(ctx, st)
	if err != nil || len(all) == 0 {
		return Heartbeat{}, false, err
	}
	return all[0], true, nil
}

// Health says whether the daemon is progressing: it is not when deliveries
// are overdue (due more than a minute ago on unpaused channels) and nothing
// was claimed or recorded for a minute, or when its loop stopped turning.
func (s *Scheduler) Health(ctx context.Context) (bool, string) {
	now := s.o.Clock.Now()
	if last := s.lastLoop.Load(); last != 0 && now.Sub(time.UnixMilli(last)) > 3*time.Minute {
		return false, "the scheduling loop has not turned for " + now.Sub(time.UnixMilli(last)).Round(time.Second).String()
	}
	overdue, err := s.st.OverdueCount(ctx, now)
	if err != nil {
		return false, "database: " + err.Error()
	}
	paused, _, err := s.st.PausedAll(ctx)
	if err != nil {
		return false, "database: " + err.Error()
	}
	if overdue > 0 && !paused {
		last := time.UnixMilli(s.lastProgress.Load())
		if now.Sub(last) > time.Minute {
			return false, "deliveries are overdue and none was published or claimed for a minute"
		}
	}
	// A pause is a person's choice, not a fault of the daemon (restarting it
	// would not help): healthy, but saying what it holds back.
	held, err := s.st.HeldDeliveriesDue(ctx, now, 0)
	if err != nil {
		return false, "database: " + err.Error()
	}
	if lines := held.Lines(); len(lines) > 0 {
		state := "ok"
		if paused {
			state = "paused"
		}
		return true, state + ": " + strings.Join(lines, "; ")
	}
	if paused {
		return true, "paused: the kill switch is on, nothing is due"
	}
	return true, "ok"
}
