package storetest

import (
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

func testBlackouts(t *testing.T, h Harness) {
	t.Run("crud", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		b := calendar.Blackout{Channel: "a", StartsAt: T0.Add(time.Hour), EndsAt: T0.Add(2 * time.Hour), Reason: "strike"}
		wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &b), nil)
		all := calendar.Blackout{StartsAt: T0.Add(3 * time.Hour), EndsAt: T0.Add(4 * time.Hour), Reason: "mourning", Drop: true}
		wantErr(t, "AddBlackout on every channel", e.s.AddBlackout(e.ctx, &all), nil)
		got, err := e.s.Blackouts(e.ctx, time.Time{}, time.Time{})
		wantErr(t, "Blackouts", err, nil)
		if len(got) != 2 || got[0].ID != b.ID || got[0].Channel != "a" || !got[0].StartsAt.Equal(b.StartsAt) || !got[0].EndsAt.Equal(b.EndsAt) ||
			got[0].Reason != "strike" || got[0].Drop || got[1].Channel != "" || !got[1].Drop {
			t.Errorf("Blackouts read back %+v", got)
		}
		if got, _ := e.s.Blackouts(e.ctx, T0.Add(150*time.Minute), time.Time{}); len(got) != 1 || got[0].ID != all.ID {
			t.Errorf("Blackouts ending after 11:30: %+v", got)
		}
		wantInvalid(t, "a blackout on no channel", e.s.AddBlackout(e.ctx, &calendar.Blackout{Channel: "nosuch", StartsAt: T0, EndsAt: T0.Add(time.Hour), Reason: "x"}), "channel")
		wantInvalid(t, "a blackout ending before it starts", e.s.AddBlackout(e.ctx, &calendar.Blackout{StartsAt: T0, EndsAt: T0.Add(-time.Hour), Reason: "x"}), "to")
		wantInvalid(t, "a blackout without a reason", e.s.AddBlackout(e.ctx, &calendar.Blackout{StartsAt: T0, EndsAt: T0.Add(time.Hour)}), "reason")
		removed, err := e.s.RemoveBlackout(e.ctx, b.ID)
		wantErr(t, "RemoveBlackout", err, nil)
		if removed.Reason != "strike" {
			t.Errorf("RemoveBlackout returned %+v", removed)
		}
		if got, _ := e.s.Blackouts(e.ctx, time.Time{}, time.Time{}); len(got) != 1 || got[0].ID != all.ID {
			t.Errorf("after removal: %+v", got)
		}
		_, err = e.s.RemoveBlackout(e.ctx, b.ID)
		wantErr(t, "RemoveBlackout twice", err, calendar.ErrNotFound)
	})
	t.Run("waits-for-its-end", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.channel("b", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a", "b")
		end := T0.Add(90 * time.Minute) // longer than the max lateness (1 h)
		wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &calendar.Blackout{Channel: "a", StartsAt: T0.Add(-time.Hour), EndsAt: end, Reason: "quiet"}), nil)
		r := e.claim("me", T0, 10)
		if len(r.Claimed) != 1 || r.Claimed[0].Channel != "b" {
			t.Fatalf("inside a blackout of a, claimed %v (only b's may run)", r.Claimed)
		}
		if n, err := e.s.DropBlackedOut(e.ctx, T0); err != nil || n != 0 {
			t.Errorf("DropBlackedOut of a waiting blackout: %d, %v", n, err)
		}
		held := e.deliveryOn("p", "a")
		if held.Status != calendar.DeliveryPending || !sameTime(held.RunAt, at(T0)) {
			t.Errorf("the delivery held by the blackout: %+v", held)
		}
		if r := e.claim("me", end.Add(-time.Millisecond), 10); len(r.Claimed) != 0 || len(r.Missed) != 0 {
			t.Errorf("before the blackout's end: claimed %v, missed %v", ids(r.Claimed), ids(r.Missed))
		}
		// At its end it runs, not missed though 90 min after its time: the
		// lateness a blackout caused counts from its end.
		r = e.claim("me", end.Add(time.Minute), 10)
		if len(r.Claimed) != 1 || r.Claimed[0].ID != held.ID || len(r.Missed) != 0 {
			t.Errorf("after the blackout: claimed %v, missed %v", ids(r.Claimed), ids(r.Missed))
		}
	})
	t.Run("every-channel", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.channel("b", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a", "b")
		b := calendar.Blackout{StartsAt: T0.Add(-time.Minute), EndsAt: T0.Add(time.Hour), Reason: "quiet"}
		wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &b), nil)
		if r := e.claim("me", T0, 10); len(r.Claimed) != 0 {
			t.Fatalf("claimed %v inside a blackout of every channel", ids(r.Claimed))
		}
		_, err := e.s.RemoveBlackout(e.ctx, b.ID)
		wantErr(t, "RemoveBlackout", err, nil)
		if r := e.claim("me", T0, 10); len(r.Claimed) != 2 {
			t.Errorf("after removing the blackout, claimed %v", ids(r.Claimed))
		}
	})
	t.Run("drop", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.channel("b", nil)
		e.post("inside", calendar.StatusScheduled, at(T0), "a")
		e.post("both", calendar.StatusScheduled, at(T0), "a", "b")
		e.post("after", calendar.StatusScheduled, at(T0.Add(2*time.Hour)), "a")
		wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &calendar.Blackout{Channel: "a", StartsAt: T0.Add(-time.Minute), EndsAt: T0.Add(time.Hour), Reason: "recall", Drop: true}), nil)
		if n, err := e.s.DropBlackedOut(e.ctx, T0.Add(-2*time.Minute)); err != nil || n != 0 {
			t.Errorf("before the blackout starts, DropBlackedOut: %d, %v", n, err)
		}
		n, err := e.s.DropBlackedOut(e.ctx, T0)
		wantErr(t, "DropBlackedOut", err, nil)
		if n != 2 {
			t.Errorf("dropped %d, want 2", n)
		}
		if p := e.get("inside"); p.Status != calendar.StatusCanceled || p.Deliveries[0].Status != calendar.DeliveryCanceled {
			t.Errorf("a post dropped on its only channel: %s", postState(p))
		}
		if d := e.deliveryOn("both", "a"); d.Status != calendar.DeliveryCanceled {
			t.Errorf("both, on a: %s", d.Status)
		}
		r := e.claim("me", T0, 10)
		if len(r.Claimed) != 1 || r.Claimed[0].ID != e.deliveryOn("both", "b").ID {
			t.Fatalf("claimed %v; only both on b may run", ids(r.Claimed))
		}
		e.outcome(r.Claimed[0], "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r"})
		if p := e.get("both"); p.Status != calendar.StatusPartial {
			t.Errorf("published on b, dropped on a: %s", p.Status)
		}
		if d := e.deliveryOn("after", "a"); d.Status != calendar.DeliveryPending {
			t.Errorf("a delivery after the blackout was touched: %+v", d)
		}
		if n, _ := e.s.DropBlackedOut(e.ctx, T0.Add(time.Minute)); n != 0 {
			t.Errorf("dropped %d more the second time", n)
		}
	})
}

func testPause(t *testing.T, h Harness) {
	t.Run("channel", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.channel("b", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a", "b")
		wantErr(t, "SetChannelPaused", e.s.SetChannelPaused(e.ctx, "a", true, "rebranding"), nil)
		if c, _ := e.s.Channel(e.ctx, "a"); !c.Paused || c.PauseReason != "rebranding" {
			t.Errorf("paused channel read back %+v", c)
		}
		r := e.claim("me", T0, 10)
		if len(r.Claimed) != 1 || r.Claimed[0].Channel != "b" {
			t.Fatalf("with a paused, claimed %v", r.Claimed)
		}
		// Paused longer than the max lateness: still not missed while paused.
		if r := e.claim("me", T0.Add(3*time.Hour), 10); len(r.Claimed) != 0 || len(r.Missed) != 0 {
			t.Errorf("on a paused channel: claimed %v, missed %v", ids(r.Claimed), ids(r.Missed))
		}
		wantErr(t, "SetChannelPaused nosuch", e.s.SetChannelPaused(e.ctx, "nosuch", true, "x"), calendar.ErrNotFound)
		wantErr(t, "resume", e.s.SetChannelPaused(e.ctx, "a", false, ""), nil)
		if c, _ := e.s.Channel(e.ctx, "a"); c.Paused || c.PauseReason != "" {
			t.Errorf("resumed channel read back %+v", c)
		}
		if r := e.claim("me", T0.Add(30*time.Second), 10); len(r.Claimed) != 1 || r.Claimed[0].Channel != "a" {
			t.Errorf("after resume, claimed %v", r.Claimed)
		}
	})
	t.Run("all", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.s // the switch is seen by a second process, when there is one
		if h.OpenSecond != nil {
			other = e.second()
		}
		e.channel("a", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a")
		wantErr(t, "PauseAll", e.s.PauseAll(e.ctx, "crisis"), nil)
		on, reason, err := other.PausedAll(e.ctx)
		if err != nil || !on || reason != "crisis" {
			t.Errorf("PausedAll read by another handle: %v %q %v", on, reason, err)
		}
		if r := e.claimOn(other, "daemon", T0, 10); len(r.Claimed) != 0 {
			t.Errorf("claimed %v while everything is paused", ids(r.Claimed))
		}
		if d := e.deliveryOn("p", "a"); d.Status != calendar.DeliveryPending {
			t.Errorf("the kill switch changed a delivery: %+v", d)
		}
		wantErr(t, "ResumeAll", e.s.ResumeAll(e.ctx), nil)
		if on, _, _ := other.PausedAll(e.ctx); on {
			t.Error("still paused after ResumeAll")
		}
		if r := e.claimOn(other, "daemon", T0, 10); len(r.Claimed) != 1 {
			t.Errorf("after ResumeAll, claimed %v", ids(r.Claimed))
		}
	})
}
