package sqlstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/storetest"
)

// TestEntriesByDayIsTheGridOfEntries checks EntriesByDay against Entries
// on both engines: for each filter and day size, each day's first entries
// (whole), its count and the legend must be what placing every entry of
// Entries by its time gives. The month is November 2026 in New York (a
// 25-hour day on the 1st); posts share times and channels whose names
// order differently by bytes and by a language's rules; some deliveries
// are due hours away from their post, a few of them outside the month.
func TestEntriesByDayIsTheGridOfEntries(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := newEngineStore(t, engine, t0)
			for _, ch := range []string{"bx", "b-x", "a"} {
				addChannel(t, s, ch, "", false)
			}
			for _, c := range []calendar.Campaign{{Name: "sale", Color: "#e4572e"}, {Name: "quiet"}} {
				if err := s.AddCampaign(ctx, &c); err != nil {
					t.Fatal(err)
				}
			}
			ny, err := time.LoadLocation("America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, ny), time.Date(2026, 12, 1, 0, 0, 0, 0, ny)
			r := rand.New(rand.NewPCG(1, 2))
			subsets := [][]string{{"a"}, {"bx"}, {"b-x"}, {"a", "bx", "b-x"}, {"bx", "b-x"}}
			for i := range 240 {
				// Every 3 hours from Oct 31, then a few more at the same times.
				at := from.Add(-24*time.Hour + time.Duration(i%(32*8))*3*time.Hour)
				if i%7 == 0 {
					at = at.Add(-time.Duration(i%3) * 3 * time.Hour)
				}
				p := &calendar.Post{Slug: fmt.Sprintf("p%03d", i), Body: fmt.Sprintf("post %d\nmore", i), Channels: subsets[r.IntN(len(subsets))],
					PublishAt: &at, Status: calendar.StatusScheduled}
				switch i % 5 {
				case 0:
					p.Campaign, p.Tags = "sale", []string{"promo"}
				case 1:
					p.Campaign = "quiet"
				case 2:
					p.Title = fmt.Sprintf("Title %d", i)
				}
				if err := s.CreatePost(ctx, p); err != nil {
					t.Fatal(err)
				}
				if i%11 == 0 {
					if _, err := s.db.ExecContext(ctx, `UPDATE deliveries SET due_at = ? WHERE post_id = ?`, ms(at.Add(time.Duration(r.IntN(40)-20)*time.Hour)), p.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			starts := dayStarts(from, to)
			filters := map[string]calendar.ViewFilter{
				"all":      {From: from, To: to},
				"channel":  {From: from, To: to, Channel: "bx"},
				"campaign": {From: from, To: to, Campaign: "sale"},
				"tag":      {From: from, To: to, Tag: "promo"},
				"status":   {From: from, To: to, Status: []string{calendar.StatusDraft}},
			}
			for name, f := range filters {
				for _, perDay := range []int{1, 4, 1000} {
					t.Run(fmt.Sprintf("%s/%d", name, perDay), func(t *testing.T) {
						all, err := s.Entries(ctx, f)
						if err != nil {
							t.Fatal(err)
						}
						want := storetest.Grid(all, starts, perDay)
						got, err := s.EntriesByDay(ctx, f, starts, perDay)
						if err != nil {
							t.Fatal(err)
						}
						if !reflect.DeepEqual(got.Counts, want.Counts) {
							t.Fatalf("counts %v, want %v", got.Counts, want.Counts)
						}
						for d := range want.Days {
							if !reflect.DeepEqual(got.Days[d], want.Days[d]) {
								t.Fatalf("day %d (%s):\n got %+v\nwant %+v", d, starts[d].Format(time.DateOnly), got.Days[d], want.Days[d])
							}
						}
						if !reflect.DeepEqual(got.Channels, want.Channels) || !reflect.DeepEqual(got.Campaigns, want.Campaigns) {
							t.Fatalf("legend %v %v, want %v %v", got.Channels, got.Campaigns, want.Channels, want.Campaigns)
						}
						if name == "all" && (len(all) < 300 || sum(want.Counts) == len(all)) {
							t.Fatalf("the month holds %d entries, %d in its days: the data no longer tests what it should", len(all), sum(want.Counts))
						}
					})
				}
			}
		})
	}
}

// dayStarts is the midnights from from to to, as calview.DayStarts gives
// them (the store's tests do not import the views).
func dayStarts(from, to time.Time) []time.Time {
	var out []time.Time
	for d := from; !d.After(to); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, d.Location()) {
		out = append(out, d)
	}
	return out
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestPlaceShownUncountsWhatWasDeleted checks EntriesByDay's second step
// when entries counted by its first read were deleted before the second:
// they are left out of their day and of its count, and the days after
// still get their own entries.
func TestPlaceShownUncountsWhatWasDeleted(t *testing.T) {
	e := func(id int64) calendar.Entry { return calendar.Entry{DeliveryID: id} }
	tests := []struct {
		name       string
		counts     []int
		shown      []int64
		read       []calendar.Entry
		wantCounts []int
		wantDays   [][]int64
	}{
		{"nothing gone", []int{2, 5}, []int64{1, 2, 3, 4, 5, 6}, []calendar.Entry{e(1), e(2), e(3), e(4), e(5), e(6)},
			[]int{2, 5}, [][]int64{{1, 2}, {3, 4, 5, 6}}},
		{"one of a full day's shown gone", []int{2, 5}, []int64{1, 2, 3, 4, 5, 6}, []calendar.Entry{e(1), e(2), e(3), e(5), e(6)},
			[]int{2, 4}, [][]int64{{1, 2}, {3, 5, 6}}},
		{"a whole day gone", []int{2, 1}, []int64{1, 2, 3}, []calendar.Entry{e(3)},
			[]int{0, 1}, [][]int64{nil, {3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := calendar.ByDay{Days: make([][]calendar.Entry, len(tt.counts)), Counts: append([]int(nil), tt.counts...)}
			placeShown(&out, tt.shown, tt.read, 4)
			if !reflect.DeepEqual(out.Counts, tt.wantCounts) {
				t.Errorf("counts = %v, want %v", out.Counts, tt.wantCounts)
			}
			for d, want := range tt.wantDays {
				var got []int64
				for _, x := range out.Days[d] {
					got = append(got, x.DeliveryID)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("day %d = %v, want %v", d, got, want)
				}
			}
		})
	}
}
