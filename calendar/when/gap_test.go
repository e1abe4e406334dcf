package when

import (
	"testing"
	"time"
)

func TestParseGapSaysWhenAWallTimeWasMoved(t *testing.T) {
	paris, err := LoadZone("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC) // a Saturday, the day before spring forward
	tests := []struct {
		in   string
		want time.Time
		gap  bool
	}{
		{"2026-03-29 02:30", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), true},
		{"2026-03-29 2:30am", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), true},
		{"tomorrow 02:30", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), true},
		{"2026-03-29 03:30", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), false},
		{"2026-10-25 02:30", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), false}, // twice, not skipped
		{"2026-03-29T02:30:00+01:00", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), false},
		{"+2h", now.Add(2 * time.Hour), false},
	}
	for _, tc := range tests {
		got, gap, err := ParseGap(tc.in, now, paris)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !got.Equal(tc.want) || gap != tc.gap {
			t.Errorf("%s: %v gap=%v, want %v gap=%v", tc.in, got.UTC(), gap, tc.want, tc.gap)
		}
	}
}
