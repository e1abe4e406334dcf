package calview

import (
	"testing"
	"time"
)

// TestMidnightIsTheDaysFirstInstant checks the start of days whose 00:00
// does or does not exist, and that a month's days in such a zone are cut
// once each (time.Date's 23:00 of the day before made nextDay stand still).
func TestMidnightIsTheDaysFirstInstant(t *testing.T) {
	tests := []struct {
		zone      string
		y         int
		m         time.Month
		d         int
		want      string // in the zone
		monthDays int
	}{
		{"America/Santiago", 2027, time.September, 5, "2027-09-05 01:00 -03", 30},
		{"America/Havana", 2027, time.March, 14, "2027-03-14 01:00 CDT", 31},
		{"America/Asuncion", 2023, time.October, 1, "2023-10-01 01:00 -03", 31},
		{"America/New_York", 2026, time.November, 1, "2026-11-01 00:00 EDT", 30},
		{"Asia/Beirut", 2026, time.March, 29, "2026-03-29 01:00 EEST", 31},
		{"Europe/Paris", 2026, time.December, 32, "2027-01-01 00:00 CET", 31},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Skip(err)
			}
			got := Midnight(tt.y, tt.m, tt.d, loc)
			if s := got.In(loc).Format("2006-01-02 15:04 MST"); s != tt.want {
				t.Errorf("Midnight(%d-%02d-%02d) = %s, want %s", tt.y, tt.m, tt.d, s, tt.want)
			}
			if got.Add(-time.Second).In(loc).Day() == got.In(loc).Day() {
				t.Errorf("the second before %s is the same day", got)
			}
			m := got.In(loc)
			from, to := MonthRange(m.Year(), m.Month(), loc)
			starts := DayStarts(from, to, loc)
			if len(starts) != tt.monthDays+1 {
				t.Fatalf("%d day starts, want %d", len(starts), tt.monthDays+1)
			}
			for i, s := range starts[:tt.monthDays] {
				if s.In(loc).Day() != i+1 {
					t.Errorf("day %d starts on %s", i+1, s.In(loc))
				}
			}
		})
	}
}
