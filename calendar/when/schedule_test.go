package when

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result
	}{
		{"0 9 * * 1-5", "0 9 * * 1-5"},
		{"  0   9 * *   MON-FRI ", "0 9 * * mon-fri"},
		{"*/30 * * * *", "*/30 * * * *"},
		{"0 9 * * 7", "0 9 * * 0"},
		{"0 9 * * 5-7", "0 9 * * 5-6,0"},
		{"0 9 31 * *", "0 9 31 * *"},
		{"0 9 29 2 *", "0 9 29 2 *"},
		{"@daily", "0 0 * * *"},
		{"@weekly", "0 0 * * 0"},
		{"@hourly", "0 * * * *"},
		{"mon-fri 09:00,12:30", "0 9 * * 1-5; 30 12 * * 1-5"},
		{"mon-fri 09:00, 12:30", "0 9 * * 1-5; 30 12 * * 1-5"},
		{"daily 09:00", "0 9 * * *"},
		{"every day at 9am", "0 9 * * *"},
		{"09:00", "0 9 * * *"},
		{"weekdays 9am", "0 9 * * 1-5"},
		{"weekends 10:00", "0 10 * * 0,6"},
		{"mon,wed,fri 18:00", "0 18 * * 1,3,5"},
		{"Monday, Wednesday 6 pm", "0 18 * * 1,3"},
		{"tue 08:15", "15 8 * * 2"},
		{"tuesdays at 8:15am", "15 8 * * 2"},
		{"every monday 9am", "0 9 * * 1"},
		{"fri-mon 7pm", "0 19 * * 0,1,5,6"},
		{"sat-sun noon", "0 12 * * 0,6"},
		{"daily 9:00,17:00,9:30", "0 9,17 * * *; 30 9 * * *"},
		{"daily 9am,10am,11am", "0 9-11 * * *"},
		{"0 9 * * 1-5; 30 12 * * 1-5", "0 9 * * 1-5; 30 12 * * 1-5"},
		{"weekdays 9am; 0 9 * * 1-5; sat 10:00", "0 9 * * 1-5; 0 10 * * 6"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSchedule(tt.in)
			if err != nil {
				t.Fatalf("ParseSchedule(%q): %v", tt.in, err)
			}
			if s.String() != tt.want {
				t.Errorf("ParseSchedule(%q) = %q, want %q", tt.in, s.String(), tt.want)
			}
			again, err := ParseSchedule(s.String())
			if err != nil || !slices.Equal(again.Specs, s.Specs) {
				t.Errorf("ParseSchedule(%q) = %q, %v; want it read back unchanged", s.String(), again.Specs, err)
			}
		})
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `empty slot spec: expected a cron spec like "0 9 * * 1-5" or a form like "mon-fri 09:00,12:30"`},
		{" ; ", "empty slot spec"},
		{"mon-fry 09:00", `bad slot "mon-fry 09:00": unknown day "fry": expected days like "mon-fri"`},
		{"funday 09:00", `unknown day "funday"`},
		{"25:00", `hour 25 out of range (00-23)`},
		{"daily 25:00", `bad slot "daily 25:00": hour 25 out of range (00-23)`},
		{"daily 9:60", `minute 60 out of range`},
		{"daily 13pm", `hour 13 out of range (1-12 with am/pm)`},
		{"mon-fri", `no time of day: add one, like "mon-fri 09:00"`},
		{"weekdays", `no time of day`},
		{"09:00 mon", `"mon" after the time`},
		{"0 0 9 * * 1-5", `6 fields, but seconds are not supported: use 5 fields`},
		{"0 9 * *", `4 fields, but a cron spec has 5; expected a cron spec like "0 9 * * 1-5"`},
		{"hourly", `bad slot "hourly": expected a cron spec like "0 9 * * 1-5" or a form like "mon-fri 09:00,12:30"`},
		{"61 9 * * *", `minute field "61"`},
		{"0 24 * * *", `hour field "24"`},
		{"0 9 32 * *", `day-of-month field "32"`},
		{"0 9 * 13 *", `month field "13"`},
		{"0 9 * * 8", `day-of-week field "8"`},
		{"0 9 * * mon-fry", `day-of-week field "mon-fry"`},
		{"0 9 30 2 *", `never fires`},
		{"0 9 31 4,6,9,11 *", `never fires`},
		{"@every 1h", `unknown shorthand "@every 1h"`},
		{"TZ=Europe/Paris 0 9 * * *", `a zone prefix is not allowed`},
		{"0 9 * * 1-5; daily 25:00", `hour 25 out of range`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := ParseSchedule(tt.in)
			if err == nil {
				t.Fatalf("ParseSchedule(%q) = %q, want an error", tt.in, s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseSchedule(%q) error %q, want it to contain %q", tt.in, err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseSchedule(%q) error does not wrap ErrInvalid", tt.in)
			}
		})
	}
}

func TestBetween(t *testing.T) {
	tests := []struct {
		name, zone, spec string
		from, to         string // RFC 3339
		want             []string
	}{
		// Europe/Paris springs forward on 2026-03-29 at 02:00 CET (01:00Z).
		{"paris spring 02:30 in the gap", "Europe/Paris", "30 2 * * *",
			"2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00",
			[]string{"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"paris spring 09:00 unaffected", "Europe/Paris", "0 9 * * *",
			"2026-03-28T00:00:00+01:00", "2026-03-31T00:00:00+02:00",
			[]string{"2026-03-28T09:00:00+01:00", "2026-03-29T09:00:00+02:00", "2026-03-30T09:00:00+02:00"}},
		{"paris spring every 30 minutes", "Europe/Paris", "*/30 * * * *",
			"2026-03-29T01:00:00+01:00", "2026-03-29T04:00:00+02:00",
			[]string{"2026-03-29T01:00:00+01:00", "2026-03-29T01:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"}},
		// Europe/Paris falls back on 2026-10-25 at 03:00 CEST (01:00Z).
		{"paris fall 02:30 in the overlap", "Europe/Paris", "30 2 * * *",
			"2026-10-24T00:00:00+02:00", "2026-10-27T00:00:00+01:00",
			[]string{"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"paris fall 09:00 unaffected", "Europe/Paris", "0 9 * * *",
			"2026-10-24T00:00:00+02:00", "2026-10-27T00:00:00+01:00",
			[]string{"2026-10-24T09:00:00+02:00", "2026-10-25T09:00:00+01:00", "2026-10-26T09:00:00+01:00"}},
		{"paris fall every 30 minutes", "Europe/Paris", "*/30 * * * *",
			"2026-10-25T01:30:00+02:00", "2026-10-25T03:31:00+01:00",
			[]string{"2026-10-25T01:30:00+02:00", "2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00"}},
		// America/New_York springs forward on 2026-03-08 at 02:00 EST (07:00Z).
		{"new york spring 02:30 in the gap", "America/New_York", "30 2 * * *",
			"2026-03-07T00:00:00-05:00", "2026-03-10T00:00:00-04:00",
			[]string{"2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"new york spring 09:00 unaffected", "America/New_York", "0 9 * * *",
			"2026-03-07T00:00:00-05:00", "2026-03-10T00:00:00-04:00",
			[]string{"2026-03-07T09:00:00-05:00", "2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"}},
		{"new york spring every 30 minutes", "America/New_York", "*/30 * * * *",
			"2026-03-08T01:00:00-05:00", "2026-03-08T04:00:00-04:00",
			[]string{"2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"}},
		// America/New_York falls back on 2026-11-01 at 02:00 EDT (06:00Z).
		{"new york fall 01:30 in the overlap", "America/New_York", "30 1 * * *",
			"2026-10-31T00:00:00-04:00", "2026-11-03T00:00:00-05:00",
			[]string{"2026-10-31T01:30:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"new york fall 02:30 after the overlap", "America/New_York", "30 2 * * *",
			"2026-10-31T00:00:00-04:00", "2026-11-03T00:00:00-05:00",
			[]string{"2026-10-31T02:30:00-04:00", "2026-11-01T02:30:00-05:00", "2026-11-02T02:30:00-05:00"}},
		{"new york fall 09:00 unaffected", "America/New_York", "0 9 * * *",
			"2026-10-31T00:00:00-04:00", "2026-11-03T00:00:00-05:00",
			[]string{"2026-10-31T09:00:00-04:00", "2026-11-01T09:00:00-05:00", "2026-11-02T09:00:00-05:00"}},
		{"new york fall every 30 minutes", "America/New_York", "*/30 * * * *",
			"2026-11-01T00:30:00-04:00", "2026-11-01T02:01:00-05:00",
			[]string{"2026-11-01T00:30:00-04:00", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00"}},
		// Calendar edges.
		{"31st of months", "UTC", "0 9 31 * *",
			"2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
			[]string{"2026-01-31T09:00:00Z", "2026-03-31T09:00:00Z", "2026-05-31T09:00:00Z", "2026-07-31T09:00:00Z", "2026-08-31T09:00:00Z", "2026-10-31T09:00:00Z", "2026-12-31T09:00:00Z"}},
		{"feb 29", "Europe/Paris", "0 9 29 2 *",
			"2026-01-01T00:00:00+01:00", "2037-01-01T00:00:00+01:00",
			[]string{"2028-02-29T09:00:00+01:00", "2032-02-29T09:00:00+01:00", "2036-02-29T09:00:00+01:00"}},
		{"feb 29 skips 2100", "UTC", "0 9 29 2 *",
			"2096-03-01T00:00:00Z", "2105-01-01T00:00:00Z",
			[]string{"2104-02-29T09:00:00Z"}},
		{"day of month or day of week", "UTC", "0 9 13 * 5",
			"2026-11-01T00:00:00Z", "2026-11-21T00:00:00Z",
			[]string{"2026-11-06T09:00:00Z", "2026-11-13T09:00:00Z", "2026-11-20T09:00:00Z"}},
		{"from is inclusive", "UTC", "0 9 * * *",
			"2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z",
			[]string{"2026-11-01T09:00:00Z"}},
		{"two specs merge in order", "Europe/Paris", "0 9 * * 1-5; 30 12 * * 1-5",
			"2026-11-06T10:00:00+01:00", "2026-11-10T00:00:00+01:00",
			[]string{"2026-11-06T12:30:00+01:00", "2026-11-09T09:00:00+01:00", "2026-11-09T12:30:00+01:00"}},
		{"max caps the list", "UTC", "*/5 * * * *",
			"2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z",
			[]string{"2026-11-01T00:00:00Z", "2026-11-01T00:05:00Z", "2026-11-01T00:10:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			s, err := ParseSchedule(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			max := 0
			if tt.name == "max caps the list" {
				max = 3
			}
			got := s.Between(mustTime(t, tt.from), mustTime(t, tt.to), loc, max)
			var gotText []string
			for _, g := range got {
				gotText = append(gotText, g.Format(time.RFC3339))
			}
			if !slices.Equal(gotText, tt.want) {
				t.Errorf("Between = %q\nwant      %q", gotText, tt.want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, zone, spec, after, want string
	}{
		{"strictly after a firing", "UTC", "0 9 * * *", "2026-11-01T09:00:00Z", "2026-11-02T09:00:00Z"},
		{"just before a firing", "UTC", "0 9 * * *", "2026-11-01T08:59:59.999Z", "2026-11-01T09:00:00Z"},
		{"after zone differs from loc", "Europe/Paris", "0 9 * * *", "2026-11-01T07:59:00-01:00", "2026-11-02T09:00:00+01:00"},
		{"gap collapse fires once", "Europe/Paris", "0,30 2,3 * * *", "2026-03-29T03:00:00+02:00", "2026-03-29T03:30:00+02:00"},
		{"overlap second pass does not fire", "Europe/Paris", "30 2 * * *", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"},
		{"weekdays skip the weekend", "America/New_York", "0 9 * * 1-5", "2026-11-06T09:00:00-05:00", "2026-11-09T09:00:00-05:00"},
		{"year end", "UTC", "0 0 1 1 *", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"empty schedule", "UTC", "", "2026-01-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			var s Schedule
			if tt.spec != "" {
				var err error
				if s, err = ParseSchedule(tt.spec); err != nil {
					t.Fatal(err)
				}
			}
			got := s.Next(mustTime(t, tt.after), loc)
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("Next = %s, want the zero time", got)
				}
				return
			}
			if got.Format(time.RFC3339) != tt.want {
				t.Errorf("Next(%s) = %s, want %s", tt.after, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestNextSkipsInvalidSpecs(t *testing.T) {
	s := Schedule{Specs: []string{"not a spec", "0 9 * * *", "@every 1h"}}
	got := s.Next(mustTime(t, "2026-11-01T00:00:00Z"), time.UTC)
	if want := "2026-11-01T09:00:00Z"; got.Format(time.RFC3339) != want {
		t.Errorf("Next = %s, want %s", got.Format(time.RFC3339), want)
	}
}
