package calview

import (
	"fmt"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// byDate is how a view places entries: each in the day whose date (in loc)
// is its time's. Build must place them so, however it does it.
func byDate(v View, entries []calendar.Entry, loc *time.Location) map[string][]int64 {
	out := map[string][]int64{}
	days := map[string]bool{}
	for _, d := range v.Days {
		days[d.Date] = true
	}
	for _, e := range entries {
		if date := e.At.In(loc).Format(time.DateOnly); days[date] {
			out[date] = append(out[date], e.DeliveryID)
		}
	}
	return out
}

func TestBuildPlacesEntriesInTheirDay(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	at := func(loc *time.Location, d, h, m int) time.Time { return time.Date(2026, 10, d, h, m, 0, 0, loc) }
	// around the end of summer time in Paris (25 October, a 25-hour day)
	sorted := []calendar.Entry{
		{DeliveryID: 1, At: at(paris, 23, 23, 59), Channel: "a"}, // before the range
		{DeliveryID: 2, At: at(paris, 24, 0, 0), Channel: "a"},
		{DeliveryID: 3, At: at(paris, 24, 23, 59), Channel: "b"},
		{DeliveryID: 4, At: at(paris, 25, 2, 30).Add(time.Hour), Channel: "a"}, // the repeated hour
		{DeliveryID: 5, At: at(paris, 25, 2, 30).Add(time.Hour), Channel: "b"},
		{DeliveryID: 6, At: at(paris, 25, 23, 0), Channel: "a"},
		{DeliveryID: 7, At: at(paris, 27, 9, 0), Campaign: "sale", CampaignColor: "#e4572e", Channel: "c"},
		{DeliveryID: 8, At: at(paris, 28, 0, 0), Channel: "a"}, // the end, excluded
	}
	shuffled := []calendar.Entry{sorted[5], sorted[0], sorted[3], sorted[7], sorted[1], sorted[6], sorted[2], sorted[4]}
	tests := []struct {
		name     string
		from, to time.Time
		entries  []calendar.Entry
	}{
		{"sorted", at(paris, 24, 0, 0), at(paris, 28, 0, 0), sorted},
		{"any order", at(paris, 24, 0, 0), at(paris, 28, 0, 0), shuffled},
		{"range from mid-morning: the first day still holds its date's entries", at(paris, 24, 10, 0), at(paris, 28, 0, 0), sorted},
		{"in another zone", at(time.UTC, 24, 0, 0), at(time.UTC, 28, 0, 0), sorted},
		{"none", at(paris, 1, 0, 0), at(paris, 3, 0, 0), sorted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := tt.from.Location()
			v := Build("month", tt.from, tt.to, loc, tt.from, tt.entries, nil)
			want := byDate(v, tt.entries, loc)
			channels := map[string]bool{}
			for _, d := range v.Days {
				got := []int64{}
				for _, e := range d.Entries {
					got = append(got, e.DeliveryID)
					channels[e.Channel] = true
				}
				if fmt.Sprint(got) != fmt.Sprint(append([]int64{}, want[d.Date]...)) {
					t.Errorf("%s: %v, want %v", d.Date, got, want[d.Date])
				}
				if d.Entries == nil {
					t.Errorf("%s: nil entries (JSON would print null)", d.Date)
				}
			}
			if len(v.Abbrev) != len(channels) {
				t.Errorf("legend %v for channels %v", v.Abbrev, channels)
			}
		})
	}
}

// Entries in time order (as the store returns them) are not copied into the
// days: each day's are a part of the same array, which a day cannot
// overwrite its neighbour's through.
func TestBuildSharesSortedEntries(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, time.UTC) }
	var entries []calendar.Entry
	for d := 1; d <= 3; d++ {
		for h := 8; h < 11; h++ {
			entries = append(entries, calendar.Entry{DeliveryID: int64(d*100 + h), At: day(d, h), Channel: "a"})
		}
	}
	v := Build("month", day(1, 0), day(4, 0), time.UTC, day(1, 0), entries, nil)
	for i, d := range v.Days {
		if len(d.Entries) != 3 || &d.Entries[0] != &entries[3*i] {
			t.Fatalf("day %s: %d entries, not entries[%d:]", d.Date, len(d.Entries), 3*i)
		}
	}
	v.Days[0].Entries = append(v.Days[0].Entries, calendar.Entry{DeliveryID: 999})
	if v.Days[1].Entries[0].DeliveryID != 208 {
		t.Fatalf("appending to a day wrote over the next: %+v", v.Days[1].Entries[0])
	}
}
