package when

import (
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		zone string
		wall [5]int // year, month, day, hour, minute
		want string // RFC 3339 UTC
	}{
		{"paris ordinary", "Europe/Paris", [5]int{2026, 12, 1, 9, 0}, "2026-12-01T08:00:00Z"},
		{"paris gap start", "Europe/Paris", [5]int{2026, 3, 29, 2, 0}, "2026-03-29T01:00:00Z"},
		{"paris in gap", "Europe/Paris", [5]int{2026, 3, 29, 2, 30}, "2026-03-29T01:00:00Z"},
		{"paris gap end", "Europe/Paris", [5]int{2026, 3, 29, 3, 0}, "2026-03-29T01:00:00Z"},
		{"paris before gap", "Europe/Paris", [5]int{2026, 3, 29, 1, 59}, "2026-03-29T00:59:00Z"},
		{"paris overlap first", "Europe/Paris", [5]int{2026, 10, 25, 2, 30}, "2026-10-25T00:30:00Z"},
		{"paris overlap start", "Europe/Paris", [5]int{2026, 10, 25, 2, 0}, "2026-10-25T00:00:00Z"},
		{"paris after overlap", "Europe/Paris", [5]int{2026, 10, 25, 3, 0}, "2026-10-25T02:00:00Z"},
		{"new york in gap", "America/New_York", [5]int{2026, 3, 8, 2, 30}, "2026-03-08T07:00:00Z"},
		{"new york overlap first", "America/New_York", [5]int{2026, 11, 1, 1, 30}, "2026-11-01T05:30:00Z"},
		{"new york after overlap", "America/New_York", [5]int{2026, 11, 1, 2, 30}, "2026-11-01T07:30:00Z"},
		// Lord Howe moves its clocks by 30 minutes.
		{"lord howe in gap", "Australia/Lord_Howe", [5]int{2026, 10, 4, 2, 15}, "2026-10-03T15:30:00Z"},
		{"lord howe overlap first", "Australia/Lord_Howe", [5]int{2026, 4, 5, 1, 45}, "2026-04-04T14:45:00Z"},
		// Santiago springs forward at midnight: 00:00 does not exist.
		{"santiago midnight gap", "America/Santiago", [5]int{2026, 9, 6, 0, 0}, "2026-09-06T04:00:00Z"},
		{"utc", "UTC", [5]int{2026, 3, 29, 2, 30}, "2026-03-29T02:30:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			w := tt.wall
			got := resolve(w[0], time.Month(w[1]), w[2], w[3], w[4], 0, loc)
			if !got.Equal(mustTime(t, tt.want)) {
				t.Errorf("resolve %v in %s = %s, want %s", w, tt.zone, got.UTC().Format(time.RFC3339), tt.want)
			}
			if got.Location() != loc {
				t.Errorf("result in %v, want %v", got.Location(), loc)
			}
		})
	}
}
