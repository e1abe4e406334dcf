// Package scheduler publishes due deliveries: it claims them from the
// calendar under a lease, calls each channel's publisher, records the
// outcome, retries with backoff, pauses a channel whose credentials are
// refused, and settles deliveries a crash left in flight. The daemon (Run)
// and `publish --due` (RunOnce) share every step of that path.
package scheduler

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/robfig/cron/v3"
)

// Defaults of Options.
const (
	DefaultConcurrency = 4
	DefaultMaxAttempts = 8
	DefaultLease       = 30 * time.Second
	DefaultCallTimeout = 2 * time.Minute
	DefaultPoll        = 200 * time.Millisecond
	DefaultGrace       = 30 * time.Second
)

// Options configure a Scheduler. Zero values take the defaults above.
type Options struct {
	// Owner names this process in leases and events; default host:pid:random.
	Owner       string
	Concurrency int
	// MaxAttempts bounds transient failures; rate-limited attempts may run to
	// three times as many (a network asking to wait is not a broken post).
	MaxAttempts int
	Backoff     Backoff
	// Lease is how long a claim holds; in-flight claims are extended every
	// third of it while their call runs, so only a dead (or frozen) process
	// lets one expire, and its deliveries are recovered a lease later.
	Lease time.Duration
	// CallTimeout bounds one network call.
	CallTimeout time.Duration
	// Poll is how often the daemon asks Changes whether another process
	// changed the calendar (SQLite: PRAGMA data_version, cheap).
	Poll time.Duration
	// Changes tells the daemon that another process changed the calendar
	// (asked every Poll); nil means the store's own (SQLite: data_version).
	Changes calendar.ChangeNotifier
	// Grace bounds how long a stopping daemon waits for in-flight calls.
	Grace   time.Duration
	Clock   Clock
	Factory Factory
	Log     *slog.Logger
	Metrics *Metrics
	// Cron specs (robfig/cron, with seconds-free specs or @every) of the
	// recurring jobs; empty takes the default.
	RecoverSpec, SweepSpec, HeartbeatSpec string
	// SideJobs, when set, lists the recurring jobs run beside the
	// scheduler's own (the daemon's stats collector): each heartbeat lists
	// them after its own, so that `crieur status` shows them alike.
	SideJobs func() []Job
	// FillSpec is the evergreen fill's cron spec (DefaultFillSpec when
	// empty; "off" disables it); FillHorizon how far ahead it fills
	// (calendar.DefaultFillHorizon when 0); FillCheck what a recycled copy
	// must pass (network validation, editorial rules) to be written.
	FillSpec    string
	FillHorizon time.Duration
	FillCheck   func(calendar.Post) error
}

// Scheduler publishes the deliveries of one calendar.
type Scheduler struct {
	st  calendar.Deliveries
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	pubs     map[int64]cachedPub
	inflight map[int64]calendar.Delivery
	settling map[int64]bool // in flight, their outcome being recorded
	lost     map[int64]bool // in flight, their lease taken over (a call claimed ahead is then not started)
	// notHere holds the channels this process found it cannot publish to
	// (a secret it cannot read), each until when its claims skip them.
	notHere  map[int64]time.Time
	outcomes groupCommit

	started      time.Time
	jobs         map[cron.EntryID]Job // the daemon's recurring jobs, named
	lastLoop     atomic.Int64         // unix ms of the daemon loop's last turn
	lastProgress atomic.Int64         // unix ms of the last claim or record
	leadUntil    atomic.Int64         // unix ms: this daemon leads until then (leader.go)
	counts       counters
}

type cachedPub struct {
	updated time.Time
	pub     publishers.Publisher
	nw      publishers.Network
}

type counters struct {
	published, retried, failed, held, missed, recovered, paused atomic.Uint64
}

// New builds a scheduler on a store. The store's clock is set to the
// scheduler's, so events and claims agree on the time.
func New(st calendar.Deliveries, o Options) *Scheduler {
	if o.Owner == "" {
		o.Owner = DefaultOwner()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = DefaultCallTimeout
	}
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Clock == nil {
		o.Clock = RealClock
	}
	if o.Changes == nil {
		o.Changes = st
	}
	if o.Factory.Now == nil {
		o.Factory.Now = o.Clock.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	st.UseClock(o.Clock.Now)
	return &Scheduler{st: st, o: o, log: o.Log, pubs: map[int64]cachedPub{}, inflight: map[int64]calendar.Delivery{}, settling: map[int64]bool{}, lost: map[int64]bool{}, notHere: map[int64]time.Time{}}
}

// DefaultOwner is host:pid:random, unique per process.
func DefaultOwner() string {
	host, _ := os.Hostname()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// Owner is the name this scheduler's leases carry.
func (s *Scheduler) Owner() string { return s.o.Owner }

// Result is what became of one delivery in a RunOnce (or a daemon's step).
type Result struct {
	DeliveryID int64     `json:"delivery_id"`
	Post       string    `json:"post"`
	Channel    string    `json:"channel"`
	Outcome    string    `json:"outcome"` // published, retry, failed, held, auth, recovered, missed
	Attempt    int       `json:"attempt"`
	RemoteID   string    `json:"remote_id,omitempty"`
	RemoteURL  string    `json:"remote_url,omitempty"`
	RetryAt    time.Time `json:"retry_at,omitzero"`
	Error      string    `json:"error,omitempty"`
	Late       string    `json:"late,omitempty"`
	// Behind is how long after its planned time the delivery was called,
	// when it ran later than planned (a retry, a recovery, a rate limit,
	// a process that could not publish it): Late counts from the run.
	Behind string `json:"behind,omitempty"`
	// NotHere: this process could not try (a secret it cannot read).
	NotHere bool `json:"not_here,omitempty"`
}

// deliver publishes one claimed delivery and records the outcome. It never
// returns without recording something (or leaving the lease to expire, when
// the database itself refuses, so that recovery settles it).
func (s *Scheduler) deliver(calls context.Context, d calendar.Delivery, pre *claimReads) Result {
	r, out, nw := s.call(calls, d, pre)
	s.record(d, out, nw.Name, &r)
	return r
}

// call is deliver's call to the network, without recording its outcome:
// the daemon frees the call's slot before it records (Run).
func (s *Scheduler) call(calls context.Context, d calendar.Delivery, pre *claimReads) (Result, calendar.Outcome, publishers.Network) {
	r := Result{DeliveryID: d.ID, Channel: d.Channel, Attempt: d.Attempts}
	if d.RunAt != nil {
		now := s.o.Clock.Now()
		late := now.Sub(*d.RunAt)
		r.Late = late.Round(time.Millisecond).String()
		s.o.Metrics.observeLateness(late)
		if d.DueAt != nil && d.RunAt.After(*d.DueAt) {
			r.Behind = now.Sub(*d.DueAt).Round(time.Millisecond).String()
		}
	}
	out, nw := s.attempt(calls, d, &r, pre)
	return r, out, nw
}

// attempt renders and publishes; it turns every failure, a panic included,
// into an outcome.
func (s *Scheduler) attempt(calls context.Context, d calendar.Delivery, r *Result, pre *claimReads) (calendar.Outcome, publishers.Network) {
	ctx, cancel := context.WithTimeout(calls, s.o.CallTimeout)
	defer cancel()
	ch, err := pre.channel(ctx, s.st, d.ChannelID)
	if err != nil {
		return s.retryOutcome(d, err), publishers.Network{}
	}
	pub, nw, err := s.publisher(ctx, ch)
	if err != nil {
		// Not tried, or the channel paused: the log line still names the
		// post (best effort: the post is read as the claim read it).
		if p, _, perr := pre.post(ctx, s.st, d.PostID); perr == nil {
			r.Post = p.Slug
		}
	}
	if errors.Is(err, calendar.ErrSecretNotHere) {
		// This process lacks what another may have (an environment
		// variable, a file, the calendar's key): pausing the channel would
		// stop every daemon. The delivery is given back due now, for a
		// process that can publish it to take at once; this one leaves the
		// channel's deliveries alone for notHereRetry (skipNotHere), then
		// tries again (its configuration may have been fixed meanwhile).
		// The channel is skipped before the outcome frees the delivery, so
		// this process cannot take it back at once.
		s.skipNotHere(d.ChannelID)
		return calendar.Outcome{Kind: calendar.OutcomeRetry, NotTried: true, Class: "config", RetryAt: s.o.Clock.Now(),
			Error: fmt.Sprintf("%s cannot publish to %s from here (%v): it is left to a process that can; to publish from this one, set it up here", s.o.Owner, ch.Name, err)}, nw
	}
	if err != nil {
		// A missing secret or an unknown network will not mend by itself.
		return calendar.Outcome{Kind: calendar.OutcomeAuth, Class: "config", Error: err.Error(),
			PauseReason: fmt.Sprintf("cannot build the publisher (%v): fix it with `crieur channel edit %s …`, then `crieur resume %s`", err, ch.Name, ch.Name)}, nw
	}
	post, err := s.render(ctx, d, ch, pre)
	if err != nil {
		return s.retryOutcome(d, err), nw
	}
	r.Post = post.Slug
	// A thread an earlier attempt cut short resumes after its live parts,
	// and each part is recorded the moment the network confirms it.
	if post.Live, err = pre.liveParts(ctx, s, d); err != nil {
		return s.retryOutcome(d, err), nw
	}
	post.OnPart = func(p publishers.PartResult) error { return s.recordPart(ctx, d, p) }
	if problems := pub.Validate(post); len(problems) > 0 {
		msg := ""
		for i, p := range problems {
			if i > 0 {
				msg += "; "
			}
			msg += p.String()
		}
		return calendar.Outcome{Kind: calendar.OutcomeFailed, Class: publishers.Permanent.String(), Error: msg}, nw
	}
	finder, unsafe := nw.RetryGuard(pub)
	if finder != nil && d.Attempts > 1 {
		// An earlier attempt's reply may have been lost after the post went
		// out: look before posting again.
		res, found, err := finder.Find(ctx, post)
		if err != nil {
			if class, _ := publishers.Classify(err); class == publishers.Auth {
				return s.failure(d, nw, ch, err, false), nw
			}
			return s.retryOutcome(d, fmt.Errorf("looking for an earlier attempt: %w", err)), nw
		}
		if found {
			return calendar.Outcome{Kind: calendar.OutcomePublished, Found: true, RemoteID: res.RemoteID, RemoteURL: res.RemoteURL, PublishedAt: res.PublishedAt}, nw
		}
		// The lookup may have found a thread cut short, and recorded its
		// live parts: the post resumes after them.
		if post.Live, err = s.liveParts(ctx, d); err != nil {
			return s.retryOutcome(d, err), nw
		}
	}
	res, err := safePublish(ctx, pub, post)
	if err == nil {
		return calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: res.RemoteID, RemoteURL: res.RemoteURL, PublishedAt: res.PublishedAt}, nw
	}
	out := s.failure(d, nw, ch, err, unsafe)
	// A thread cut short comes back with its first part, which is live: the
	// calendar keeps its id.
	out.RemoteID, out.RemoteURL = res.RemoteID, res.RemoteURL
	return out, nw
}

// notHereRetry is how long a process that found it cannot publish to a
// channel (a secret it cannot read) leaves that channel's deliveries to the
// other processes before it claims them again: a lone process tries once
// per notHereRetry, as a fixed configuration is picked up.
const notHereRetry = time.Minute

// skipNotHere has this process's claims skip channel id's deliveries for
// notHereRetry (by the scheduler's clock).
func (s *Scheduler) skipNotHere(id int64) {
	until := s.o.Clock.Now().Add(notHereRetry)
	s.mu.Lock()
	s.notHere[id] = until
	s.mu.Unlock()
}

// skipping lists the channels this process's claims skip at now (sorted),
// and forgets those whose time has passed.
func (s *Scheduler) skipping(now time.Time) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id, until := range s.notHere {
		if !now.Before(until) {
			delete(s.notHere, id)
			continue
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// skipEnds is the earliest instant after now at which a channel this
// process skips is claimed again: the daemon wakes then, for what is due
// on it.
func (s *Scheduler) skipEnds(now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first time.Time
	for _, until := range s.notHere {
		if until.After(now) && (first.IsZero() || until.Before(first)) {
			first = until
		}
	}
	return first, !first.IsZero()
}

// postSlug is post id's slug, for a report line or a log that names a
// delivery's post without rendering it: best effort, "" when it cannot be
// read.
func (s *Scheduler) postSlug(ctx context.Context, id int64) string {
	p, err := s.st.Post(ctx, strconv.FormatInt(id, 10))
	if err != nil {
		return ""
	}
	return p.Slug
}

// failure turns a failed call into an outcome by its class. With unsafe (the
// network can neither deduplicate nor be looked up), a call that may have
// reached the network is held for a person, as after a crash: retrying it
// could post twice.
func (s *Scheduler) failure(d calendar.Delivery, nw publishers.Network, ch calendar.Channel, err error, unsafe bool) calendar.Outcome {
	class, _ := publishers.Classify(err)
	if publishers.NeedsPerson(err) {
		return calendar.Outcome{Kind: calendar.OutcomeHeld, Class: class.String(), Error: fmt.Sprintf(
			"%v: check the channel, then `crieur post retry` or `crieur post dismiss`", err)}
	}
	switch class {
	case publishers.Auth:
		fix := fmt.Sprintf("fix them with `crieur channel edit %s --secret …`", ch.Name)
		if pe := (*publishers.Error)(nil); errors.As(err, &pe) && pe.Fix != "" {
			fix = "run `" + pe.Fix + "`"
			if !strings.HasPrefix(pe.Fix, "crieur ") {
				fix = pe.Fix // words: no command mends it
			}
		}
		return calendar.Outcome{Kind: calendar.OutcomeAuth, Class: class.String(), Error: err.Error(),
			PauseReason: fmt.Sprintf("%s refused the credentials (%v): %s, then `crieur resume %s`",
				nw.Name, err, fix, ch.Name)}
	case publishers.Permanent:
		return calendar.Outcome{Kind: calendar.OutcomeFailed, Class: class.String(), Error: err.Error()}
	case publishers.Transient:
		if unsafe && publishers.MayHaveReached(err) {
			return calendar.Outcome{Kind: calendar.OutcomeHeld, Class: class.String(), Error: fmt.Sprintf(
				"the call failed without a reply (%v) and %s cannot tell whether it was published: check the channel, then `crieur post retry` or `crieur post dismiss`",
				err, nw.Name)}
		}
	}
	return s.retryOutcome(d, err)
}

// retryOutcome decides between a retry and giving up, for a transient or
// rate-limited failure.
func (s *Scheduler) retryOutcome(d calendar.Delivery, err error) calendar.Outcome {
	class, wait := publishers.Classify(err)
	limit := s.o.MaxAttempts
	if class == publishers.RateLimited {
		limit *= 3
	}
	if d.Attempts >= limit {
		return calendar.Outcome{Kind: calendar.OutcomeFailed, Class: class.String(),
			Error: fmt.Sprintf("gave up after %s: %v", calendar.Count(d.Attempts, "attempt", "attempts"), err)}
	}
	delay := max(s.o.Backoff.Delay(d.Attempts), wait)
	if class == publishers.RateLimited && wait > 0 {
		delay = wait // the network said when; no need to wait longer
	}
	return calendar.Outcome{Kind: calendar.OutcomeRetry, Class: class.String(), Error: err.Error(), RetryAt: s.o.Clock.Now().Add(delay)}
}

// safePublish calls the adapter, turning a panic into a transient error so
// the delivery is retried, not lost.
func safePublish(ctx context.Context, pub publishers.Publisher, post publishers.Post) (res publishers.Result, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf("adapter panicked: %v", v)}
		}
	}()
	return pub.Publish(ctx, post)
}

// record writes an outcome, retrying a few times if the database is busy: a
// confirmed publication must not be forgotten.
func (s *Scheduler) record(d calendar.Delivery, out calendar.Outcome, network string, r *Result) {
	if note := out.DropBadRemoteURL(); note != "" {
		s.log.Warn(note, "delivery", d.ID, "channel", d.Channel)
	}
	r.Outcome, r.RemoteID, r.RemoteURL, r.Error, r.RetryAt = out.Kind, out.RemoteID, out.RemoteURL, out.Error, out.RetryAt.UTC()
	r.NotHere = out.NotTried
	ctx := context.Background()
	var err error
	s.markSettling(d.ID)
	err = s.outcomes.record(ctx, s, calendar.OutcomeRecord{Delivery: d, Outcome: out})
	s.forget(d.ID)
	if errors.Is(err, calendar.ErrLeaseLost) {
		s.log.Warn("lease lost before the outcome was recorded: another process settled this delivery",
			"delivery", d.ID, "channel", d.Channel, "outcome", out.Kind, "err", out.Error)
		r.Error = err.Error()
		return
	}
	if err != nil {
		s.log.Error("recording an outcome failed; the lease will expire and recovery will settle it",
			"delivery", d.ID, "channel", d.Channel, "outcome", out.Kind, "err", err)
		r.Error = err.Error()
		return
	}
	s.lastProgress.Store(s.o.Clock.Now().UnixMilli())
	attrs := []any{"delivery", d.ID, "post", r.Post, "channel", d.Channel, "attempt", d.Attempts}
	switch out.Kind {
	case calendar.OutcomePublished:
		s.counts.published.Add(1)
		s.o.Metrics.outcome("published", network)
		if r.Behind != "" {
			attrs = append(attrs, "behind", r.Behind)
		}
		s.log.Info("published", append(attrs, "remote_url", out.RemoteURL, "late", r.Late)...)
	case calendar.OutcomeRetry, calendar.OutcomeRecovered:
		s.counts.retried.Add(1)
		s.o.Metrics.outcome("retried", network)
		s.log.Warn("will retry", append(attrs, "class", out.Class, "retry_at", out.RetryAt, "err", out.Error)...)
	case calendar.OutcomeFailed:
		s.counts.failed.Add(1)
		s.o.Metrics.outcome("failed", network)
		s.log.Error("failed", append(attrs, "class", out.Class, "err", out.Error)...)
	case calendar.OutcomeHeld:
		s.counts.held.Add(1)
		s.log.Warn("held for a person to decide", append(attrs, "reason", out.Error)...)
	case calendar.OutcomeAuth:
		s.counts.paused.Add(1)
		s.o.Metrics.outcome("failed", network)
		s.log.Error("channel paused", append(attrs, "reason", out.PauseReason)...)
	}
}

// liveParts reads the thread parts already live for a delivery.
func (s *Scheduler) liveParts(ctx context.Context, d calendar.Delivery) ([]publishers.PartResult, error) {
	parts, err := s.st.DeliveryParts(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	return partResults(parts), nil
}

func partResults(parts []calendar.DeliveryPart) []publishers.PartResult {
	var out []publishers.PartResult
	for _, p := range parts {
		r := publishers.PartResult{Index: p.Index, Ref: p.Ref, Result: publishers.Result{RemoteID: p.RemoteID, RemoteURL: p.RemoteURL}}
		if p.PublishedAt != nil {
			r.PublishedAt = *p.PublishedAt
		}
		out = append(out, r)
	}
	return out
}

// recordPart writes a confirmed thread part at once, retrying a few times if
// the database is busy (even when the call was canceled meanwhile): a part
// that is live must not be forgotten, or a retry would post it again.
func (s *Scheduler) recordPart(ctx context.Context, d calendar.Delivery, p publishers.PartResult) error {
	part := calendar.DeliveryPart{Index: p.Index, RemoteID: p.RemoteID, RemoteURL: p.RemoteURL, Ref: p.Ref}
	if !p.PublishedAt.IsZero() {
		at := p.PublishedAt
		part.PublishedAt = &at
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	for try := range 6 {
		if err = s.st.RecordPart(ctx, d, s.o.Owner, part); err == nil {
			s.lastProgress.Store(s.o.Clock.Now().UnixMilli())
			return nil
		}
		time.Sleep(time.Duration(100<<try) * time.Millisecond)
	}
	s.log.Error("recording a thread part failed", "delivery", d.ID, "channel", d.Channel, "part", p.Index+1, "remote_id", p.RemoteID, "err", err)
	return fmt.Errorf("recording part %d (%s) in the calendar: %w", p.Index+1, p.RemoteID, err)
}

// Publisher returns the channel's publisher as the scheduler keeps it (the
// stats collector of a daemon reads through it: one session per channel).
func (s *Scheduler) Publisher(ctx context.Context, ch calendar.Channel) (publishers.Publisher, error) {
	pub, _, err := s.publisher(ctx, ch)
	return pub, err
}

// publisher returns the channel's publisher, rebuilt when the channel changed
// (a new secret, a new setting).
func (s *Scheduler) publisher(ctx context.Context, ch calendar.Channel) (publishers.Publisher, publishers.Network, error) {
	s.mu.Lock()
	c, ok := s.pubs[ch.ID]
	s.mu.Unlock()
	if ok && c.updated.Equal(ch.UpdatedAt) {
		return c.pub, c.nw, nil
	}
	pub, nw, err := s.o.Factory.Publisher(ctx, s.st, ch)
	if err != nil {
		return nil, nw, err
	}
	s.mu.Lock()
	s.pubs[ch.ID] = cachedPub{updated: ch.UpdatedAt, pub: pub, nw: nw}
	s.mu.Unlock()
	return pub, nw, nil
}

// render reads the post as the calendar has it now (the calendar is the
// truth: an edit made a second ago is what goes out): as the claim read it
// a moment ago (pre), or now.
func (s *Scheduler) render(ctx context.Context, d calendar.Delivery, ch calendar.Channel, pre *claimReads) (publishers.Post, error) {
	p, camp, err := pre.post(ctx, s.st, d.PostID)
	if err != nil {
		return publishers.Post{}, err
	}
	return Render(p, ch, d, camp), nil
}

func (s *Scheduler) track(ds []calendar.Delivery) {
	s.mu.Lock()
	for _, d := range ds {
		s.inflight[d.ID] = d
	}
	s.mu.Unlock()
}

func (s *Scheduler) forget(id int64) {
	s.mu.Lock()
	delete(s.inflight, id)
	delete(s.settling, id)
	delete(s.lost, id)
	s.mu.Unlock()
}

// markSettling marks a call in flight whose outcome is being recorded: the lease
// keeper may find its lease gone because the outcome is already written,
// which is no lost lease.
func (s *Scheduler) markSettling(id int64) {
	s.mu.Lock()
	s.settling[id] = true
	s.mu.Unlock()
}

// leaseLost says whether a lease the keeper could not renew was really taken
// over: the call is still in flight and its outcome not being recorded.
func (s *Scheduler) leaseLost(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.inflight[id]
	lost := ok && !s.settling[id]
	if lost {
		s.lost[id] = true
	}
	return lost
}

// wasLost says whether the lease of a delivery in flight was taken over.
func (s *Scheduler) wasLost(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lost[id]
}

func (s *Scheduler) inFlight(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.inflight[id]
	return ok
}

func (s *Scheduler) inflightIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.inflight))
	for id := range s.inflight {
		ids = append(ids, id)
	}
	return ids
}

// claim takes up to n due deliveries (of one post when postID is set).
func (s *Scheduler) claim(ctx context.Context, now time.Time, n int, postID int64) ([]calendar.Delivery, []calendar.Delivery, error) {
	return s.claimAhead(ctx, now, n, postID, 0)
}

// claimAhead is claim, taking up to ahead more out of a backlog
// (ClaimOptions.Ahead).
func (s *Scheduler) claimAhead(ctx context.Context, now time.Time, n int, postID int64, ahead int) ([]calendar.Delivery, []calendar.Delivery, error) {
	// A blackout with --drop cancels what falls due inside it (the claim
	// does it first, Drop); other blackouts only hold deliveries back (the
	// claim skips them).
	// The channels this process found it cannot publish to are left to the
	// others for a while (skipNotHere).
	o := calendar.ClaimOptions{Owner: s.o.Owner, Now: now, Lease: s.o.Lease, Limit: n, PostID: postID, Drop: true,
		SkipChannels: s.skipping(now)}
	if ahead > 0 {
		// A peer's worth is left for the other daemons: what is claimed
		// ahead is only what they could not start now either.
		o.Ahead, o.Leave = ahead, s.o.Concurrency
	}
	res, err := s.st.ClaimDue(ctx, o)
	if err != nil {
		return nil, nil, err
	}
	if res.Dropped > 0 {
		s.log.Info("blackout: deliveries dropped", "count", res.Dropped)
	}
	for _, d := range res.Missed {
		s.counts.missed.Add(1)
		late := "?"
		if d.RunAt != nil {
			late = now.Sub(*d.RunAt).Round(time.Second).String()
		}
		s.log.Warn("missed: later than the channel's max lateness; `crieur post retry` or `dismiss` it",
			"delivery", d.ID, "channel", d.Channel, "late", late)
	}
	if res.Deferred > 0 {
		s.log.Info("rate limit: deliveries moved later", "count", res.Deferred)
	}
	if len(res.Claimed) > 0 {
		s.lastProgress.Store(s.o.Clock.Now().UnixMilli())
		s.track(res.Claimed)
	}
	return res.Claimed, res.Missed, nil
}

// recoverExpired settles deliveries whose lease expired (their process died
// mid-call): pending again where the network makes a retry safe, published
// where a lookup finds the post, held for a person otherwise.
func (s *Scheduler) recoverExpired(ctx context.Context) ([]Result, error) {
	taken, err := s.st.ClaimExpired(ctx, s.o.Owner, s.o.Clock.Now(), s.o.Lease, 100)
	if err != nil {
		return nil, err
	}
	// A lease of this process's own that ran out while its call still runs
	// (the machine slept through the heartbeat) is now renewed; the call
	// records its outcome. Settling it as crashed would publish it twice.
	ds := taken[:0]
	for _, d := range taken {
		if !s.inFlight(d.ID) {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return nil, nil
	}
	s.track(ds)
	out := make([]Result, 0, len(ds))
	for _, d := range ds {
		r := Result{DeliveryID: d.ID, Channel: d.Channel, Attempt: d.Attempts}
		// The report and the log name the post, as for a missed delivery:
		// a held one waits for a person to find it.
		r.Post = s.postSlug(ctx, d.PostID)
		o, nw := s.settle(ctx, d, &r)
		s.record(d, o, nw.Name, &r)
		if o.Kind == calendar.OutcomeRecovered {
			s.counts.recovered.Add(1)
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *Scheduler) settle(ctx context.Context, d calendar.Delivery, r *Result) (calendar.Outcome, publishers.Network) {
	recovered := calendar.Outcome{Kind: calendar.OutcomeRecovered, Class: "crash",
		Error: "the process publishing it stopped mid-call; retried safely", RetryAt: s.o.Clock.Now()}
	held := func(nw publishers.Network, why string) calendar.Outcome {
		return calendar.Outcome{Kind: calendar.OutcomeHeld, Class: "crash", Error: fmt.Sprintf(
			"the process publishing it stopped mid-call and %s cannot tell whether it was published (%s): check the channel, then `crieur post retry` or `crieur post dismiss`",
			nw.Name, why)}
	}
	nw, err := s.o.Factory.Network(d.Network)
	if err != nil {
		return held(nw, err.Error()), nw
	}
	switch nw.Safety {
	case publishers.RetryIdempotent:
		return recovered, nw
	case publishers.RetryLookup:
		ch, err := s.st.ChannelByID(ctx, d.ChannelID)
		if err != nil {
			return held(nw, err.Error()), nw
		}
		pub, _, err := s.publisher(ctx, ch)
		if err != nil {
			return held(nw, err.Error()), nw
		}
		f, ok := pub.(publishers.Finder)
		if !ok {
			return held(nw, "its adapter cannot look posts up"), nw
		}
		post, err := s.render(ctx, d, ch, nil)
		if err != nil {
			return held(nw, err.Error()), nw
		}
		r.Post = post.Slug
		fctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
		defer cancel()
		// A thread cut short is not found; the lookup records its live
		// parts, and the retry resumes after them.
		if post.Live, err = s.liveParts(fctx, d); err != nil {
			return held(nw, err.Error()), nw
		}
		post.OnPart = func(p publishers.PartResult) error { return s.recordPart(fctx, d, p) }
		res, found, err := f.Find(fctx, post)
		switch {
		case err != nil:
			return held(nw, "the lookup failed: "+err.Error()), nw
		case found:
			return calendar.Outcome{Kind: calendar.OutcomePublished, Found: true, RemoteID: res.RemoteID, RemoteURL: res.RemoteURL, PublishedAt: res.PublishedAt}, nw
		}
		return recovered, nw
	}
	return held(nw, "no idempotency key, no lookup"), nw
}
