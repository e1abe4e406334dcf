package when

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	// Saturdays just before a DST change, and a plain UTC Saturday night.
	parisSpring := "2026-03-28T10:00:00+01:00" // spring forward on Sunday 03-29
	parisFall := "2026-10-24T09:00:00+02:00"   // fall back on Sunday 10-25
	nySpring := "2026-03-07T10:00:00-05:00"    // spring forward on Sunday 03-08
	nyFall := "2026-10-31T10:00:00-04:00"      // fall back on Sunday 11-01
	utcNight := "2026-10-24T23:30:00Z"
	tests := []struct {
		zone, now, in string
		want          string // RFC 3339
	}{
		{"Europe/Paris", parisSpring, "now", "2026-03-28T10:00:00+01:00"},
		{"Europe/Paris", parisSpring, "+2h", "2026-03-28T12:00:00+01:00"},
		{"Europe/Paris", parisSpring, "+90m", "2026-03-28T11:30:00+01:00"},
		{"Europe/Paris", parisSpring, "+1h30m", "2026-03-28T11:30:00+01:00"},
		{"Europe/Paris", parisSpring, "+24h", "2026-03-29T11:00:00+02:00"},
		{"Europe/Paris", parisSpring, "+1d", "2026-03-29T10:00:00+02:00"}, // a calendar day: 23 hours
		{"Europe/Paris", parisSpring, "+1w", "2026-04-04T10:00:00+02:00"},
		{"Europe/Paris", parisSpring, "+1d2h", "2026-03-29T12:00:00+02:00"},
		{"Europe/Paris", parisSpring, "in 2 hours", "2026-03-28T12:00:00+01:00"},
		{"Europe/Paris", parisSpring, "in 90 minutes", "2026-03-28T11:30:00+01:00"},
		{"Europe/Paris", parisSpring, "in an hour", "2026-03-28T11:00:00+01:00"},
		{"Europe/Paris", parisSpring, "in 1 hour and 15 minutes", "2026-03-28T11:15:00+01:00"},
		{"Europe/Paris", parisSpring, "in 3 days", "2026-03-31T10:00:00+02:00"},
		{"Europe/Paris", parisSpring, "tomorrow 9am", "2026-03-29T09:00:00+02:00"},
		{"Europe/Paris", parisSpring, "tomorrow 09:30", "2026-03-29T09:30:00+02:00"},
		{"Europe/Paris", parisSpring, "  Tomorrow   AT 9 AM ", "2026-03-29T09:00:00+02:00"},
		{"Europe/Paris", parisSpring, "9am tomorrow", "2026-03-29T09:00:00+02:00"},
		{"Europe/Paris", parisSpring, "tomorrow 02:30", "2026-03-29T03:00:00+02:00"}, // in the gap
		{"Europe/Paris", parisSpring, "today 18:00", "2026-03-28T18:00:00+01:00"},
		{"Europe/Paris", parisSpring, "today 8am", "2026-03-28T08:00:00+01:00"}, // past: the caller decides
		{"Europe/Paris", parisSpring, "next monday 14:00", "2026-03-30T14:00:00+02:00"},
		{"Europe/Paris", parisSpring, "monday 14:00", "2026-03-30T14:00:00+02:00"},
		{"Europe/Paris", parisSpring, "mon 2pm", "2026-03-30T14:00:00+02:00"},
		{"Europe/Paris", parisSpring, "saturday 11am", "2026-03-28T11:00:00+01:00"},      // today, still ahead
		{"Europe/Paris", parisSpring, "saturday 9am", "2026-04-04T09:00:00+02:00"},       // today's has passed
		{"Europe/Paris", parisSpring, "next saturday 11am", "2026-04-04T11:00:00+02:00"}, // never today
		{"Europe/Paris", parisSpring, "9am", "2026-03-29T09:00:00+02:00"},
		{"Europe/Paris", parisSpring, "14:00", "2026-03-28T14:00:00+01:00"},
		{"Europe/Paris", parisSpring, "at noon", "2026-03-28T12:00:00+01:00"},
		{"Europe/Paris", parisSpring, "midnight", "2026-03-29T00:00:00+01:00"},
		{"Europe/Paris", parisSpring, "12am", "2026-03-29T00:00:00+01:00"},
		{"Europe/Paris", parisSpring, "12:30pm", "2026-03-28T12:30:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01 09:00", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01T09:00", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01 09:00:30", "2026-12-01T09:00:30+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01 9am", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01 at 9:30pm", "2026-12-01T21:30:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01T09:00:00+01:00", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01T08:00:00Z", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01t08:00:00z", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01 08:00Z", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-12-01T03:00:00-05:00", "2026-12-01T09:00:00+01:00"},
		{"Europe/Paris", parisSpring, "2026-03-29 02:30", "2026-03-29T03:00:00+02:00"}, // gap: first instant after
		{"Europe/Paris", parisSpring, "2026-10-25 02:30", "2026-10-25T02:30:00+02:00"}, // overlap: first occurrence
		{"Europe/Paris", parisFall, "tomorrow 9am", "2026-10-25T09:00:00+01:00"},
		{"Europe/Paris", parisFall, "+1d", "2026-10-25T09:00:00+01:00"}, // 25 hours
		{"Europe/Paris", parisFall, "tomorrow 2:30am", "2026-10-25T02:30:00+02:00"},

		{"America/New_York", nySpring, "tomorrow 9am", "2026-03-08T09:00:00-04:00"},
		{"America/New_York", nySpring, "+1d", "2026-03-08T10:00:00-04:00"},
		{"America/New_York", nySpring, "+24h", "2026-03-08T11:00:00-04:00"},
		{"America/New_York", nySpring, "9am", "2026-03-08T09:00:00-04:00"},
		{"America/New_York", nySpring, "today 6pm", "2026-03-07T18:00:00-05:00"},
		{"America/New_York", nySpring, "next monday 14:00", "2026-03-09T14:00:00-04:00"},
		{"America/New_York", nySpring, "friday 5pm", "2026-03-13T17:00:00-04:00"},
		{"America/New_York", nySpring, "2026-03-08 02:30", "2026-03-08T03:00:00-04:00"},
		{"America/New_York", nySpring, "2026-12-01 09:00", "2026-12-01T09:00:00-05:00"},
		{"America/New_York", nySpring, "in 2 hours", "2026-03-07T12:00:00-05:00"},
		{"America/New_York", nyFall, "tomorrow 1:30am", "2026-11-01T01:30:00-04:00"},
		{"America/New_York", nyFall, "2026-11-01 01:30", "2026-11-01T01:30:00-04:00"},
		{"America/New_York", nyFall, "sunday 9am", "2026-11-01T09:00:00-05:00"},

		{"UTC", utcNight, "today 18:00", "2026-10-24T18:00:00Z"},
		{"UTC", utcNight, "tomorrow 9am", "2026-10-25T09:00:00Z"},
		{"UTC", utcNight, "+1d", "2026-10-25T23:30:00Z"},
		{"UTC", utcNight, "+90m", "2026-10-25T01:00:00Z"},
		{"UTC", utcNight, "midnight", "2026-10-25T00:00:00Z"},
		{"UTC", utcNight, "23:45", "2026-10-24T23:45:00Z"},
		{"UTC", utcNight, "23:15", "2026-10-25T23:15:00Z"},
		{"UTC", utcNight, "sunday 00:15", "2026-10-25T00:15:00Z"},
		{"UTC", utcNight, "next sunday 00:15", "2026-10-25T00:15:00Z"},
		{"UTC", utcNight, "2026-12-01 09:00", "2026-12-01T09:00:00Z"},
		{"UTC", utcNight, "2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.in, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			now := mustTime(t, tt.now)
			got, err := Parse(tt.in, now, loc)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			// Formatting in the result's zone checks the offset too (which
			// occurrence of an ambiguous wall time).
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("Parse(%q) at %s = %s, want %s", tt.in, tt.now, got.Format(time.RFC3339), tt.want)
			}
			if got.Location() != loc {
				t.Errorf("Parse(%q) in %v, want %v", tt.in, got.Location(), loc)
			}
		})
	}
}

// TestParseDaylightSaving checks elapsed time across the changes: a day is a
// calendar day, not 24 hours.
func TestParseDaylightSaving(t *testing.T) {
	tests := []struct {
		zone, now string
		want      time.Duration
	}{
		{"Europe/Paris", "2026-03-28T09:00:00+01:00", 23 * time.Hour},
		{"Europe/Paris", "2026-10-24T09:00:00+02:00", 25 * time.Hour},
		{"America/New_York", "2026-03-07T09:00:00-05:00", 23 * time.Hour},
		{"America/New_York", "2026-10-31T09:00:00-04:00", 25 * time.Hour},
		{"UTC", "2026-03-28T09:00:00Z", 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.zone+"/"+tt.now, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			now := mustTime(t, tt.now)
			for _, in := range []string{"tomorrow 9am", "+1d", "9am"} {
				got, err := Parse(in, now, loc)
				if err != nil {
					t.Fatal(err)
				}
				if d := got.Sub(now); d != tt.want {
					t.Errorf("Parse(%q) is %v after now, want %v", in, d, tt.want)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	now := mustTime(t, "2026-03-28T10:00:00+01:00")
	loc := mustZone(t, "Europe/Paris")
	tests := []struct {
		in, want string // want: the whole message, or a part of it after "…"
	}{
		{"tomorow 9am", `bad time "tomorow 9am": expected RFC 3339, "YYYY-MM-DD HH:MM", or a relative form like "tomorrow 9am", "+2h", "next monday 14:00"`},
		{"", `no time given: expected RFC 3339`},
		{"   ", `no time given`},
		{"2026-12-01", `bad time "2026-12-01": a date needs a time of day, like "2026-12-01 09:00"`},
		{"tomorrow", `bad time "tomorrow": a day needs a time of day, like "tomorrow 9am"`},
		{"next monday", `a day needs a time of day, like "next monday 9am"`},
		{"next 9am", `"next" needs a day of the week`},
		{"today 25:00", `hour 25 out of range (00-23)`},
		{"9:75", `minute 75 out of range (00-59)`},
		{"13pm", `hour 13 out of range (1-12 with am/pm)`},
		{"0am", `hour 0 out of range (1-12 with am/pm)`},
		{"9:5", `"9:5" is not a time of day`},
		{"2026-02-30 09:00", `no such date 2026-02-30`},
		{"2026-13-01 09:00", `no such date 2026-13-01`},
		{"2026-12-01 24:00", `hour 24 out of range`},
		{"2026-12-01T25:00:00Z", `hour 25 out of range`},
		{"2026-12-01T09:00:00+25:00", `bad UTC offset "+25:00"`},
		{"2026-12-01 soon", `expected RFC 3339`},
		{"+2x", `expected an offset like "+2h"`},
		{"+", `expected an offset like "+2h"`},
		{"+2", `expected an offset like "+2h"`},
		{"in two hours", `expected an offset like "+2h"`},
		{"-2h", `expected RFC 3339`},
		{"today tomorrow 9am", `two days given`},
		{"9am 10am", `two times of day given`},
		{"someday 9am", `expected RFC 3339`},
		{"14", `expected RFC 3339`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, now, loc)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tt.in, err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse(%q) error does not wrap ErrInvalid", tt.in)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "Europe/Paris", want: "Europe/Paris"},
		{in: " America/New_York ", want: "America/New_York"},
		{in: "UTC", want: "UTC"},
		{in: "utc", want: "UTC"},
		{in: "Local", want: "Local"},
		{in: "", err: "no time zone given"},
		{in: "Europe/Pari", err: `unknown time zone "Europe/Pari": expected an IANA name like "Europe/Paris"`},
		{in: "../../etc/passwd", err: `unknown time zone "../../etc/passwd"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			loc, err := LoadZone(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("LoadZone(%q) = %v, %v; want error containing %q", tt.in, loc, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadZone(%q): %v", tt.in, err)
			}
			if loc.String() != tt.want {
				t.Errorf("LoadZone(%q) = %s, want %s", tt.in, loc, tt.want)
			}
		})
	}
}
