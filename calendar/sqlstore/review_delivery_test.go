package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// reviewStore is a calendar whose clock the test moves through *now.
func reviewStore(t *testing.T) (*Store, *time.Time) {
	t.Helper()
	s := claimStore(t)
	now := c0
	s.Now = func() time.Time { return now }
	return s, &now
}

// failOnce claims what is due at now and records a permanent failure for it.
func failOnce(t *testing.T, s *Store, now time.Time) calendar.Delivery {
	t.Helper()
	r := claim(t, s, "d1", now, 10)
	if len(r.Claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(r.Claimed))
	}
	if err := s.RecordOutcome(context.Background(), r.Claimed[0], "d1", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	return r.Claimed[0]
}

// `post retry` must not make runnable what the calendar does not allow: a
// post changed since its approval (on a channel requiring one), or a post
// put back to draft.
func TestReviewRetryKeepsTheApprovalGate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		gated  bool
		change func(t *testing.T, s *Store, p *calendar.Post)
	}{
		{"content edited since approval", true, func(t *testing.T, s *Store, p *calendar.Post) {
			p.Body = "rewritten, never reviewed"
			if err := s.UpdatePost(ctx, p); err != nil {
				t.Fatal(err)
			}
		}},
		{"put back to draft", false, func(t *testing.T, s *Store, p *calendar.Post) {
			p.Status, p.PublishAt = calendar.StatusDraft, nil
			if err := s.UpdatePost(ctx, p); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := reviewStore(t)
			claimChannel(t, s, "a", func(c *calendar.Channel) { c.RequireApproval = tt.gated })
			claimPost(t, s, "p", c0, "a")
			if tt.gated {
				if _, err := s.ApprovePost(ctx, "p", ""); err != nil {
					t.Fatal(err)
				}
			}
			failOnce(t, s, c0)
			p, err := s.Post(ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			tt.change(t, s, &p)
			if _, err := s.RetryDeliveries(ctx, "p", "", false); !errors.Is(err, calendar.ErrConflict) {
				t.Fatalf("retry: err %v, want a conflict", err)
			}
			if r := claim(t, s, "d2", c0.Add(time.Minute), 10); len(r.Claimed) != 0 {
				t.Fatalf("a delivery the calendar does not allow was claimed: %+v", r.Claimed[0])
			}
		})
	}
}

// The way out of the gate above: approve the changed post, then retry.
func TestReviewApproveFailedPostThenRetry(t *testing.T) {
	ctx := context.Background()
	s, _ := reviewStore(t)
	claimChannel(t, s, "a", func(c *calendar.Channel) { c.RequireApproval = true })
	claimPost(t, s, "p", c0, "a")
	if _, err := s.ApprovePost(ctx, "p", ""); err != nil {
		t.Fatal(err)
	}
	failOnce(t, s, c0)
	p, _ := s.Post(ctx, "p")
	p.Body = "fixed text"
	if err := s.UpdatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	got, err := s.ApprovePost(ctx, "p", "fixed")
	if err != nil {
		t.Fatalf("approving the changed failed post: %v", err)
	}
	if got.Status != calendar.StatusFailed || got.ApprovedAt == nil {
		t.Fatalf("after approval: status %s approved_at %v, want failed and approved", got.Status, got.ApprovedAt)
	}
	if _, err := s.RetryDeliveries(ctx, "p", "", false); err != nil {
		t.Fatal(err)
	}
	if r := claim(t, s, "d2", c0.Add(time.Minute), 10); len(r.Claimed) != 1 {
		t.Fatalf("claimed %d after approve + retry, want 1", len(r.Claimed))
	}
}

// What a channel actually receives is its variant, the media and the
// excerpt: changing them after approval needs a new approval.
func TestReviewRenderedFieldsRevokeApproval(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(p *calendar.Post)
	}{
		{"variant", func(p *calendar.Post) { p.Variants = map[string]string{"a": "a different text for a"} }},
		{"media", func(p *calendar.Post) { p.Media = []calendar.Media{{Path: "/tmp/other.png", Alt: "other"}} }},
		{"excerpt", func(p *calendar.Post) { p.Excerpt = "a new summary" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := reviewStore(t)
			claimChannel(t, s, "a", func(c *calendar.Channel) { c.RequireApproval = true })
			claimPost(t, s, "p", c0.Add(time.Hour), "a")
			p, err := s.ApprovePost(ctx, "p", "")
			if err != nil {
				t.Fatal(err)
			}
			tt.change(&p)
			if err := s.UpdatePost(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if p.Status != calendar.StatusReview || p.ApprovedAt != nil {
				t.Fatalf("after the edit: status %s approved_at %v, want review without approval", p.Status, p.ApprovedAt)
			}
			if ra := runAt(t, s, p.ID); len(ra) != 1 || ra[0] != nil {
				t.Fatalf("unapproved edit is runnable: run_at %v", *ra[0])
			}
		})
	}
}

// A delivery dropped by a blackout settles its post: published elsewhere is
// partial, not "scheduled" forever with nothing left to run.
func TestReviewDroppedDeliveryRollsUpThePost(t *testing.T) {
	ctx := context.Background()
	s, now := reviewStore(t)
	claimChannel(t, s, "a", nil)
	claimChannel(t, s, "b", nil)
	p := claimPost(t, s, "p", c0, "a", "b")
	r := claim(t, s, "d1", c0, 10)
	if len(r.Claimed) != 2 {
		t.Fatalf("claimed %d, want 2", len(r.Claimed))
	}
	for _, d := range r.Claimed {
		o := calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "x"}
		if d.Channel == "b" {
			o = calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: c0.Add(5 * time.Minute), Error: "503"}
		}
		if err := s.RecordOutcome(ctx, d, "d1", o); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddBlackout(ctx, &calendar.Blackout{Channel: "b", StartsAt: c0.Add(time.Minute), EndsAt: c0.Add(time.Hour), Reason: "crisis", Drop: true}); err != nil {
		t.Fatal(err)
	}
	*now = c0.Add(6 * time.Minute)
	n, err := s.DropBlackedOut(ctx, *now)
	if err != nil || n != 1 {
		t.Fatalf("dropped %d (%v), want 1", n, err)
	}
	got, err := s.Post(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != calendar.StatusPartial {
		t.Fatalf("post %d status %s, want partial (a published, b dropped)", p.ID, got.Status)
	}
}

// Scheduling again a canceled or failed post puts its deliveries back on
// the calendar: "scheduled" must mean something will run.
func TestReviewRescheduleRevivesDeliveries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		stop func(t *testing.T, s *Store)
	}{
		{"canceled", func(t *testing.T, s *Store) {
			if _, err := s.CancelPost(ctx, "p"); err != nil {
				t.Fatal(err)
			}
		}},
		{"failed", func(t *testing.T, s *Store) { failOnce(t, s, c0) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := reviewStore(t)
			claimChannel(t, s, "a", nil)
			claimPost(t, s, "p", c0, "a")
			tt.stop(t, s)
			later := c0.Add(2 * time.Hour)
			got, err := s.SchedulePost(ctx, "p", &later, false)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != calendar.StatusScheduled {
				t.Fatalf("status %s, want scheduled", got.Status)
			}
			r := claim(t, s, "d2", later, 10)
			if len(r.Claimed) != 1 || r.Claimed[0].Attempts != 1 {
				t.Fatalf("claimed %+v at the new time, want the revived delivery on its first attempt", r.Claimed)
			}
		})
	}
}

// A post re-timed while its delivery is in flight: a transient failure
// retries at the new time, not at the old one plus a backoff.
func TestReviewRetryAfterRetimeWaitsForTheNewTime(t *testing.T) {
	ctx := context.Background()
	s, _ := reviewStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	r := claim(t, s, "d1", c0, 10)
	if len(r.Claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(r.Claimed))
	}
	later := c0.Add(2 * time.Hour)
	if _, err := s.MovePost(ctx, "p", later, false); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, r.Claimed[0], "d1", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: c0.Add(30 * time.Second), Error: "timeout"}); err != nil {
		t.Fatal(err)
	}
	if r := claim(t, s, "d1", c0.Add(time.Minute), 10); len(r.Claimed) != 0 {
		t.Fatalf("claimed at the old time after a re-time: %+v", r.Claimed[0])
	}
	d, err := s.Delivery(ctx, r.Claimed[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.RunAt == nil || !d.RunAt.Equal(later) || d.DueAt == nil || !d.DueAt.Equal(later) {
		t.Fatalf("due %v run %v, want both at %v", d.DueAt, d.RunAt, later)
	}
}

// A claim asked for an earlier instant (publish --due keeps the instant it
// started at) still leases from the moment of the claim: another process
// must not take over a call that is well inside its lease.
func TestReviewLeaseRunsFromTheClaimInstant(t *testing.T) {
	ctx := context.Background()
	s, now := reviewStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	*now = c0.Add(4 * time.Minute)
	r, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "d1", Now: c0, Lease: 5 * time.Minute, Limit: 1})
	if err != nil || len(r.Claimed) != 1 {
		t.Fatalf("claimed %d (%v), want 1", len(r.Claimed), err)
	}
	taken, err := s.ClaimExpired(ctx, "d2", now.Add(2*time.Minute), 5*time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 0 {
		t.Fatalf("a lease 2m old of 5m was taken over: expires %v", taken[0].LeaseExpiresAt)
	}
}

// Canceling what is left of a post published on some channels keeps it
// partial: it is live there, and "canceled" would say it is not.
func TestReviewCancelAfterSomePublishedIsPartial(t *testing.T) {
	ctx := context.Background()
	s, _ := reviewStore(t)
	claimChannel(t, s, "a", nil)
	claimChannel(t, s, "b", nil)
	claimPost(t, s, "p", c0, "a", "b")
	r := claim(t, s, "d1", c0, 10)
	for _, d := range r.Claimed {
		o := calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "x"}
		if d.Channel == "b" {
			o = calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: c0.Add(5 * time.Minute), Error: "503"}
		}
		if err := s.RecordOutcome(ctx, d, "d1", o); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CancelPost(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, d := range got.Deliveries {
		status[d.Channel] = d.Status
	}
	if got.Status != calendar.StatusPartial || status["a"] != calendar.DeliveryPublished || status["b"] != calendar.DeliveryCanceled {
		t.Fatalf("post %s, deliveries %v; want partial with a published and b canceled", got.Status, status)
	}
	if r := claim(t, s, "d1", c0.Add(time.Hour), 10); len(r.Claimed) != 0 {
		t.Fatalf("a canceled delivery was claimed: %+v", r.Claimed[0])
	}
}

// `channel edit --require-approval` gates what is already scheduled on the
// channel at once, and turning it off frees what waited only for it.
func TestReviewApprovalToggleReachesScheduledPosts(t *testing.T) {
	ctx := context.Background()
	s, _ := reviewStore(t)
	c := claimChannel(t, s, "a", nil)
	at := c0.Add(time.Hour)
	claimPost(t, s, "p", at, "a")
	c.RequireApproval = true
	if err := s.UpdateChannel(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Post(ctx, "p"); p.Status != calendar.StatusReview {
		t.Fatalf("post %s after the channel requires approval, want review", p.Status)
	}
	if r := claim(t, s, "d1", at, 10); len(r.Claimed) != 0 {
		t.Fatalf("an unapproved post was claimed on a channel requiring approval")
	}
	c.RequireApproval = false
	if err := s.UpdateChannel(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Post(ctx, "p"); p.Status != calendar.StatusScheduled {
		t.Fatalf("post %s after the channel no longer requires approval, want scheduled", p.Status)
	}
	if r := claim(t, s, "d1", at, 10); len(r.Claimed) != 1 {
		t.Fatalf("claimed %d once approval is no longer required, want 1", len(r.Claimed))
	}
}

// `channel remove --force` while a call is in flight would delete the record
// its outcome (the network's post id) is about to be written to.
func TestReviewRemoveChannelWaitsForCallsInFlight(t *testing.T) {
	ctx := context.Background()
	s, _ := reviewStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	r := claim(t, s, "d1", c0, 10)
	if err := s.RemoveChannel(ctx, "a", true); !errors.Is(err, calendar.ErrConflict) {
		t.Fatalf("remove --force during a call: err %v, want a conflict", err)
	}
	if err := s.RecordOutcome(ctx, r.Claimed[0], "d1", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "42"}); err != nil {
		t.Fatalf("recording the outcome: %v", err)
	}
	if err := s.RemoveChannel(ctx, "a", true); err != nil {
		t.Fatalf("remove --force once recorded: %v", err)
	}
}

// Queued again after a cancel: the revived delivery takes the next free
// slot, not its old (past) time, which would publish it late or miss it.
func TestReviewRequeueAfterCancelTakesANewSlot(t *testing.T) {
	ctx := context.Background()
	s, now := reviewStore(t)
	claimChannel(t, s, "a", nil)
	if _, err := s.AddSlot(ctx, "a", "0 9 * * *"); err != nil {
		t.Fatal(err)
	}
	claimPost(t, s, "p", c0, "a")
	if _, err := s.CancelPost(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	*now = c0.Add(3 * time.Hour)
	got, err := s.SchedulePost(ctx, "p", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	next := c0.Add(24 * time.Hour) // 09:00 UTC the next day
	if d := got.Deliveries[0]; d.Status != calendar.DeliveryPending || d.DueAt == nil || !d.DueAt.Equal(next) || d.RunAt == nil || !d.RunAt.Equal(next) {
		t.Fatalf("delivery %s due %v run %v, want pending at the next slot %v", d.Status, d.DueAt, d.RunAt, next)
	}
}
