package storetest

import (
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// `post publish --now`: PublishNow re-times a post to now and schedules it,
// in one transaction with its checks; a post whose deliveries failed, or
// one a gated channel has not approved, is refused and keeps its time and
// version.
func testPublishNow(t *testing.T, h Harness) {
	now := T0.Add(10 * time.Minute)
	tests := []struct {
		from    string
		refused error
		check   func(t *testing.T, e *env, p calendar.Post) // default: due and runnable now
	}{
		{from: "draft"},
		{from: "scheduled"},
		{from: "scheduled-approved"},
		{from: "canceled"},
		// A held delivery's outcome is unknown: publish-now never sends it
		// again (that is `post retry`, after a person checked).
		{from: "held", check: func(t *testing.T, e *env, p calendar.Post) {
			if d := p.Deliveries[0]; d.Status != calendar.DeliveryHeld || d.RunAt != nil {
				t.Errorf("publish-now made a held delivery %s, runnable at %s", d.Status, timeText(d.RunAt))
			}
			if r := e.claim("checker", e.clk.Now().Add(time.Hour), 10); len(r.Claimed) != 0 {
				t.Errorf("publish-now of a held post let %v be claimed", ids(r.Claimed))
			}
		}},
		{from: "failed", refused: calendar.ErrConflict},
		{from: "partial", refused: calendar.ErrConflict},
		{from: "missed", refused: calendar.ErrConflict},      // a missed post is failed: `post retry`
		{from: "review", refused: calendar.ErrConflict},      // gated, not approved
		{from: "draft-gated", refused: calendar.ErrConflict}, // gated, not approved
		{from: "published", refused: calendar.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.from, func(t *testing.T) {
			e := newEnv(t, h)
			e.channel("plain", nil)
			e.channel("other", nil)
			e.channel("gated", func(c *calendar.Channel) { c.RequireApproval = true })
			postStates[tt.from](e)
			e.clk.Set(now)
			before := e.get("p")
			got, err := e.s.PublishNow(e.ctx, "p", now)
			after := e.get("p")
			if tt.refused != nil {
				wantErr(t, "PublishNow from "+tt.from, err, tt.refused)
				if postState(after) != postState(before) {
					t.Errorf("a refused publish-now changed the post:\n%s\nvs\n%s", postState(before), postState(after))
				}
				return
			}
			wantErr(t, "PublishNow from "+tt.from, err, nil)
			if got.ID != before.ID || got.Status != calendar.StatusScheduled || !sameTime(got.PublishAt, &now) {
				t.Errorf("PublishNow returned %s", postState(got))
			}
			if after.Status != calendar.StatusScheduled || after.Queued || after.Version <= before.Version {
				t.Errorf("after publish-now from %s (version %d): %s", tt.from, before.Version, postState(after))
			}
			if tt.check == nil {
				tt.check = timedAt(now, true)
			}
			tt.check(t, e, after)
		})
	}
}

// `post retry` of a failed delivery the network shows in part: a delivery
// with a remote id and no part recorded may post its first part again, so
// it needs force; one whose parts were recorded resumes after them.
func testRetryForce(t *testing.T, h Harness) {
	failed := func(e *env, parts bool) calendar.Delivery {
		e.channel("plain", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "plain")
		d := e.claimOne("me", "p", "plain")
		if parts {
			wantErr(e.t, "RecordPart", e.s.RecordPart(e.ctx, d, "me", calendar.DeliveryPart{Index: 0, RemoteID: "r-first", RemoteURL: "https://example.com/r-first", PublishedAt: at(T0)}), nil)
		}
		e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "the second part was refused"})
		if !parts {
			if h.LegacyRemoteID == nil {
				e.t.Skip("the harness has no LegacyRemoteID")
			}
			h.LegacyRemoteID(e.t, e.s, d.ID, "r-first")
		}
		got := e.delivery(d.ID)
		if got.Status != calendar.DeliveryFailed || got.RemoteID != "r-first" {
			e.t.Fatalf("the failed delivery read back %+v, want failed with remote id r-first", got)
		}
		recorded, err := e.s.DeliveryParts(e.ctx, d.ID)
		wantErr(e.t, "DeliveryParts", err, nil)
		if parts && (len(recorded) != 1 || recorded[0].RemoteID != "r-first") || !parts && len(recorded) != 0 {
			e.t.Fatalf("parts read back %+v (recorded: %v)", recorded, parts)
		}
		return got
	}
	tests := []struct {
		name    string
		parts   bool
		force   bool
		refused error
	}{
		{name: "no-parts", refused: calendar.ErrConflict},
		{name: "no-parts-force", force: true},
		{name: "parts-recorded", parts: true},
		{name: "parts-recorded-force", parts: true, force: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, h)
			d := failed(e, tt.parts)
			e.clk.Advance(time.Minute)
			before := e.get("p")
			got, err := e.s.RetryDeliveries(e.ctx, "p", "", tt.force)
			if tt.refused != nil {
				wantErr(t, "RetryDeliveries without force", err, tt.refused)
				if after := e.get("p"); postState(after) != postState(before) {
					t.Errorf("a refused retry changed the post:\n%s\nvs\n%s", postState(before), postState(after))
				}
				if r := e.claim("checker", e.clk.Now().Add(time.Hour), 10); len(r.Claimed) != 0 {
					t.Errorf("a refused retry left %v claimable", ids(r.Claimed))
				}
				return
			}
			wantErr(t, "RetryDeliveries", err, nil)
			if len(got) != 1 || got[0].ID != d.ID {
				t.Errorf("RetryDeliveries returned %v, want [%d]", ids(got), d.ID)
			}
			after := e.get("p")
			if after.Status != calendar.StatusScheduled {
				t.Errorf("after the retry the post is %s", after.Status)
			}
			retried(t, e, after)
		})
	}
}

// OverdueCount and PendingCount, which the daemon's heartbeat and metrics
// read, agree with what ClaimDue takes and with the pending deliveries read
// back, as deliveries are created, claimed and recorded.
func testQueueCounts(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("a", nil)
	e.channel("b", nil)
	e.channel("gated", func(c *calendar.Channel) { c.RequireApproval = true })
	e.post("late", calendar.StatusScheduled, at(T0.Add(-10*time.Minute)), "a")
	e.post("just-due", calendar.StatusScheduled, at(T0.Add(-30*time.Second)), "a")
	e.post("later", calendar.StatusScheduled, at(T0.Add(time.Hour)), "a", "b")
	e.post("draft", calendar.StatusDraft, at(T0.Add(-10*time.Minute)), "a")
	e.post("review", calendar.StatusScheduled, at(T0.Add(-10*time.Minute)), "gated")

	// pending counts the pending deliveries as read back.
	pending := func() int {
		posts, err := e.s.Posts(e.ctx, calendar.PostFilter{})
		wantErr(t, "Posts", err, nil)
		n := 0
		for _, p := range posts {
			for _, d := range p.Deliveries {
				if d.Status == calendar.DeliveryPending {
					n++
				}
			}
		}
		return n
	}
	check := func(step string, overdue map[time.Time]int) {
		t.Helper()
		n, err := e.s.PendingCount(e.ctx)
		wantErr(t, "PendingCount", err, nil)
		if want := pending(); n != want {
			t.Errorf("%s: PendingCount %d, %d deliveries read back pending", step, n, want)
		}
		for now, want := range overdue {
			n, err := e.s.OverdueCount(e.ctx, now)
			wantErr(t, "OverdueCount", err, nil)
			if n != want {
				t.Errorf("%s: OverdueCount at %s is %d, want %d", step, now.Format(time.TimeOnly), n, want)
			}
		}
	}
	// claimAgrees: what is overdue a minute after then is what ClaimDue
	// takes at then (all of it, within its channel's lateness).
	claimAgrees := func(step string, at time.Time) calendar.ClaimResult {
		t.Helper()
		n, err := e.s.OverdueCount(e.ctx, at.Add(time.Minute))
		wantErr(t, "OverdueCount", err, nil)
		r := e.claim("me", at, 100)
		if len(r.Claimed) != n || len(r.Missed) != 0 {
			t.Errorf("%s: OverdueCount a minute after %s is %d; ClaimDue at %s took %v (missed %v)", step, at.Format(time.TimeOnly), n, at.Format(time.TimeOnly), ids(r.Claimed), ids(r.Missed))
		}
		return r
	}

	// Created: six pending deliveries, one over a minute late.
	check("created", map[time.Time]int{T0: 1, T0.Add(30 * time.Second): 2, T0.Add(time.Hour + time.Minute): 4})
	if n := pending(); n != 6 {
		t.Fatalf("%d pending deliveries, want 6", n)
	}
	// A paused channel's deliveries are not overdue (nothing would take them).
	wantErr(t, "SetChannelPaused", e.s.SetChannelPaused(e.ctx, "b", true, "quiet"), nil)
	check("b paused", map[time.Time]int{T0.Add(time.Hour + time.Minute): 3})
	wantErr(t, "SetChannelPaused", e.s.SetChannelPaused(e.ctx, "b", false, ""), nil)
	// Nor is a delivery in a blackout at that instant (it waits for its end).
	bo := calendar.Blackout{Channel: "b", StartsAt: T0.Add(time.Hour), EndsAt: T0.Add(2 * time.Hour), Reason: "quiet"}
	wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &bo), nil)
	check("b blacked out", map[time.Time]int{T0.Add(time.Hour + time.Minute): 3, T0.Add(2*time.Hour + time.Minute): 4})
	_, err := e.s.RemoveBlackout(e.ctx, bo.ID)
	wantErr(t, "RemoveBlackout", err, nil)

	// Claimed: what ClaimDue took is neither pending nor overdue.
	r := claimAgrees("first claim", T0)
	if len(r.Claimed) != 2 {
		t.Fatalf("claimed %v at T0, want late and just-due", ids(r.Claimed))
	}
	check("claimed", map[time.Time]int{T0: 0, T0.Add(30 * time.Minute): 0, T0.Add(time.Hour + time.Minute): 2})

	// Recorded: a retry is pending again and overdue once a minute late;
	// a publication is neither.
	retryAt := T0.Add(5 * time.Minute)
	for _, d := range r.Claimed {
		if d.PostID == e.get("late").ID {
			e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: retryAt, Error: "503"})
		} else {
			e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r"})
		}
	}
	check("recorded", map[time.Time]int{retryAt.Add(59 * time.Second): 0, retryAt.Add(time.Minute): 1, T0.Add(time.Hour + time.Minute): 3})
	claimAgrees("after the retry", retryAt)
	check("retry claimed", map[time.Time]int{T0.Add(time.Hour + time.Minute): 2})
	if n, _ := e.s.PendingCount(e.ctx); n != 4 {
		t.Errorf("PendingCount %d at the end, want 4 (later on a and b, draft, review)", n)
	}
}
