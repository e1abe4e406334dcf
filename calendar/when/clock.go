package when

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// clock is a time of day, minute-precise.
type clock struct{ hour, min int }

// looksLikeClock reports whether tok is meant as a time of day, valid or not,
// so that "25:00" is reported as a bad time rather than an unknown word.
func looksLikeClock(tok string) bool {
	if tok == "noon" || tok == "midnight" {
		return true
	}
	if tok == "" || tok[0] < '0' || tok[0] > '9' {
		return false
	}
	return strings.Contains(tok, ":") || strings.HasSuffix(tok, "am") || strings.HasSuffix(tok, "pm")
}

// parseClock reads "09:30", "9:30", "9am", "9:30pm", "12am" (midnight),
// "12pm", "noon" or "midnight". tok must be lower case.
func parseClock(tok string) (clock, error) {
	switch tok {
	case "noon":
		return clock{12, 0}, nil
	case "midnight":
		return clock{0, 0}, nil
	}
	body, suffix := tok, ""
	if strings.HasSuffix(tok, "am") || strings.HasSuffix(tok, "pm") {
		body, suffix = tok[:len(tok)-2], tok[len(tok)-2:]
	}
	hourText, minText, hasMin := strings.Cut(body, ":")
	hour, err := clockNumber(hourText, 2)
	if err != nil {
		return clock{}, fmt.Errorf("%q is not a time of day (expected HH:MM, like 09:30, or 9am)", tok)
	}
	min := 0
	if hasMin {
		if len(minText) != 2 {
			return clock{}, fmt.Errorf("%q is not a time of day (expected HH:MM, like 09:30, or 9am)", tok)
		}
		if min, err = clockNumber(minText, 2); err != nil {
			return clock{}, fmt.Errorf("%q is not a time of day (expected HH:MM, like 09:30, or 9am)", tok)
		}
	} else if suffix == "" {
		return clock{}, fmt.Errorf("%q is not a time of day (expected HH:MM, like 09:30, or 9am)", tok)
	}
	if min > 59 {
		return clock{}, fmt.Errorf("minute %d out of range (00-59) in %q", min, tok)
	}
	if suffix != "" {
		if hour < 1 || hour > 12 {
			return clock{}, fmt.Errorf("hour %d out of range (1-12 with am/pm) in %q", hour, tok)
		}
		hour %= 12
		if suffix == "pm" {
			hour += 12
		}
	} else if hour > 23 {
		return clock{}, fmt.Errorf("hour %d out of range (00-23) in %q", hour, tok)
	}
	return clock{hour, min}, nil
}

// clockNumber parses 1 to maxDigits ASCII digits.
func clockNumber(s string, maxDigits int) (int, error) {
	if s == "" || len(s) > maxDigits {
		return 0, fmt.Errorf("bad number %q", s)
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("bad number %q", s)
		}
	}
	return strconv.Atoi(s)
}

// weekdays maps the names people write for days of the week.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tues": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "weds": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thur": time.Thursday, "thurs": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// lookupWeekday reads a day name, also in the plural ("mondays").
func lookupWeekday(name string) (time.Weekday, bool) {
	if d, ok := weekdays[name]; ok {
		return d, true
	}
	if strings.HasSuffix(name, "s") && len(name) > 4 {
		d, ok := weekdays[strings.TrimSuffix(name, "s")]
		return d, ok
	}
	return 0, false
}

// joinMeridiem glues a separate "am"/"pm" token to the time before it, so
// "9 am" reads like "9am".
func joinMeridiem(tokens []string) []string {
	out := tokens[:0:0]
	for _, tok := range tokens {
		if (tok == "am" || tok == "pm") && len(out) > 0 {
			out[len(out)-1] += tok
			continue
		}
		out = append(out, tok)
	}
	return out
}
