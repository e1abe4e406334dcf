package when

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseYearRange(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	east := time.FixedZone("east", 14*3600)
	west := time.FixedZone("west", -12*3600)
	cases := []struct {
		in  string
		loc *time.Location
		ok  bool
	}{
		{"9999-12-31 09:00", time.UTC, true},
		{"1900-01-01 09:00", time.UTC, true},
		{"9999-12-31T23:59:00-05:00", time.UTC, false}, // year 10000 in UTC
		{"9999-12-31 23:00", west, false},
		{"1900-01-01 01:00", east, false}, // 1899 in UTC
		{"0001-01-01T00:00:00Z", time.UTC, false},
		{"1899-12-31 23:00", time.UTC, false},
	}
	for _, c := range cases {
		got, err := Parse(c.in, now, c.loc)
		if c.ok {
			if err != nil {
				t.Errorf("Parse(%q) = %v", c.in, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "crieur takes times from 1900 to 9999") || !got.IsZero() {
			t.Errorf("Parse(%q) = %v, %v; want an out-of-range error", c.in, got, err)
		}
	}
}
