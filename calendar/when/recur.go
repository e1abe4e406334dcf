package when

import (
	"math/bits"
	"time"

	"github.com/robfig/cron/v3"
)

// starBit is robfig/cron's marker, in a field's bit set, that the field was
// written as "*" (it changes how day-of-month and day-of-week combine).
const starBit = 1 << 63

// searchYears bounds the search for the next firing: a valid spec fires at
// least once in any 9 years (Feb 29 can be 8 years apart, as around 2100).
const searchYears = 9

// rule is one cron spec compiled to robfig/cron's field bit sets. Firing
// instants are computed here, day by day, rather than with robfig's Next,
// which skips wall times in a spring-forward gap.
type rule struct {
	minute, hour, dom, month, dow uint64
}

func compile(spec string) (rule, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return rule{}, err
	}
	s, ok := sched.(*cron.SpecSchedule)
	if !ok { // "@every": not a calendar schedule.
		return rule{}, errNotCalendar
	}
	return rule{minute: s.Minute, hour: s.Hour, dom: s.Dom, month: s.Month, dow: s.Dow}, nil
}

// dayMatches applies cron's rule for the two day fields: if either is "*",
// both must match; if both are restricted, either may match.
func (r rule) dayMatches(d time.Time) bool {
	domMatch := r.dom&(1<<uint(d.Day())) != 0
	dowMatch := r.dow&(1<<uint(d.Weekday())) != 0
	if r.dom&starBit != 0 || r.dow&starBit != 0 {
		return domMatch && dowMatch
	}
	return domMatch || dowMatch
}

// next returns the rule's first firing strictly after `after` in loc, or the
// zero time if there is none within searchYears.
func (r rule) next(after time.Time, loc *time.Location) time.Time {
	y, m, d := after.In(loc).Date()
	// Days are walked as UTC midnights, which are never shifted by DST. Start a
	// day early: nothing of the previous local day can be after `after` except
	// in zones whose clock jumps over midnight, and it costs one day's check.
	day := time.Date(y, m, d-1, 0, 0, 0, 0, time.UTC)
	limit := day.AddDate(searchYears, 0, 0)
	for !day.After(limit) {
		if r.month&(1<<uint(day.Month())) == 0 {
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if r.dayMatches(day) {
			if t, ok := r.firstOnDay(day, after, loc); ok {
				return t
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

// firstOnDay returns the rule's first firing on the local date of day that is
// strictly after `after`. Resolved instants never decrease as the wall time
// grows (a gap collapses onto its end, an overlap keeps its first pass), so a
// whole day or hour is skipped when its last firing is not after `after`.
func (r rule) firstOnDay(day, after time.Time, loc *time.Location) (time.Time, bool) {
	y, m, d := day.Date()
	minutes := r.minute &^ starBit
	lastMin := 63 - bits.LeadingZeros64(minutes)
	lastHour := 63 - bits.LeadingZeros64(r.hour&^starBit)
	if !resolve(y, m, d, lastHour, lastMin, 0, loc).After(after) {
		return time.Time{}, false // the whole day is over
	}
	for hours := r.hour &^ starBit; hours != 0; hours &= hours - 1 {
		h := bits.TrailingZeros64(hours)
		if !resolve(y, m, d, h, lastMin, 0, loc).After(after) {
			continue
		}
		for mins := minutes; mins != 0; mins &= mins - 1 {
			t := resolve(y, m, d, h, bits.TrailingZeros64(mins), 0, loc)
			if t.After(after) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// rules compiles a schedule's specs, skipping any that do not compile (a
// Schedule built by ParseSchedule has none).
func (s Schedule) rules() []rule {
	out := make([]rule, 0, len(s.Specs))
	for _, spec := range s.Specs {
		if r, err := compile(spec); err == nil {
			out = append(out, r)
		}
	}
	return out
}

func nextOf(rules []rule, after time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	var best time.Time
	for _, r := range rules {
		t := r.next(after, loc)
		if !t.IsZero() && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	return best
}

func (s Schedule) next(after time.Time, loc *time.Location) time.Time {
	return nextOf(s.rules(), after, loc)
}

func (s Schedule) between(from, to time.Time, loc *time.Location, max int) []time.Time {
	rules := s.rules()
	var out []time.Time
	for t := nextOf(rules, from.Add(-time.Nanosecond), loc); !t.IsZero() && t.Before(to); t = nextOf(rules, t, loc) {
		out = append(out, t)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out
}
