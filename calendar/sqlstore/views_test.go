package sqlstore

import (
	"context"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

func TestEntriesRangeAndFilters(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	addChannel(t, s, "b", "", false)
	if err := s.AddCampaign(ctx, &calendar.Campaign{Name: "sale", Color: "#e4572e"}); err != nil {
		t.Fatal(err)
	}
	dec := func(d, h int) *time.Time { v := time.Date(2026, 12, d, h, 0, 0, 0, time.UTC); return &v }
	for _, p := range []*calendar.Post{
		{Slug: "before", Body: "x", Channels: []string{"a"}, PublishAt: dec(0, 23), Status: calendar.StatusScheduled},
		{Slug: "first", Title: "First", Body: "x", Channels: []string{"a", "b"}, PublishAt: dec(1, 9), Status: calendar.StatusScheduled, Campaign: "sale", Tags: []string{"promo"}},
		{Slug: "untitled", Body: "\n  Line one\nline two", Channels: []string{"b"}, PublishAt: dec(15, 8), Status: calendar.StatusScheduled},
		{Slug: "after", Body: "x", Channels: []string{"a"}, PublishAt: dec(32, 0), Status: calendar.StatusScheduled},
		{Slug: "no-time", Body: "x", Channels: []string{"a"}},
	} {
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	month := calendar.ViewFilter{From: *dec(1, 0), To: *dec(32, 0)}
	tests := []struct {
		name string
		f    calendar.ViewFilter
		want []string // slug/channel
	}{
		{"month", month, []string{"first/a", "first/b", "untitled/b"}},
		{"channel", calendar.ViewFilter{From: month.From, To: month.To, Channel: "a"}, []string{"first/a"}},
		{"campaign", calendar.ViewFilter{From: month.From, To: month.To, Campaign: "sale"}, []string{"first/a", "first/b"}},
		{"tag", calendar.ViewFilter{From: month.From, To: month.To, Tag: "promo"}, []string{"first/a", "first/b"}},
		{"status", calendar.ViewFilter{From: month.From, To: month.To, Status: []string{calendar.StatusDraft}}, nil},
		{"unbounded", calendar.ViewFilter{}, []string{"before/a", "first/a", "first/b", "untitled/b", "after/a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := s.Entries(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Slug+"/"+e.Channel)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	es, _ := s.Entries(ctx, month)
	if e := es[0]; e.Label != "First" || e.CampaignColor != "#e4572e" || e.Status != calendar.DeliveryPending || e.PostStatus != calendar.StatusScheduled || e.Body != "" || len(e.Tags) != 1 {
		t.Fatalf("entry %+v", e)
	}
	if es[2].Label != "Line one" {
		t.Fatalf("untitled label %q", es[2].Label)
	}
	withBody, _ := s.Entries(ctx, calendar.ViewFilter{From: month.From, To: month.To, WithBody: true})
	if withBody[0].Body != "x" {
		t.Fatalf("body not loaded: %+v", withBody[0])
	}
}
