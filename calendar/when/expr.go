package when

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

const whenExamples = `expected RFC 3339, "YYYY-MM-DD HH:MM", or a relative form like "tomorrow 9am", "+2h", "next monday 14:00"`

// offsetLayouts are the absolute forms that carry their own UTC offset.
var offsetLayouts = []string{
	time.RFC3339, // also reads fractional seconds
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04Z07:00",
}

// The regexps are compiled on first use, not at start-up: every command
// links this package, few parse a time.
var (
	datePrefix = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ]+(.*))?$`)
	})
	wallTime = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(z|[+-]\d{2}:?\d{2})?$`)
	})
	spaces = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s+`) })
)

func parse(s string, now time.Time, loc *time.Location, gap *bool) (time.Time, error) {
	if gap == nil {
		gap = new(bool)
	}
	if loc == nil {
		loc = time.UTC
	}
	text := strings.ToLower(spaces().ReplaceAllString(strings.TrimSpace(s), " "))
	bad := func(format string, args ...any) error {
		return &invalid{fmt.Sprintf("bad time %q: ", s) + fmt.Sprintf(format, args...)}
	}
	switch {
	case text == "":
		return time.Time{}, &invalid{"no time given: " + whenExamples}
	case text == "now":
		return now.In(loc), nil
	case strings.HasPrefix(text, "+"):
		return parseOffset(s, text[1:], now, loc)
	case strings.HasPrefix(text, "in "):
		return parseOffset(s, strings.TrimPrefix(text, "in "), now, loc)
	}
	if m := datePrefix().FindStringSubmatch(text); m != nil {
		upper := strings.ToUpper(strings.TrimSpace(s))
		for _, layout := range offsetLayouts {
			if t, err := time.Parse(layout, upper); err == nil {
				return t.In(loc), nil
			}
		}
		return parseDateTime(s, m, loc, gap)
	}
	tokens := joinMeridiem(strings.Fields(text))
	var (
		dayWord, weekdayWord string
		next                 bool
		c                    *clock
	)
	for _, tok := range tokens {
		switch {
		case tok == "at" || tok == "this":
		case tok == "next":
			next = true
		case tok == "today" || tok == "tomorrow":
			if dayWord != "" || weekdayWord != "" {
				return time.Time{}, bad("two days given; %s", whenExamples)
			}
			dayWord = tok
		case looksLikeClock(tok):
			if c != nil {
				return time.Time{}, bad("two times of day given; %s", whenExamples)
			}
			got, err := parseClock(tok)
			if err != nil {
				return time.Time{}, bad("%v", err)
			}
			c = &got
		default:
			if _, ok := lookupWeekday(tok); !ok || dayWord != "" || weekdayWord != "" {
				return time.Time{}, bad("%s", whenExamples)
			}
			weekdayWord = tok
		}
	}
	if next && weekdayWord == "" {
		return time.Time{}, bad(`"next" needs a day of the week, like "next monday 14:00"`)
	}
	if c == nil {
		if dayWord != "" || weekdayWord != "" {
			return time.Time{}, bad(`a day needs a time of day, like "%s 9am"`, strings.TrimSuffix(text, " at"))
		}
		return time.Time{}, bad("%s", whenExamples)
	}
	local := now.In(loc)
	y, mo, d := local.Date()
	at := func(addDays int) time.Time {
		t, skipped := resolveGap(y, mo, d+addDays, c.hour, c.min, 0, loc)
		*gap = skipped
		return t
	}
	switch {
	case dayWord == "today":
		return at(0), nil
	case dayWord == "tomorrow":
		return at(1), nil
	case weekdayWord != "":
		wd, _ := lookupWeekday(weekdayWord)
		ahead := (int(wd) - int(local.Weekday()) + 7) % 7
		if next && ahead == 0 {
			ahead = 7
		}
		if t := at(ahead); next || t.After(now) {
			return t, nil
		}
		return at(ahead + 7), nil
	}
	if t := at(0); t.After(now) {
		return t, nil
	}
	return at(1), nil
}

// parseDateTime reads a local "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DD 9am"
// (m is datePrefix's match) in loc.
func parseDateTime(s string, m []string, loc *time.Location, gap *bool) (time.Time, error) {
	bad := func(format string, args ...any) error {
		return &invalid{fmt.Sprintf("bad time %q: ", s) + fmt.Sprintf(format, args...)}
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) {
		return time.Time{}, bad("no such date %s-%s-%s", m[1], m[2], m[3])
	}
	rest := strings.TrimSpace(strings.TrimPrefix(m[4], "at "))
	if rest == "" {
		return time.Time{}, bad(`a date needs a time of day, like "%s-%s-%s 09:00"`, m[1], m[2], m[3])
	}
	if w := wallTime().FindStringSubmatch(rest); w != nil {
		h, _ := strconv.Atoi(w[1])
		mi, _ := strconv.Atoi(w[2])
		sec, _ := strconv.Atoi(w[3]) // "" reads as 0
		switch {
		case h > 23:
			return time.Time{}, bad("hour %d out of range (00-23)", h)
		case mi > 59:
			return time.Time{}, bad("minute %d out of range (00-59)", mi)
		case sec > 59:
			return time.Time{}, bad("second %d out of range (00-59)", sec)
		case w[4] != "":
			// The offset layouts failed on a valid wall time: the offset is wrong.
			return time.Time{}, bad("bad UTC offset %q (expected Z or ±HH:MM)", w[4])
		}
		t, skipped := resolveGap(y, time.Month(mo), d, h, mi, sec, loc)
		*gap = skipped
		return t, nil
	}
	tokens := joinMeridiem(strings.Fields(rest))
	if len(tokens) == 1 && looksLikeClock(tokens[0]) {
		c, err := parseClock(tokens[0])
		if err != nil {
			return time.Time{}, bad("%v", err)
		}
		t, skipped := resolveGap(y, time.Month(mo), d, c.hour, c.min, 0, loc)
		*gap = skipped
		return t, nil
	}
	return time.Time{}, bad("%s", whenExamples)
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var offsetPart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)([a-z]+)`) })

// offsetUnits maps unit words to their kind: 'm' minutes, 'h' hours (exact
// durations), 'd' days and 'w' weeks (calendar days in the zone).
var offsetUnits = map[string]byte{
	"m": 'm', "min": 'm', "mins": 'm', "minute": 'm', "minutes": 'm',
	"h": 'h', "hr": 'h', "hrs": 'h', "hour": 'h', "hours": 'h',
	"d": 'd', "day": 'd', "days": 'd',
	"w": 'w', "wk": 'w', "wks": 'w', "week": 'w', "weeks": 'w',
}

// parseOffset reads "2h", "1h30m", "90 minutes", "an hour", "2 hours and 30
// minutes" (the text after "+" or "in ") as an offset from now.
func parseOffset(s, text string, now time.Time, loc *time.Location) (time.Time, error) {
	text = strings.TrimPrefix(strings.TrimPrefix(text, "an "), "a ")
	if text != strings.TrimSpace(text) || strings.HasPrefix(text, "-") {
		return time.Time{}, &invalid{fmt.Sprintf("bad time %q: %s", s, whenExamples)}
	}
	if _, isUnit := offsetUnits[text]; isUnit { // "in an hour" → "hour"
		text = "1" + text
	}
	compact := strings.NewReplacer(" ", "", "and", "").Replace(text)
	if compact == "" {
		return time.Time{}, &invalid{fmt.Sprintf(`bad time %q: expected an offset like "+2h", "+90m", "+1d", "+1h30m" or "in 2 hours"`, s)}
	}
	var days int
	var exact time.Duration
	for compact != "" {
		m := offsetPart().FindStringSubmatch(compact)
		if m == nil {
			return time.Time{}, &invalid{fmt.Sprintf(`bad time %q: expected an offset like "+2h", "+90m", "+1d", "+1h30m" or "in 2 hours"`, s)}
		}
		kind, ok := offsetUnits[m[2]]
		n, err := strconv.Atoi(m[1])
		if !ok || err != nil || n > 100000 {
			return time.Time{}, &invalid{fmt.Sprintf(`bad time %q: expected an offset like "+2h", "+90m", "+1d", "+1h30m" or "in 2 hours" (units m, h, d, w)`, s)}
		}
		switch kind {
		case 'm':
			exact += time.Duration(n) * time.Minute
		case 'h':
			exact += time.Duration(n) * time.Hour
		case 'd':
			days += n
		case 'w':
			days += 7 * n
		}
		compact = compact[len(m[0]):]
	}
	t := now.In(loc)
	if days != 0 {
		y, mo, d := t.Date()
		h, mi, sec := t.Clock()
		t = resolve(y, mo, d+days, h, mi, sec, loc).Add(time.Duration(t.Nanosecond()))
	}
	return t.Add(exact), nil
}
