package calview

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/storetest"
)

// TestBuildByDayDrawsTheSameGrid checks that a month grid drawn from each
// day's first entries and counts (BuildByDay) is the grid drawn from every
// entry (Build), character for character: days with none, fewer, exactly
// as many and more entries than a cell shows, a 25-hour day, entries
// outside the month, narrow and wide cells, colour and a blackout.
func TestBuildByDayDrawsTheSameGrid(t *testing.T) {
	ny := zone(t, "America/New_York")
	from, to := MonthRange(2026, time.November, ny)
	now := time.Date(2026, 11, 12, 15, 0, 0, 0, ny)
	var entries []calendar.Entry
	channels := []string{"acme-mastodon", "acme-bsky", "acme-blog"}
	// Day n of the month gets n%6 entries; the 1st (25 hours) gets them
	// across its last hour too; two fall outside the month.
	entries = append(entries, entry(from.Add(-time.Hour), "acme-blog", "before", "spring"))
	for day := 1; day <= 30; day++ {
		for k := range day % 6 {
			at := time.Date(2026, 11, day, 9+k, 0, 0, 0, ny)
			if day == 1 {
				at = from.Add(time.Duration(20+k) * time.Hour)
			}
			camp := ""
			if k == 1 {
				camp = "winter-sale"
			}
			entries = append(entries, entry(at, channels[(day+k)%3], fmt.Sprintf("Post %d-%d", day, k), camp))
		}
	}
	entries = append(entries, entry(to, "acme-blog", "after", "autumn"))
	entries[5].CampaignColor = "#e4572e"
	blackouts := []calendar.Blackout{{StartsAt: time.Date(2026, 11, 26, 0, 0, 0, 0, ny), EndsAt: time.Date(2026, 11, 27, 0, 0, 0, 0, ny), Reason: "holiday"}}
	starts := DayStarts(from, to, ny)
	if len(starts) != 31 || !starts[30].Equal(to) {
		t.Fatalf("DayStarts: %d starts, last %v", len(starts), starts[len(starts)-1])
	}
	for _, text := range []Text{{Width: 80}, {Width: 200, Color: true}, {Width: 120, Lines: 2}} {
		full := Build("month", from, to, ny, now, entries, blackouts)
		byDay := BuildByDay("month", from, to, ny, now, storetest.Grid(entries, starts, text.MonthLines()), blackouts)
		var want, got bytes.Buffer
		if err := text.Render(&want, full); err != nil {
			t.Fatal(err)
		}
		if err := text.Render(&got, byDay); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("width %d, lines %d: the grid from each day's first entries differs:\n%s\nwant:\n%s", text.Width, text.MonthLines(), got.String(), want.String())
		}
		if !bytes.Contains(want.Bytes(), []byte("more")) {
			t.Errorf("width %d: no day overflows: the test no longer tests the count", text.Width)
		}
	}
}

// TestBuildByDayWithEntriesGone checks the grid when entries counted by
// Store.EntriesByDay's first statement were deleted before its second read
// their rows: a day holds fewer entries than its count says it shows. The
// cell draws those it has and counts the rest as more, never a blank entry
// nor a panic.
func TestBuildByDayWithEntriesGone(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	from, to := MonthRange(2030, time.March, paris)
	now := time.Date(2030, 3, 1, 8, 0, 0, 0, paris)
	at := func(d, h int) time.Time { return time.Date(2030, 3, d, h, 0, 0, 0, paris) }
	starts := DayStarts(from, to, paris)
	tests := []struct {
		name  string
		count int
		shown []calendar.Entry
		want  []string
	}{
		{"four counted, one gone", 4, []calendar.Entry{entry(at(12, 8), "acme-bsky", "One", ""), entry(at(12, 9), "acme-bsky", "Two", ""), entry(at(12, 10), "acme-bsky", "Three", "")},
			[]string{"08:00 bs One", "09:00 bs Two", "10:00 bs Three", "+1 more"}},
		{"one counted, gone", 1, nil, nil},
		{"six counted, two of the first four gone", 6, []calendar.Entry{entry(at(12, 8), "acme-bsky", "One", ""), entry(at(12, 9), "acme-bsky", "Two", "")},
			[]string{"08:00 bs One", "09:00 bs Two", "+4 more"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := calendar.ByDay{Days: make([][]calendar.Entry, len(starts)-1), Counts: make([]int, len(starts)-1), Channels: []string{"acme-bsky"}, Campaigns: map[string]string{}}
			b.Days[11], b.Counts[11] = tt.shown, tt.count
			v := BuildByDay("month", from, to, paris, now, b, nil)
			var out bytes.Buffer
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("render panicked: %v", r)
					}
				}()
				if err := (Text{Width: 200}).Render(&out, v); err != nil {
					t.Fatal(err)
				}
			}()
			if bytes.Contains(out.Bytes(), []byte("00:00")) || bytes.Contains(out.Bytes(), []byte("01:00")) {
				t.Errorf("a blank entry is drawn:\n%s", out.String())
			}
			for _, w := range tt.want {
				if !bytes.Contains(out.Bytes(), []byte(w)) {
					t.Errorf("no %q in:\n%s", w, out.String())
				}
			}
		})
	}
}
