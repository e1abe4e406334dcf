package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

func TestMovePost(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	addChannel(t, s, "gated", "", true)
	at := t0.Add(time.Hour)
	to := t0.Add(50 * time.Hour)
	createPostAt(t, s, "p", &at, "a")

	mv, err := s.MovePost(ctx, "p", to, true)
	if err != nil || !mv.From.Equal(at) || !mv.To.Equal(to) {
		t.Fatalf("dry run %+v %v", mv, err)
	}
	if p, _ := s.Post(ctx, "p"); !p.PublishAt.Equal(at) {
		t.Fatal("dry run moved the post")
	}
	if _, err := s.MovePost(ctx, "p", to, false); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Post(ctx, "p")
	if !p.PublishAt.Equal(to) || !p.Deliveries[0].DueAt.Equal(to) || p.Status != calendar.StatusScheduled {
		t.Fatalf("after move: %v %v %s", p.PublishAt, p.Deliveries[0].DueAt, p.Status)
	}
	if r := runAt(t, s, p.ID); r[0] == nil || *r[0] != to.UnixMilli() {
		t.Fatalf("run_at did not follow: %v", r)
	}
	if _, ok := eventsByKind(t, s, p.ID)["post.retimed"]; !ok {
		t.Fatal("no post.retimed event")
	}

	// Re-timing is not a content change: an approved post stays approved.
	g := createPostAt(t, s, "g", &at, "gated")
	if _, err := s.ApprovePost(ctx, "g", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MovePost(ctx, "g", to, false); err != nil {
		t.Fatal(err)
	}
	if gp, _ := s.Post(ctx, "g"); gp.ApprovedAt == nil || gp.Status != calendar.StatusScheduled || *runAt(t, s, g.ID)[0] != to.UnixMilli() {
		t.Fatalf("moved approved post: %s approved %v", gp.Status, gp.ApprovedAt)
	}

	// Published and canceled posts stay.
	if _, err := s.db.Exec(`UPDATE posts SET status='published' WHERE slug='p'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MovePost(ctx, "p", to, false); !errors.Is(err, calendar.ErrConflict) {
		t.Fatalf("moving a published post: %v", err)
	}
	if _, err := s.MovePost(ctx, "nosuch", to, false); !errors.Is(err, calendar.ErrNotFound) {
		t.Fatalf("unknown post: %v", err)
	}
}

func TestShiftCampaignAcrossDST(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	addChannel(t, s, "paris", "Europe/Paris", false)
	addChannel(t, s, "utc", "UTC", false)
	if err := s.AddCampaign(ctx, &calendar.Campaign{Name: "spring"}); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	mk := func(slug, ch string, at time.Time) {
		p := &calendar.Post{Slug: slug, Body: slug, Channels: []string{ch}, PublishAt: &at, Status: calendar.StatusScheduled, Campaign: "spring"}
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	mk("morning", "paris", time.Date(2027, 3, 25, 9, 0, 0, 0, paris))
	mk("evening", "paris", time.Date(2027, 3, 26, 18, 30, 0, 0, paris))
	mk("utc-noon", "utc", time.Date(2027, 3, 26, 12, 0, 0, 0, time.UTC))
	mk("done", "paris", time.Date(2027, 3, 20, 9, 0, 0, 0, paris))
	if _, err := s.db.Exec(`UPDATE posts SET status='published' WHERE slug='done'`); err != nil {
		t.Fatal(err)
	}
	sh, _ := calendar.ParseShift("1w")

	dry, err := s.ShiftCampaign(ctx, "spring", sh, time.UTC, true)
	if err != nil || len(dry) != 3 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if p, _ := s.Post(ctx, "morning"); !p.PublishAt.Equal(time.Date(2027, 3, 25, 9, 0, 0, 0, paris)) {
		t.Fatal("dry run wrote")
	}
	moves, err := s.ShiftCampaign(ctx, "spring", sh, time.UTC, false)
	if err != nil || len(moves) != 3 {
		t.Fatalf("shift: %+v %v", moves, err)
	}
	want := map[string]time.Time{
		"morning":  time.Date(2027, 4, 1, 9, 0, 0, 0, paris),
		"evening":  time.Date(2027, 4, 2, 18, 30, 0, 0, paris),
		"utc-noon": time.Date(2027, 4, 2, 12, 0, 0, 0, time.UTC),
		"done":     time.Date(2027, 3, 20, 9, 0, 0, 0, paris),
	}
	for slug, w := range want {
		p, _ := s.Post(ctx, slug)
		if !p.PublishAt.Equal(w) || !p.Deliveries[0].DueAt.Equal(w) {
			t.Errorf("%s at %v (due %v), want %v", slug, p.PublishAt.In(paris), p.Deliveries[0].DueAt, w.In(paris))
		}
	}
	if _, err := s.ShiftCampaign(ctx, "nosuch", sh, time.UTC, false); !errors.Is(err, calendar.ErrNotFound) {
		t.Fatalf("unknown campaign: %v", err)
	}
}

// campaign shift reads days in the zone post new and post move read a post's
// time in (calendar.PostZone): the first of its channels with a zone of its
// own, even after one without.
func TestShiftCampaignReadsDaysInThePostZone(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	addChannel(t, s, "aaa", "", false) // no zone, and first by name
	addChannel(t, s, "paris", "Europe/Paris", false)
	if err := s.AddCampaign(ctx, &calendar.Campaign{Name: "spring"}); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2027, 3, 25, 9, 0, 0, 0, paris) // the clocks go forward on the 28th
	p := &calendar.Post{Slug: "both", Body: "x", Channels: []string{"aaa", "paris"}, PublishAt: &at, Campaign: "spring"}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	sh, _ := calendar.ParseShift("1w")
	if _, err := s.ShiftCampaign(ctx, "spring", sh, time.UTC, false); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Post(ctx, "both")
	if want := time.Date(2027, 4, 1, 9, 0, 0, 0, paris); !got.PublishAt.Equal(want) {
		t.Errorf("shifted to %v, want %v (09:00 in Paris, as post move +1w gives)", got.PublishAt.In(paris), want)
	}
}
