package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

var c0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func claimStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return c0 }
	return s
}

func claimChannel(t *testing.T, s *Store, name string, edit func(*calendar.Channel)) calendar.Channel {
	t.Helper()
	c := calendar.Channel{Name: name, Network: "log"}
	if edit != nil {
		edit(&c)
	}
	if err := s.AddChannel(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func claimPost(t *testing.T, s *Store, slug string, at time.Time, channels ...string) calendar.Post {
	t.Helper()
	p := calendar.Post{Slug: slug, Body: slug, Channels: channels, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := s.CreatePost(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func claim(t *testing.T, s *Store, owner string, now time.Time, limit int) calendar.ClaimResult {
	t.Helper()
	r, err := s.ClaimDue(context.Background(), calendar.ClaimOptions{Owner: owner, Now: now, Lease: time.Minute, Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestClaimChoosesOnlyRunnableDeliveries(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func(t *testing.T, s *Store)
		want  int
	}{
		{"due", func(*testing.T, *Store) {}, 1},
		{"not yet due", func(t *testing.T, s *Store) {
			p, _ := s.Post(ctx, "p")
			later := c0.Add(time.Minute)
			if _, err := s.SchedulePost(ctx, p.Slug, &later, false); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"kill switch", func(t *testing.T, s *Store) {
			if err := s.PauseAll(ctx, "crisis"); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"channel paused", func(t *testing.T, s *Store) {
			if err := s.SetChannelPaused(ctx, "a", true, "x"); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"canceled", func(t *testing.T, s *Store) {
			if _, err := s.CancelPost(ctx, "p"); err != nil {
				t.Fatal(err)
			}
		}, 0},
		{"blackout", func(t *testing.T, s *Store) {
			if err := s.AddBlackout(ctx, &calendar.Blackout{StartsAt: c0.Add(-time.Hour), EndsAt: c0.Add(time.Hour), Reason: "quiet"}); err != nil {
				t.Fatal(err)
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := claimStore(t)
			claimChannel(t, s, "a", nil)
			claimPost(t, s, "p", c0, "a")
			tt.setup(t, s)
			r := claim(t, s, "me", c0, 10)
			if len(r.Claimed) != tt.want {
				t.Fatalf("claimed %d, want %d", len(r.Claimed), tt.want)
			}
			if tt.want == 1 {
				d := r.Claimed[0]
				if d.Status != calendar.DeliveryPublishing || d.LeaseOwner != "me" || d.Attempts != 1 || !d.LeaseExpiresAt.Equal(c0.Add(time.Minute)) {
					t.Errorf("claimed delivery %+v", d)
				}
				if again := claim(t, s, "other", c0, 10); len(again.Claimed) != 0 {
					t.Error("a claimed delivery was claimed again")
				}
			}
		})
	}
}

// Concurrent claims from two connections never hand one delivery out twice.
func TestClaimIsExclusiveAcrossConnections(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimChannel(t, s, "b", nil)
	for i := range 150 {
		claimPost(t, s, fmt.Sprintf("p%03d", i), c0.Add(-time.Duration(i)*time.Second), "a", "b")
	}
	other, err := OpenURL(ctx, s.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w, st := range []*Store{s, other, s, other} {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				r, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: owner, Now: c0, Lease: time.Minute, Limit: 7})
				if err != nil {
					t.Error(err)
					return
				}
				if len(r.Claimed) == 0 {
					return
				}
				mu.Lock()
				for _, d := range r.Claimed {
					if prev, dup := seen[d.ID]; dup {
						t.Errorf("delivery %d claimed by %s and %s", d.ID, prev, owner)
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 300 {
		t.Errorf("claimed %d deliveries, want 300", len(seen))
	}
}

func TestClaimMarksMissedUnlessABlackoutHeldIt(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", func(c *calendar.Channel) { c.MaxLateness = time.Hour })
	claimChannel(t, s, "b", func(c *calendar.Channel) { c.MaxLateness = time.Hour })
	claimPost(t, s, "stale", c0.Add(-3*time.Hour), "a")
	claimPost(t, s, "held", c0.Add(-3*time.Hour), "b")
	claimPost(t, s, "late", c0.Add(-30*time.Minute), "a")
	// A blackout on b covered "held"'s time and ended 10 minutes ago.
	if err := s.AddBlackout(ctx, &calendar.Blackout{Channel: "b", StartsAt: c0.Add(-4 * time.Hour), EndsAt: c0.Add(-10 * time.Minute), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	r := claim(t, s, "me", c0, 10)
	if len(r.Missed) != 1 || len(r.Claimed) != 2 {
		t.Fatalf("missed %d claimed %d, want 1 and 2", len(r.Missed), len(r.Claimed))
	}
	p, _ := s.Post(ctx, "stale")
	if p.Deliveries[0].Status != calendar.DeliveryMissed || p.Status != calendar.StatusFailed {
		t.Errorf("stale: delivery %s, post %s", p.Deliveries[0].Status, p.Status)
	}
}

func TestRateLimitDefersOverBudget(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", func(c *calendar.Channel) { c.RatePerMinute = 2; c.RatePerDay = 3 })
	for i := range 5 {
		claimPost(t, s, fmt.Sprintf("p%d", i), c0.Add(-time.Duration(5-i)*time.Second), "a")
	}
	r := claim(t, s, "me", c0, 10)
	if len(r.Claimed) != 2 || r.Deferred != 3 {
		t.Fatalf("claimed %d deferred %d, want 2 and 3", len(r.Claimed), r.Deferred)
	}
	for _, d := range r.Claimed {
		if err := s.RecordOutcome(ctx, d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	run, _, err := s.NextWake(ctx, c0)
	if err != nil || run == nil || !run.Equal(c0.Add(time.Minute+time.Millisecond)) {
		t.Fatalf("next wake %v (%v), want a minute after the claims", run, err)
	}
	// A minute later the per-minute window has room, the per-day budget one.
	r = claim(t, s, "me", run.Add(time.Millisecond), 10)
	if len(r.Claimed) != 1 || r.Deferred != 2 {
		t.Fatalf("second minute: claimed %d deferred %d, want 1 and 2", len(r.Claimed), r.Deferred)
	}
	run, _, _ = s.NextWake(ctx, c0.Add(time.Minute))
	if run == nil || run.Before(c0.Add(24*time.Hour)) {
		t.Errorf("day budget spent: next wake %v, want a day after the first claim", run)
	}
}

func TestRecordOutcomeAfterTheLeaseWasLost(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	d := claim(t, s, "slow", c0, 1).Claimed[0]
	taken, err := s.ClaimExpired(ctx, "rescuer", c0.Add(2*time.Minute), time.Minute, 10)
	if err != nil || len(taken) != 1 || taken[0].LeaseOwner != "rescuer" {
		t.Fatalf("ClaimExpired: %v %+v", err, taken)
	}
	if err := s.RecordOutcome(ctx, d, "slow", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: c0}); !errors.Is(err, calendar.ErrLeaseLost) {
		t.Fatalf("a retry recorded without the lease: %v", err)
	}
	// The network's confirmation is recorded even so…
	if err := s.RecordOutcome(ctx, d, "slow", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1"}); err != nil {
		t.Fatal(err)
	}
	// …and a second confirmation is flagged as a duplicate, not overwritten.
	if err := s.RecordOutcome(ctx, taken[0], "rescuer", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r2"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Delivery(ctx, d.ID)
	if got.Status != calendar.DeliveryPublished || got.RemoteID != "r1" {
		t.Errorf("delivery %s %s, want published r1", got.Status, got.RemoteID)
	}
	evs, _ := s.PostHistory(ctx, d.PostID)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"post.created", "delivery.attempt", "delivery.lease_expired", "delivery.published", "post.published", "delivery.duplicate"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("history %v, want %v", kinds, want)
	}
}

func TestRetryOfACanceledPostCancels(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	d := claim(t, s, "me", c0, 1).Claimed[0]
	if _, err := s.CancelPost(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordOutcome(ctx, d, "me", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: c0.Add(time.Minute), Error: "502"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Delivery(ctx, d.ID)
	if got.Status != calendar.DeliveryCanceled {
		t.Errorf("a canceled post's failed attempt left the delivery %s", got.Status)
	}
}

func TestAuthOutcomePausesTheChannel(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	d := claim(t, s, "me", c0, 1).Claimed[0]
	if err := s.RecordOutcome(ctx, d, "me", calendar.Outcome{Kind: calendar.OutcomeAuth, Error: "401", PauseReason: "fix the token"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Delivery(ctx, d.ID)
	c, _ := s.Channel(ctx, "a")
	if got.Status != calendar.DeliveryPending || got.Attempts != 0 || !c.Paused || c.PauseReason != "fix the token" {
		t.Errorf("delivery %s attempts %d, channel paused %v %q", got.Status, got.Attempts, c.Paused, c.PauseReason)
	}
	if run, _, _ := s.NextWake(ctx, c0); run != nil {
		t.Errorf("next wake %v for a paused channel", run)
	}
}

func TestNextWake(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimChannel(t, s, "b", nil)
	if run, lease, err := s.NextWake(ctx, c0); run != nil || lease != nil || err != nil {
		t.Fatalf("empty calendar: %v %v %v", run, lease, err)
	}
	claimPost(t, s, "later", c0.Add(time.Hour), "a")
	claimPost(t, s, "sooner", c0.Add(time.Minute), "b")
	if run, _, _ := s.NextWake(ctx, c0); run == nil || !run.Equal(c0.Add(time.Minute)) {
		t.Errorf("next wake %v, want the sooner post", run)
	}
	if err := s.SetChannelPaused(ctx, "b", true, ""); err != nil {
		t.Fatal(err)
	}
	if run, _, _ := s.NextWake(ctx, c0); run == nil || !run.Equal(c0.Add(time.Hour)) {
		t.Errorf("next wake %v, want the later post (b is paused)", run)
	}
	if err := s.AddBlackout(ctx, &calendar.Blackout{StartsAt: c0.Add(-time.Minute), EndsAt: c0.Add(10 * time.Minute), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if run, _, _ := s.NextWake(ctx, c0); run == nil || !run.Equal(c0.Add(10*time.Minute)) {
		t.Errorf("next wake %v, want the blackout's end", run)
	}
}

// The approval gate is the claim's own rule, not only the run_at that the
// settle step computes: a delivery on a channel that requires approval is
// never claimed for an unapproved post, whatever its run_at says.
func TestClaimRefusesAnUnapprovedDeliveryOnAGatedChannel(t *testing.T) {
	ctx := context.Background()
	for _, status := range []string{calendar.DeliveryFailed, calendar.DeliveryPublished} { // the post ends failed, or partial
		t.Run(status, func(t *testing.T) {
			s := claimStore(t)
			claimChannel(t, s, "open", nil)
			claimChannel(t, s, "other", nil)
			claimChannel(t, s, "gated", func(c *calendar.Channel) { c.RequireApproval = true })
			claimPost(t, s, "p", c0, "open", "other")
			r := claim(t, s, "me", c0, 10)
			if len(r.Claimed) != 2 {
				t.Fatalf("claimed %d, want 2", len(r.Claimed))
			}
			for i, d := range r.Claimed {
				o := calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"}
				if i == 0 && status == calendar.DeliveryPublished {
					o = calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "1"}
				}
				if err := s.RecordOutcome(ctx, d, "me", o); err != nil {
					t.Fatal(err)
				}
			}
			p, err := s.Post(ctx, "p")
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != calendar.StatusFailed && p.Status != calendar.StatusPartial {
				t.Fatalf("post is %s, want failed or partial", p.Status)
			}
			// Edited to add a channel that requires approval, never approved.
			p.Channels = append(p.Channels, "gated")
			if err := s.UpdatePost(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if got := claim(t, s, "me", c0.Add(time.Minute), 10); len(got.Claimed) != 0 {
				t.Fatalf("claimed %s on %s without approval", got.Claimed[0].Status, got.Claimed[0].Channel)
			}
			// Even when something made its run_at due, the claim refuses it.
			if _, err := s.db.ExecContext(ctx, `UPDATE deliveries SET run_at=? WHERE status='pending'`, ms(c0)); err != nil {
				t.Fatal(err)
			}
			if got := claim(t, s, "me", c0.Add(time.Minute), 10); len(got.Claimed) != 0 {
				t.Fatalf("claimed %s with a due run_at and no approval", got.Claimed[0].Channel)
			}
			if due, err := s.DueDeliveries(ctx, c0.Add(time.Minute), 0); err != nil || len(due) != 0 {
				t.Errorf("dry run lists %d unapproved deliveries as due (%v)", len(due), err)
			}
			if run, _, err := s.NextWake(ctx, c0.Add(time.Minute)); err != nil || run != nil {
				t.Errorf("next wake %v for an unapproved delivery (%v)", run, err)
			}
			// Approved, it is claimed.
			if _, err := s.ApprovePost(ctx, "p", "editor"); err != nil {
				t.Fatal(err)
			}
			got := claim(t, s, "me", c0.Add(time.Minute), 10)
			if len(got.Claimed) != 1 || got.Claimed[0].Channel != "gated" {
				t.Fatalf("after approval claimed %+v, want the gated delivery", got.Claimed)
			}
		})
	}
}
