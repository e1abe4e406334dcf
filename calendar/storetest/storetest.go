// Package storetest is the conformance suite every calendar store passes, as
// publishertest is for network adapters: CRUD and versions, every state
// transition of posts and deliveries (and the refused ones), claims with
// their leases (two handles racing included), blackouts and pause switches,
// queue slots across daylight saving, loads, and secrets.
//
// Every case checks what arrives in the store by reading it back through
// the store's own read methods, never a return value alone. A store's test
// calls Run with a Harness that opens fresh, empty calendars on it.
//
// The suite imports only the domain (calendar, calendar/when, and
// internal/seal for the keys of secrets) and the standard library, so that
// every store runs it unchanged.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/seal"
)

// Store is what the suite uses of a calendar store: the whole of
// calendar.Store, as the commands and the scheduler use it.
type Store = calendar.Store

// Actor is who the suite's changes are attributed to: a Harness opens its
// stores with this actor (approvals record it).
const Actor = "storetest"

// Harness opens calendars of the store under test.
type Harness struct {
	// Open returns a fresh, migrated, empty calendar whose clock is now
	// (called at every use: the suite moves it) and whose actor is Actor.
	// The calendar zone is UTC. The harness closes it when t ends.
	Open func(t *testing.T, now func() time.Time) Store
	// OpenSecond returns a second, independent handle on the same
	// calendar as first, as a second process would open it, with the same
	// clock and actor. Nil skips the cases that need two handles.
	OpenSecond func(t *testing.T, first Store, now func() time.Time) Store
	// NextKey makes a new key for the calendar's secrets and has the key
	// source of every handle Open and OpenSecond gave give it as the
	// current key, the one before as an old key (as the key file and
	// KEY.old are while `crieur secrets rotate-key` runs). Nil skips the
	// key rotation case.
	NextKey func(t *testing.T) seal.Key
	// LegacyRemoteID writes remoteID on delivery id of s without recording
	// a part, as a calendar written before thread parts were recorded one
	// by one holds a thread cut short (the store's own operations record
	// the part with the id). Nil skips the case that needs it.
	LegacyRemoteID func(t *testing.T, s Store, id int64, remoteID string)
}

// Run runs every case against the store the harness opens.
func Run(t *testing.T, h Harness) {
	t.Run("channels", func(t *testing.T) { testChannels(t, h) })
	t.Run("campaigns", func(t *testing.T) { testCampaigns(t, h) })
	t.Run("slots", func(t *testing.T) { testSlots(t, h) })
	t.Run("posts", func(t *testing.T) { testPosts(t, h) })
	t.Run("post-filters", func(t *testing.T) { testPostFilters(t, h) })
	t.Run("versions", func(t *testing.T) { testVersions(t, h) })
	t.Run("post-transitions", func(t *testing.T) { testPostTransitions(t, h) })
	t.Run("approval-rule", func(t *testing.T) { testApprovalRule(t, h) })
	t.Run("four-eyes", func(t *testing.T) { testFourEyes(t, h) })
	t.Run("delivery-transitions", func(t *testing.T) { testDeliveryTransitions(t, h) })
	t.Run("claims", func(t *testing.T) { testClaims(t, h) })
	t.Run("skip-channels", func(t *testing.T) { testSkipChannels(t, h) })
	t.Run("outcome-batch", func(t *testing.T) { testOutcomeBatch(t, h) })
	t.Run("cross-handle", func(t *testing.T) { testCrossHandle(t, h) })
	t.Run("scheduler-reads", func(t *testing.T) { testSchedulerReads(t, h) })
	t.Run("leases", func(t *testing.T) { testLeases(t, h) })
	t.Run("blackouts", func(t *testing.T) { testBlackouts(t, h) })
	t.Run("pause", func(t *testing.T) { testPause(t, h) })
	t.Run("queue-dst", func(t *testing.T) { testQueueDST(t, h) })
	t.Run("loads", func(t *testing.T) { testLoads(t, h) })
	t.Run("secrets", func(t *testing.T) { testSecrets(t, h) })
	t.Run("daemons", func(t *testing.T) { testDaemons(t, h) })
	t.Run("leaders", func(t *testing.T) { testLeaders(t, h) })
	t.Run("credentials", func(t *testing.T) { testCredentials(t, h) })
	t.Run("publish-now", func(t *testing.T) { testPublishNow(t, h) })
	t.Run("retry-force", func(t *testing.T) { testRetryForce(t, h) })
	t.Run("change-notifier", func(t *testing.T) { testChangeNotifier(t, h) })
	t.Run("queue-counts", func(t *testing.T) { testQueueCounts(t, h) })
	t.Run("new-post-status", func(t *testing.T) { testNewPostStatus(t, h) })
	t.Run("metrics", func(t *testing.T) { testMetrics(t, h) })
	t.Run("calendar-zone", func(t *testing.T) { testCalendarZone(t, h) })
}

// T0 is the suite's "now" unless a case moves the clock: a Monday morning.
var T0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Clock is a clock the suite moves; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Advance moves the clock by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one case's calendar, its clock and the helpers that fill it.
type env struct {
	t   *testing.T
	h   Harness
	s   Store
	clk *Clock
	ctx context.Context
}

func newEnv(t *testing.T, h Harness) *env {
	t.Helper()
	clk := &Clock{t: T0}
	return &env{t: t, h: h, s: h.Open(t, clk.Now), clk: clk, ctx: context.Background()}
}

// second opens a second handle on e's calendar, or skips.
func (e *env) second() Store {
	e.t.Helper()
	if e.h.OpenSecond == nil {
		e.t.Skip("the harness has no OpenSecond")
	}
	return e.h.OpenSecond(e.t, e.s, e.clk.Now)
}

func (e *env) channel(name string, edit func(*calendar.Channel)) calendar.Channel {
	e.t.Helper()
	c := calendar.Channel{Name: name, Network: "log"}
	if edit != nil {
		edit(&c)
	}
	if err := e.s.AddChannel(e.ctx, &c); err != nil {
		e.t.Fatalf("AddChannel %s: %v", name, err)
	}
	return c
}

// post creates a post with a status and time on channels.
func (e *env) post(slug, status string, at *time.Time, channels ...string) calendar.Post {
	e.t.Helper()
	p := calendar.Post{Slug: slug, Title: "Title " + slug, Body: "Body of " + slug, Status: status, PublishAt: at, Channels: channels}
	if err := e.s.CreatePost(e.ctx, &p); err != nil {
		e.t.Fatalf("CreatePost %s: %v", slug, err)
	}
	return e.get(slug)
}

func (e *env) get(ref string) calendar.Post {
	e.t.Helper()
	p, err := e.s.Post(e.ctx, ref)
	if err != nil {
		e.t.Fatalf("Post %s: %v", ref, err)
	}
	return p
}

func (e *env) delivery(id int64) calendar.Delivery {
	e.t.Helper()
	d, err := e.s.Delivery(e.ctx, id)
	if err != nil {
		e.t.Fatalf("Delivery %d: %v", id, err)
	}
	return d
}

// deliveryOn is a post's delivery on a channel, read back.
func (e *env) deliveryOn(ref, channel string) calendar.Delivery {
	e.t.Helper()
	for _, d := range e.get(ref).Deliveries {
		if d.Channel == channel {
			return d
		}
	}
	e.t.Fatalf("post %s has no delivery on %s", ref, channel)
	return calendar.Delivery{}
}

func (e *env) claim(owner string, now time.Time, limit int) calendar.ClaimResult {
	e.t.Helper()
	return e.claimOn(e.s, owner, now, limit)
}

func (e *env) claimOn(s Store, owner string, now time.Time, limit int) calendar.ClaimResult {
	e.t.Helper()
	r, err := s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		e.t.Fatalf("ClaimDue by %s: %v", owner, err)
	}
	return r
}

// claimOne claims the one due delivery of ref on channel (at the clock's now).
func (e *env) claimOne(owner, ref, channel string) calendar.Delivery {
	e.t.Helper()
	want := e.deliveryOn(ref, channel)
	r := e.claim(owner, e.clk.Now(), 100)
	for _, d := range r.Claimed {
		if d.ID == want.ID {
			return d
		}
	}
	e.t.Fatalf("delivery of %s on %s not claimed (claimed %v)", ref, channel, ids(r.Claimed))
	return calendar.Delivery{}
}

func (e *env) outcome(d calendar.Delivery, owner string, o calendar.Outcome) {
	e.t.Helper()
	if err := e.s.RecordOutcome(e.ctx, d, owner, o); err != nil {
		e.t.Fatalf("RecordOutcome %s for delivery %d: %v", o.Kind, d.ID, err)
	}
}

func ids(ds []calendar.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func at(t time.Time) *time.Time { return &t }

// wantErr fails unless err matches target (nil target: no error).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// wantInvalid fails unless err is a validation error naming field.
func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: error %v, want a validation error on %s", what, err, field)
	}
	for _, p := range ve.Problems {
		if p.Field == field {
			return
		}
	}
	t.Fatalf("%s: problems %v name no field %s", what, ve.Problems, field)
}

// postState is what a refused change must leave as it was.
func postState(p calendar.Post) string {
	s := fmt.Sprintf("status=%s version=%d at=%s queued=%v approved=%v/%s title=%q body=%q channels=%v",
		p.Status, p.Version, timeText(p.PublishAt), p.Queued, p.ApprovedAt != nil, p.ApprovedBy, p.Title, p.Body, p.Channels)
	for _, d := range p.Deliveries {
		s += fmt.Sprintf("\n  delivery %d %s %s due=%s run=%s attempts=%d owner=%q", d.ID, d.Channel, d.Status,
			timeText(d.DueAt), timeText(d.RunAt), d.Attempts, d.LeaseOwner)
	}
	return s
}

func timeText(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}
