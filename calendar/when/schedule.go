package when

import (
	"strings"
	"time"
)

// Schedule is a slot's recurrence: one or more canonical 5-field cron specs
// (minute hour day-of-month month day-of-week), read in a zone given to Next.
// It fires at the union of its specs' instants.
type Schedule struct {
	Specs []string
}

// ParseSchedule reads a slot spec: a 5-field cron spec ("0 9 * * 1-5"), a
// descriptor ("@daily", "@weekly", "@monthly", "@yearly", "@hourly"), or a
// readable form: "mon-fri 09:00,12:30", "daily 09:00", "weekdays 9am",
// "weekends 10:00", "mon,wed,fri 18:00", "tue 08:15", "fri-mon 7pm". A time
// with no days ("09:00") is daily. Several specs may be joined with ";", which
// is how String writes them.
//
// Seconds (6-field specs), "@every" and a "TZ=" prefix are rejected: slots
// are minute-precise calendar times and their zone is the channel's. A spec
// that can never fire ("0 9 30 2 *") is rejected too. Cron specs are kept as
// written, lower-cased and single-spaced, except that day-of-week 7 (Sunday)
// becomes 0. Errors wrap ErrInvalid and show an example.
func ParseSchedule(s string) (Schedule, error) {
	return parseSchedule(s)
}

// String returns the canonical specs joined by "; "; ParseSchedule reads it back.
func (s Schedule) String() string { return strings.Join(s.Specs, "; ") }

// Next returns the first instant strictly after `after` at which the schedule
// fires in loc (nil means UTC), in loc, or the zero time if it never fires (an empty or invalid
// Schedule). A wall time in the spring-forward gap fires once, at the first
// instant after the gap; a wall time in the fall-back overlap fires once, at
// its first occurrence.
func (s Schedule) Next(after time.Time, loc *time.Location) time.Time {
	return s.next(after, loc)
}

// Between lists the firing instants in [from, to), in order, at most max of
// them (max <= 0 means no cap other than the range).
func (s Schedule) Between(from, to time.Time, loc *time.Location, max int) []time.Time {
	return s.between(from, to, loc, max)
}
