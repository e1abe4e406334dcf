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
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
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
