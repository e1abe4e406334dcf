package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// On PostgreSQL, a range's entries are read through pgx itself: a value
// repeated from row to row (a post's slug and title over its deliveries,
// the channels, the statuses, the tags) becomes a string once, not once
// per row and column. Before, database/sql made each text value a string
// and an interface: ~25 allocations a row; now about 2 (the idempotency
// key, a post's strings shared by its deliveries).
func TestPostgresEntriesAllocateLittlePerRow(t *testing.T) {
	ctx := context.Background()
	s := newEngineStore(t, "postgres", t0)
	for _, n := range []string{"a", "b", "c"} {
		addChannel(t, s, n, "", false)
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const posts = 100
	for i := 0; i < posts; i++ {
		at := day.Add(time.Duration(i) * time.Hour)
		p := &calendar.Post{Slug: fmt.Sprintf("p%03d", i), Title: fmt.Sprintf("Post %d", i), Body: "x", Tags: []string{"t"},
			Channels: []string{"a", "b", "c"}, PublishAt: &at, Status: calendar.StatusScheduled}
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	f := calendar.ViewFilter{From: day, To: day.AddDate(0, 1, 0)}
	es, err := s.Entries(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3*posts {
		t.Fatalf("%d entries, want %d", len(es), 3*posts)
	}
	for i, e := range es {
		if want := fmt.Sprintf("p%03d", i/3); e.Slug != want || e.Title != fmt.Sprintf("Post %d", i/3) || e.Label != e.Title ||
			e.Channel != []string{"a", "b", "c"}[i%3] || e.Network != "log" || e.PostStatus != string(calendar.StatusScheduled) ||
			len(e.Tags) != 1 || e.Tags[0] != "t" || e.IdempotencyKey == "" || e.PublishedAt != nil {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := s.Entries(ctx, f); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocations for %d rows", allocs, 3*posts)
	if perRow := allocs / float64(3*posts); perRow > 4 {
		t.Errorf("Entries allocated %.0f times for %d rows: %.1f a row, want at most 4", allocs, 3*posts, perRow)
	}
}
