package calendar

import (
	"testing"
	"time"
)

func TestParseShift(t *testing.T) {
	tests := []struct {
		in   string
		want Shift
		err  bool
	}{
		{"7d", Shift{Days: 7}, false},
		{"1w", Shift{Days: 7}, false},
		{"-2h", Shift{Duration: -2 * time.Hour}, false},
		{"+1d12h", Shift{Days: 1, Duration: 12 * time.Hour}, false},
		{"-1w2d30m", Shift{Days: -9, Duration: -30 * time.Minute}, false},
		{"90m", Shift{Duration: 90 * time.Minute}, false},
		{"", Shift{}, true},
		{"7", Shift{}, true},
		{"7x", Shift{}, true},
		{"0d", Shift{}, true},
		{"1d-2h", Shift{}, true},
	}
	for _, tt := range tests {
		got, err := ParseShift(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseShift(%q) = %+v, %v; want %+v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestShiftApplyKeepsWallClockAcrossDST(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		name string
		from time.Time
		by   Shift
		want time.Time
	}{
		// Clocks go forward on 2027-03-28: 09:00 CET + 7 days is 09:00 CEST, 167 hours later.
		{"spring, days", time.Date(2027, 3, 25, 9, 0, 0, 0, paris), Shift{Days: 7}, time.Date(2027, 4, 1, 9, 0, 0, 0, paris)},
		// Back on 2026-10-25.
		{"autumn, back a week", time.Date(2026, 10, 29, 9, 0, 0, 0, paris), Shift{Days: -7}, time.Date(2026, 10, 22, 9, 0, 0, 0, paris)},
		// Hours are exact, whatever the zone does.
		{"hours across the change", time.Date(2027, 3, 28, 1, 0, 0, 0, paris), Shift{Duration: 2 * time.Hour}, time.Date(2027, 3, 28, 4, 0, 0, 0, paris)},
	}
	for _, tt := range tests {
		got := tt.by.Apply(tt.from, paris)
		if !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got.In(paris), tt.want)
		}
	}
}
