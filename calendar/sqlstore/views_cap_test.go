package sqlstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A bounded range's entries are read into room reserved once for them (its
// posts times the channels), not into a slice grown row after row.
func TestEntriesReservesTheRangesRoom(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	for _, n := range []string{"a", "b", "c"} {
		addChannel(t, s, n, "", false)
	}
	at := func(d, h int) *time.Time { v := time.Date(2026, 12, d, h, 0, 0, 0, time.UTC); return &v }
	for i := 0; i < 100; i++ {
		p := &calendar.Post{Slug: fmt.Sprintf("p%03d", i), Body: "x", Channels: []string{"a", "b", "c"}, PublishAt: at(1+i%28, i%24), Status: calendar.StatusScheduled}
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*calendar.Post{
		{Slug: "before", Body: "x", Channels: []string{"a"}, PublishAt: at(0, 12), Status: calendar.StatusScheduled},
		{Slug: "after", Body: "x", Channels: []string{"a"}, PublishAt: at(32, 0), Status: calendar.StatusScheduled},
	} {
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	month := calendar.ViewFilter{From: *at(1, 0), To: *at(32, 0)}
	tests := []struct {
		name     string
		f        calendar.ViewFilter
		len, cap int
	}{
		{"month", month, 300, 300},
		{"one channel: room for all of them", calendar.ViewFilter{From: month.From, To: month.To, Channel: "b"}, 100, 300},
		{"unbounded: no reservation", calendar.ViewFilter{}, 302, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := s.Entries(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != tt.len || (tt.cap >= 0 && cap(es) != tt.cap) {
				t.Fatalf("%d entries in room for %d, want %d in %d", len(es), cap(es), tt.len, tt.cap)
			}
			for i := 1; i < len(es); i++ {
				if es[i].At.Before(es[i-1].At) {
					t.Fatalf("entry %d (%s) before entry %d (%s)", i, es[i].At, i-1, es[i-1].At)
				}
			}
		})
	}
	if got := s.entriesHint(ctx, calendar.ViewFilter{From: month.From}); got != 0 {
		t.Fatalf("half-open range reserved %d", got)
	}
}
