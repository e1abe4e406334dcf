package scheduler

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// TestFillEvergreenJob: the leader's fill job, on the scheduler's clock,
// fills category slots ahead with copies that then publish like any post;
// a post the check refuses is logged and never published.
func TestFillEvergreenJob(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake", nil)
	if err := e.st.AddCategory(ctx, &calendar.Category{Name: "tips"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []calendar.Post{
		{Slug: "contest", Body: "Share to enter!", Category: "tips"},
		{Slug: "tip", Body: "Wax your skis", Category: "tips"},
	} {
		if err := e.st.CreatePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.AddCategorySlot(ctx, "a", "daily 10:00", "tips"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	s := e.scheduler(Options{
		Log:         slog.New(slog.NewTextHandler(&logs, nil)),
		FillHorizon: 48 * time.Hour,
		FillCheck: func(p calendar.Post) error {
			if strings.Contains(p.Body, "Share to enter") {
				return errors.New("no-share-to-enter")
			}
			return nil
		},
	})
	rep, err := s.FillEvergreen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Filled) != 2 || rep.Filled[0].From != "tip" || !rep.Filled[0].At.Equal(t0.Add(time.Hour)) {
		t.Fatalf("filled %+v, want the tip at 10:00 on the next two days", rep.Filled)
	}
	if !strings.Contains(logs.String(), "evergreen post skipped") || !strings.Contains(logs.String(), "post=contest") {
		t.Errorf("log = %s, want the skipped post named", logs.String())
	}
	// The same job again (the next cron tick) fills nothing more.
	if again, err := s.FillEvergreen(ctx); err != nil || len(again.Filled) != 0 {
		t.Errorf("second run filled %v (%v)", again.Filled, err)
	}
	e.clock.Advance(time.Hour)
	out, err := s.RunOnce(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Published != 1 || len(e.fakes["fake"].Posts()) != 1 || e.fakes["fake"].Posts()[0].Text != "Wax your skis" {
		t.Errorf("published %d: %+v, want the tip's copy", out.Published, e.fakes["fake"].Posts())
	}
}
