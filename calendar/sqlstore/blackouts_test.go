package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

func TestBlackoutAddListRemove(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	tests := []struct {
		name    string
		b       calendar.Blackout
		wantErr string
	}{
		{"every channel", calendar.Blackout{StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour), Reason: "crisis"}, ""},
		{"one channel, drop", calendar.Blackout{Channel: "a", StartsAt: t0.Add(48 * time.Hour), EndsAt: t0.Add(72 * time.Hour), Reason: "holiday", Drop: true}, ""},
		{"no reason", calendar.Blackout{StartsAt: t0, EndsAt: t0.Add(time.Hour)}, "reason"},
		{"ends before it starts", calendar.Blackout{StartsAt: t0, EndsAt: t0.Add(-time.Hour), Reason: "x"}, "to"},
		{"unknown channel", calendar.Blackout{Channel: "zz", StartsAt: t0, EndsAt: t0.Add(time.Hour), Reason: "x"}, "channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AddBlackout(ctx, &tt.b)
			if tt.wantErr == "" {
				if err != nil || tt.b.ID == 0 {
					t.Fatalf("err %v id %d", err, tt.b.ID)
				}
				return
			}
			var ve *calendar.ValidationError
			if !errors.As(err, &ve) || ve.Problems[0].Field != tt.wantErr {
				t.Fatalf("err %v, want a validation error on %s", err, tt.wantErr)
			}
		})
	}
	all, err := s.Blackouts(ctx, time.Time{}, time.Time{})
	if err != nil || len(all) != 2 || all[1].Channel != "a" || !all[1].Drop || all[0].Channel != "" {
		t.Fatalf("list %+v %v", all, err)
	}
	// Range query: only what overlaps.
	some, _ := s.Blackouts(ctx, t0.Add(3*time.Hour), t0.Add(49*time.Hour))
	if len(some) != 1 || some[0].Reason != "holiday" {
		t.Fatalf("overlapping %+v", some)
	}
	if _, err := s.RemoveBlackout(ctx, all[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveBlackout(ctx, all[0].ID); !errors.Is(err, calendar.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
}

func TestQueueSkipsBlackout(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0) // Wednesday 2026-11-25 10:00 UTC
	addChannel(t, s, "a", "UTC", false)
	if _, err := s.AddSlot(ctx, "a", "daily 09:00"); err != nil {
		t.Fatal(err)
	}
	// Thursday and Friday are blacked out: the queue lands on Saturday.
	b := &calendar.Blackout{Channel: "a", StartsAt: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), Reason: "offsite"}
	if err := s.AddBlackout(ctx, b); err != nil {
		t.Fatal(err)
	}
	p := createPostAt(t, s, "q", nil, "a")
	got, err := s.SchedulePost(ctx, "q", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	if got.PublishAt == nil || !got.PublishAt.Equal(want) {
		t.Fatalf("queued at %v, want %v (post %d)", got.PublishAt, want, p.ID)
	}
}

// The claim condition and BlackedOut agree: a delivery due inside a blackout
// is not claimable until the (last overlapping) blackout ends.
func TestBlackedOutHoldsUntilEnd(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	a := addChannel(t, s, "a", "", false)
	other := addChannel(t, s, "b", "", false)
	start := t0.Add(time.Hour)
	for _, b := range []*calendar.Blackout{
		{Channel: "a", StartsAt: start, EndsAt: start.Add(2 * time.Hour), Reason: "one"},
		{Channel: "a", StartsAt: start.Add(2 * time.Hour), EndsAt: start.Add(3 * time.Hour), Reason: "two"},
	} {
		if err := s.AddBlackout(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	due := start.Add(30 * time.Minute)
	p := createPostAt(t, s, "held", &due, "a", "b")
	claimable := func(now time.Time) map[int64]bool {
		rows, err := s.db.QueryContext(ctx, `SELECT d.channel_id FROM deliveries d WHERE d.post_id=? AND d.status='pending'
			AND d.run_at <= ? AND `+notBlackedOut, p.ID, ms(now), ms(now), ms(now))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int64]bool{}
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			out[id] = true
		}
		return out
	}
	tests := []struct {
		name         string
		now          time.Time
		wantA, wantB bool
		wantOK       bool
		wantUntil    time.Time
	}{
		{"before due", t0, false, false, false, time.Time{}},
		{"due, inside the first", due, false, true, true, start.Add(3 * time.Hour)},
		{"inside the second", start.Add(150 * time.Minute), false, true, true, start.Add(3 * time.Hour)},
		{"after both", start.Add(3 * time.Hour), true, true, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := claimable(tt.now)
			if got[a.ID] != tt.wantA || got[other.ID] != tt.wantB {
				t.Fatalf("claimable %v, want a=%v b=%v", got, tt.wantA, tt.wantB)
			}
			until, drop, ok, err := s.BlackedOut(ctx, a.ID, tt.now)
			if err != nil || ok != tt.wantOK || drop || !until.Equal(tt.wantUntil) {
				t.Fatalf("BlackedOut = %v %v %v %v, want until %v ok %v", until, drop, ok, err, tt.wantUntil, tt.wantOK)
			}
			if _, _, ok, _ := s.BlackedOut(ctx, other.ID, tt.now); ok {
				t.Fatal("channel b is not blacked out")
			}
		})
	}
}

func TestDropBlackedOutCancelsWithEvent(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	addChannel(t, s, "b", "", false)
	b := &calendar.Blackout{Channel: "a", StartsAt: t0, EndsAt: t0.Add(24 * time.Hour), Reason: "mourning", Drop: true}
	if err := s.AddBlackout(ctx, b); err != nil {
		t.Fatal(err)
	}
	due := t0.Add(time.Hour)
	both := createPostAt(t, s, "both", &due, "a", "b")
	only := createPostAt(t, s, "only-a", &due, "a")
	later := t0.Add(48 * time.Hour)
	createPostAt(t, s, "later", &later, "a")

	// Not yet due: nothing dropped.
	if n, err := s.DropBlackedOut(ctx, t0); err != nil || n != 0 {
		t.Fatalf("early drop: %d %v", n, err)
	}
	n, err := s.DropBlackedOut(ctx, due)
	if err != nil || n != 2 {
		t.Fatalf("dropped %d, %v; want 2", n, err)
	}
	p1, _ := s.Post(ctx, "both")
	if p1.Status != calendar.StatusScheduled || p1.Deliveries[0].Status != calendar.DeliveryCanceled || p1.Deliveries[1].Status != calendar.DeliveryPending {
		t.Fatalf("both: %s %+v", p1.Status, p1.Deliveries)
	}
	p2, _ := s.Post(ctx, "only-a")
	if p2.Status != calendar.StatusCanceled {
		t.Fatalf("only-a: %s, want canceled", p2.Status)
	}
	p3, _ := s.Post(ctx, "later")
	if p3.Deliveries[0].Status != calendar.DeliveryPending {
		t.Fatalf("a delivery outside the blackout was touched: %+v", p3.Deliveries)
	}
	for _, id := range []int64{both.ID, only.ID} {
		e, ok := eventsByKind(t, s, id)["delivery.dropped"]
		if !ok || e.Detail["reason"] != "mourning" {
			t.Fatalf("post %d: no drop event (%+v)", id, e)
		}
	}
	if n, _ := s.DropBlackedOut(ctx, due); n != 0 {
		t.Fatalf("second pass dropped %d", n)
	}
}
