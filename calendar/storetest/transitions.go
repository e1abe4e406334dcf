package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// The post states the transition table starts from, each reached through
// the store's own operations on a post "p". Channels: "plain" publishes
// without approval, "gated" requires it, "other" is a second plain channel.
var postStates map[string]func(e *env)

func init() { postStates = postStateTable() }

func postStateTable() map[string]func(e *env) {
	return map[string]func(e *env){
		// A draft with a time, on a plain channel.
		"draft": func(e *env) { e.post("p", calendar.StatusDraft, at(T0.Add(time.Hour)), "plain") },
		// A draft without a time, on a gated channel.
		"draft-gated": func(e *env) { e.post("p", calendar.StatusDraft, nil, "gated") },
		// Timed on a gated channel: waits in review.
		"review": func(e *env) { e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "gated") },
		// Approved without a time.
		"approved": func(e *env) {
			postStates["draft-gated"](e)
			e.must("SubmitPost", func() error { _, err := e.s.SubmitPost(e.ctx, "p"); return err })
			e.must("ApprovePost", func() error { _, err := e.s.ApprovePost(e.ctx, "p", ""); return err })
		},
		// Scheduled on a plain channel, never reviewed.
		"scheduled": func(e *env) { e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "plain") },
		// Scheduled on a gated channel after approval.
		"scheduled-approved": func(e *env) {
			postStates["review"](e)
			e.must("ApprovePost", func() error { _, err := e.s.ApprovePost(e.ctx, "p", ""); return err })
		},
		"published": func(e *env) {
			e.post("p", calendar.StatusScheduled, at(T0), "plain")
			d := e.claimOne("me", "p", "plain")
			e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", RemoteURL: "https://example.com/r1"})
		},
		"failed": func(e *env) {
			e.post("p", calendar.StatusScheduled, at(T0), "plain")
			d := e.claimOne("me", "p", "plain")
			e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"})
		},
		// Published on plain, failed on other.
		"partial": func(e *env) {
			e.post("p", calendar.StatusScheduled, at(T0), "plain", "other")
			r := e.claim("me", T0, 10)
			for _, d := range r.Claimed {
				if d.Channel == "plain" {
					e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1"})
				} else {
					e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"})
				}
			}
		},
		// A delivery whose outcome is unknown: the post stays scheduled.
		"held": func(e *env) {
			e.post("p", calendar.StatusScheduled, at(T0), "plain")
			d := e.claimOne("me", "p", "plain")
			e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeHeld, Error: "unknown"})
		},
		// Due two hours before anything ran: later than the max lateness (1 h).
		"missed": func(e *env) {
			e.post("p", calendar.StatusScheduled, at(T0.Add(-2*time.Hour)), "plain")
			r := e.claim("me", T0, 10)
			if len(r.Missed) != 1 || len(r.Claimed) != 0 {
				e.t.Fatalf("a delivery 2 h late: missed %v, claimed %v", ids(r.Missed), ids(r.Claimed))
			}
		},
		"canceled": func(e *env) {
			postStates["scheduled"](e)
			e.must("CancelPost", func() error { _, err := e.s.CancelPost(e.ctx, "p"); return err })
		},
		// Failed, then canceled: its failed delivery stays failed.
		"failed-canceled": func(e *env) {
			postStates["failed"](e)
			e.must("CancelPost", func() error { _, err := e.s.CancelPost(e.ctx, "p"); return err })
		},
	}
}

func (e *env) must(what string, do func() error) {
	e.t.Helper()
	if err := do(); err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// The operations the table applies to "p".
var postOps = map[string]func(e *env) error{
	"submit":  func(e *env) error { _, err := e.s.SubmitPost(e.ctx, "p"); return err },
	"approve": func(e *env) error { _, err := e.s.ApprovePost(e.ctx, "p", "fine"); return err },
	"reject":  func(e *env) error { _, err := e.s.RejectPost(e.ctx, "p", "not yet"); return err },
	"cancel":  func(e *env) error { _, err := e.s.CancelPost(e.ctx, "p"); return err },
	"schedule": func(e *env) error {
		_, err := e.s.SchedulePost(e.ctx, "p", at(T0.Add(24*time.Hour)), false)
		return err
	},
	"move-dry-run": func(e *env) error {
		mv, err := e.s.MovePost(e.ctx, "p", T0.Add(24*time.Hour), true)
		if err != nil {
			return err
		}
		if !mv.From.Equal(T0.Add(time.Hour)) || !mv.To.Equal(T0.Add(24*time.Hour)) {
			e.t.Errorf("a dry-run move says %+v", mv)
		}
		return errDryRun // it must change nothing, as a refusal
	},
	"move": func(e *env) error { _, err := e.s.MovePost(e.ctx, "p", T0.Add(24*time.Hour), false); return err },
	"edit-time": func(e *env) error {
		p := e.get("p")
		p.PublishAt = at(T0.Add(24 * time.Hour))
		return e.s.UpdatePost(e.ctx, &p)
	},
	"edit-body": func(e *env) error {
		p := e.get("p")
		p.Body = "a new body"
		return e.s.UpdatePost(e.ctx, &p)
	},
	"edit-to-draft": func(e *env) error {
		p := e.get("p")
		p.Status = calendar.StatusDraft
		return e.s.UpdatePost(e.ctx, &p)
	},
	"delete":  func(e *env) error { return e.s.DeletePost(e.ctx, "p") },
	"retry":   func(e *env) error { _, err := e.s.RetryDeliveries(e.ctx, "p", "", false); return err },
	"dismiss": func(e *env) error { _, err := e.s.DismissDeliveries(e.ctx, "p", ""); return err },
}

// errDryRun stands for a dry run, checked like a refusal: nothing changes.
var errDryRun = errors.New("dry run")

// gone marks a transition after which the post no longer exists.
const gone = "(deleted)"

func testPostTransitions(t *testing.T, h Harness) {
	tomorrow := T0.Add(24 * time.Hour)
	tests := []struct {
		from, op string
		want     string // the post's status read back, or gone
		refused  error  // the error a forbidden transition matches
		check    func(t *testing.T, e *env, p calendar.Post)
	}{
		// Submit: drafts only.
		{from: "draft-gated", op: "submit", want: calendar.StatusReview},
		{from: "draft", op: "submit", want: calendar.StatusScheduled}, // no approval needed: a timed post goes on
		{from: "review", op: "submit", refused: calendar.ErrConflict},
		{from: "scheduled", op: "submit", refused: calendar.ErrConflict},
		{from: "published", op: "submit", refused: calendar.ErrConflict},

		// Approve.
		{from: "review", op: "approve", want: calendar.StatusScheduled, check: runnable},
		{from: "draft-gated", op: "approve", want: calendar.StatusApproved, check: approved},
		{from: "scheduled", op: "approve", want: calendar.StatusScheduled, check: approved},
		{from: "failed", op: "approve", want: calendar.StatusFailed, check: approved},
		{from: "approved", op: "approve", refused: calendar.ErrConflict},
		{from: "scheduled-approved", op: "approve", refused: calendar.ErrConflict},
		{from: "published", op: "approve", refused: calendar.ErrConflict},
		{from: "canceled", op: "approve", refused: calendar.ErrConflict},

		// Reject: back to draft, never runnable.
		{from: "review", op: "reject", want: calendar.StatusDraft, check: notRunnable},
		{from: "approved", op: "reject", want: calendar.StatusDraft, check: notApproved},
		{from: "scheduled-approved", op: "reject", want: calendar.StatusDraft, check: notRunnable},
		{from: "scheduled", op: "reject", refused: calendar.ErrConflict}, // scheduled without review
		{from: "draft", op: "reject", refused: calendar.ErrConflict},
		{from: "published", op: "reject", refused: calendar.ErrConflict},

		// Cancel: anything not published or canceled.
		{from: "scheduled", op: "cancel", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryCanceled)},
		{from: "draft", op: "cancel", want: calendar.StatusCanceled},
		{from: "review", op: "cancel", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryCanceled)},
		{from: "held", op: "cancel", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryHeld)},
		{from: "failed", op: "cancel", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryFailed)},
		{from: "partial", op: "cancel", want: calendar.StatusPartial}, // what went out stays out
		{from: "published", op: "cancel", refused: calendar.ErrConflict},
		{from: "canceled", op: "cancel", refused: calendar.ErrConflict},

		// Schedule: a time, and runnable where no approval is missing.
		{from: "draft", op: "schedule", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "draft-gated", op: "schedule", want: calendar.StatusReview, check: timedAt(tomorrow, false)},
		{from: "approved", op: "schedule", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "canceled", op: "schedule", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "failed", op: "schedule", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "missed", op: "schedule", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "published", op: "schedule", refused: calendar.ErrConflict},

		// Move and edit the time.
		{from: "scheduled", op: "move", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "review", op: "move", want: calendar.StatusReview, check: timedAt(tomorrow, false)},
		{from: "scheduled", op: "move-dry-run", refused: errDryRun},
		{from: "published", op: "move", refused: calendar.ErrConflict},
		{from: "canceled", op: "move", refused: calendar.ErrConflict},
		{from: "scheduled", op: "edit-time", want: calendar.StatusScheduled, check: timedAt(tomorrow, true)},
		{from: "published", op: "edit-time", refused: calendar.ErrConflict},

		// Edit the text: an approved post goes back to review.
		{from: "scheduled", op: "edit-body", want: calendar.StatusScheduled, check: runnable},
		{from: "scheduled-approved", op: "edit-body", want: calendar.StatusReview, check: notRunnable},
		{from: "published", op: "edit-body", refused: calendar.ErrConflict},
		{from: "scheduled", op: "edit-to-draft", want: calendar.StatusDraft, check: notRunnable},
		{from: "published", op: "edit-to-draft", refused: calendar.ErrConflict},

		// Delete: never what was published or is in flight.
		{from: "draft", op: "delete", want: gone},
		{from: "scheduled", op: "delete", want: gone},
		{from: "failed", op: "delete", want: gone},
		{from: "published", op: "delete", refused: calendar.ErrConflict},
		{from: "partial", op: "delete", refused: calendar.ErrConflict},
		{from: "held", op: "delete", refused: calendar.ErrConflict},

		// Retry and dismiss held, failed and missed deliveries.
		{from: "failed", op: "retry", want: calendar.StatusScheduled, check: retried},
		{from: "held", op: "retry", want: calendar.StatusScheduled, check: retried},
		{from: "missed", op: "retry", want: calendar.StatusScheduled, check: retried},
		{from: "partial", op: "retry", want: calendar.StatusScheduled, check: retried},
		{from: "failed", op: "dismiss", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryCanceled)},
		{from: "held", op: "dismiss", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryCanceled)},
		{from: "missed", op: "dismiss", want: calendar.StatusCanceled, check: deliveriesAre(calendar.DeliveryCanceled)},
		{from: "partial", op: "dismiss", want: calendar.StatusPartial},
		{from: "scheduled", op: "retry", refused: calendar.ErrConflict}, // nothing held, failed or missed
		{from: "scheduled", op: "dismiss", refused: calendar.ErrConflict},
		{from: "published", op: "retry", refused: calendar.ErrConflict},
		{from: "published", op: "dismiss", refused: calendar.ErrConflict},
		{from: "failed-canceled", op: "retry", refused: calendar.ErrConflict}, // schedule it again first
	}
	for _, tt := range tests {
		t.Run(tt.from+"/"+tt.op, func(t *testing.T) {
			e := newEnv(t, h)
			e.channel("plain", nil)
			e.channel("other", nil)
			e.channel("gated", func(c *calendar.Channel) { c.RequireApproval = true })
			postStates[tt.from](e)
			before := e.get("p")
			err := postOps[tt.op](e)
			if tt.refused != nil {
				wantErr(t, tt.op+" from "+tt.from, err, tt.refused)
				if after := e.get("p"); postState(after) != postState(before) {
					t.Errorf("a refused %s changed the post:\n%s\nvs\n%s", tt.op, postState(before), postState(after))
				}
				return
			}
			wantErr(t, tt.op+" from "+tt.from, err, nil)
			if tt.want == gone {
				_, err := e.s.Post(e.ctx, "p")
				wantErr(t, "Post after "+tt.op, err, calendar.ErrNotFound)
				return
			}
			after := e.get("p")
			if after.Status != tt.want {
				t.Fatalf("%s from %s: status %s, want %s\n%s", tt.op, tt.from, after.Status, tt.want, postState(after))
			}
			if after.Status != before.Status && after.Version <= before.Version {
				t.Errorf("%s moved the post from %s to %s but left its version at %d", tt.op, before.Status, after.Status, after.Version)
			}
			if tt.check != nil {
				tt.check(t, e, after)
			}
		})
	}
}

// runnable: every pending delivery will run at the post's time.
func runnable(t *testing.T, _ *env, p calendar.Post) {
	t.Helper()
	for _, d := range p.Deliveries {
		if d.Status == calendar.DeliveryPending && (d.RunAt == nil || p.PublishAt == nil || !d.RunAt.Equal(*p.PublishAt)) {
			t.Errorf("delivery on %s not runnable at the post's time: %s", d.Channel, postState(p))
		}
	}
}

// notRunnable: nothing of the post can be claimed, now or later.
func notRunnable(t *testing.T, e *env, p calendar.Post) {
	t.Helper()
	for _, d := range p.Deliveries {
		if d.RunAt != nil {
			t.Errorf("delivery on %s still runnable: %s", d.Channel, postState(p))
		}
	}
	if r := e.claim("checker", T0.Add(1000*time.Hour), 100); len(r.Claimed) != 0 {
		t.Errorf("claimed %v of a post that must not run", ids(r.Claimed))
	}
}

func approved(t *testing.T, _ *env, p calendar.Post) {
	t.Helper()
	if p.ApprovedAt == nil || !p.ApprovedAt.Equal(T0) || p.ApprovedBy != Actor {
		t.Errorf("approval %v by %q, want %v by %q", p.ApprovedAt, p.ApprovedBy, T0, Actor)
	}
}

func notApproved(t *testing.T, e *env, p calendar.Post) {
	t.Helper()
	if p.ApprovedAt != nil || p.ApprovedBy != "" {
		t.Errorf("approval kept: %v by %q", p.ApprovedAt, p.ApprovedBy)
	}
	notRunnable(t, e, p)
}

func deliveriesAre(status string) func(t *testing.T, e *env, p calendar.Post) {
	return func(t *testing.T, e *env, p calendar.Post) {
		t.Helper()
		for _, d := range p.Deliveries {
			if d.Status != status {
				t.Errorf("delivery on %s is %s, want %s", d.Channel, d.Status, status)
			}
			if status != calendar.DeliveryPending && d.RunAt != nil {
				t.Errorf("a %s delivery is still runnable at %v", d.Status, d.RunAt)
			}
		}
		if status == calendar.DeliveryCanceled {
			if r := e.claim("checker", T0.Add(1000*time.Hour), 100); len(r.Claimed) != 0 {
				t.Errorf("claimed %v of a canceled post", ids(r.Claimed))
			}
		}
	}
}

// timedAt: the post and its pending deliveries are at t, runnable or not.
func timedAt(t0 time.Time, run bool) func(t *testing.T, e *env, p calendar.Post) {
	return func(t *testing.T, e *env, p calendar.Post) {
		t.Helper()
		if !sameTime(p.PublishAt, &t0) {
			t.Errorf("post at %s, want %s", timeText(p.PublishAt), timeText(&t0))
		}
		if len(p.Deliveries) == 0 {
			t.Fatal("no delivery")
		}
		for _, d := range p.Deliveries {
			if d.Status != calendar.DeliveryPending || !sameTime(d.DueAt, &t0) {
				t.Errorf("delivery on %s: %s due %s, want pending due %s", d.Channel, d.Status, timeText(d.DueAt), timeText(&t0))
			}
			if run && !sameTime(d.RunAt, &t0) || !run && d.RunAt != nil {
				t.Errorf("delivery on %s runs at %s (runnable: %v)", d.Channel, timeText(d.RunAt), run)
			}
		}
		r := e.claim("checker", t0, 100)
		if got := len(r.Claimed); run && got != len(p.Deliveries) || !run && got != 0 {
			t.Errorf("at its time, %d of %d deliveries claimed (runnable: %v)", got, len(p.Deliveries), run)
		}
	}
}

// retried: what was held, failed or missed is pending again, due now,
// attempts reset, and a claim now takes it.
func retried(t *testing.T, e *env, p calendar.Post) {
	t.Helper()
	now := e.clk.Now()
	n := 0
	for _, d := range p.Deliveries {
		if d.Status == calendar.DeliveryPublished {
			continue
		}
		n++
		if d.Status != calendar.DeliveryPending || !sameTime(d.RunAt, &now) || d.Attempts != 0 || d.LastError != "" || d.LeaseOwner != "" {
			t.Errorf("retried delivery on %s: %+v", d.Channel, d)
		}
	}
	if r := e.claim("checker", now, 100); len(r.Claimed) != n {
		t.Errorf("claimed %d retried deliveries, want %d", len(r.Claimed), n)
	}
}

// A channel's approval rule, turned on and off, applies at once to what is
// already scheduled on it: gated, a post waits in review and nothing of it
// runs; ungated, it goes on. A removed gated channel frees what waited for it.
func testApprovalRule(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("plain", nil)
	c := e.channel("gate-later", nil)
	e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "gate-later")
	e.post("both", calendar.StatusScheduled, at(T0.Add(time.Hour)), "gate-later", "plain")
	c.RequireApproval = true
	wantErr(t, "UpdateChannel requiring approval", e.s.UpdateChannel(e.ctx, &c), nil)
	for _, slug := range []string{"p", "both"} {
		p := e.get(slug)
		if p.Status != calendar.StatusReview {
			t.Errorf("%s is %s once its channel requires approval", slug, p.Status)
		}
		notRunnable(t, e, p)
	}
	c.RequireApproval = false
	wantErr(t, "UpdateChannel lifting approval", e.s.UpdateChannel(e.ctx, &c), nil)
	if p := e.get("p"); p.Status != calendar.StatusScheduled {
		t.Errorf("p is %s once the approval is lifted", p.Status)
	} else {
		runnable(t, e, p)
	}
	c.RequireApproval = true
	wantErr(t, "UpdateChannel requiring approval again", e.s.UpdateChannel(e.ctx, &c), nil)
	// "both" waits only for gate-later: removing it lets it go on plain.
	wantErr(t, "RemoveChannel", e.s.RemoveChannel(e.ctx, "gate-later", true), nil)
	if p := e.get("both"); p.Status != calendar.StatusScheduled || len(p.Deliveries) != 1 {
		t.Errorf("both, after its gated channel was removed: %s", postState(p))
	} else {
		runnable(t, e, p)
	}
}
