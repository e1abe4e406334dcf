package calendar

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Move is one post re-timed: where it was and where it goes.
type Move struct {
	PostID int64     `json:"post_id"`
	Slug   string    `json:"slug"`
	Title  string    `json:"title,omitempty"`
	Status string    `json:"status"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Shift is a signed offset: calendar days (weeks count 7) applied on the wall
// clock of each channel's zone, so 09:00 stays 09:00 across a DST change, plus
// an exact duration.
type Shift struct {
	Days     int
	Duration time.Duration
}

var shiftPart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)(w|d|h|m)`) })

// ParseShift reads "7d", "-2h", "1w", "+1d12h", "90m".
func ParseShift(s string) (Shift, error) {
	var sh Shift
	text := strings.TrimSpace(s)
	sign := 1
	switch {
	case strings.HasPrefix(text, "-"):
		sign, text = -1, text[1:]
	case strings.HasPrefix(text, "+"):
		text = text[1:]
	}
	if text == "" {
		return sh, Invalid("by", "%q is not a shift: use a number and a unit, e.g. 7d, -2h, 1w, 1d12h", s)
	}
	for text != "" {
		m := shiftPart().FindStringSubmatch(text)
		if m == nil {
			return sh, Invalid("by", "%q is not a shift: use a number and a unit (w, d, h, m), e.g. 7d, -2h, 1w, 1d12h", s)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 100000 {
			return sh, Invalid("by", "%q is too large a shift", s)
		}
		switch m[2] {
		case "w":
			sh.Days += 7 * n
		case "d":
			sh.Days += n
		case "h":
			sh.Duration += time.Duration(n) * time.Hour
		case "m":
			sh.Duration += time.Duration(n) * time.Minute
		}
		text = text[len(m[0]):]
	}
	sh.Days *= sign
	sh.Duration *= time.Duration(sign)
	if sh.Days == 0 && sh.Duration == 0 {
		return sh, Invalid("by", "a shift of %q moves nothing", s)
	}
	return sh, nil
}

// Apply moves t by the shift, reading days on t's wall clock in loc.
func (sh Shift) Apply(t time.Time, loc *time.Location) time.Time {
	if sh.Days != 0 {
		l := t.In(loc)
		t = time.Date(l.Year(), l.Month(), l.Day()+sh.Days, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), loc)
	}
	return t.Add(sh.Duration).UTC()
}

func (sh Shift) String() string {
	var b strings.Builder
	d, dur := sh.Days, sh.Duration
	if d < 0 || (d == 0 && dur < 0) {
		b.WriteByte('-')
		d, dur = -d, -dur
	}
	if d != 0 {
		fmt.Fprintf(&b, "%dd", d)
	}
	if dur != 0 {
		b.WriteString(strings.TrimSuffix(strings.TrimSuffix(dur.String(), "0s"), "0m"))
	}
	return b.String()
}
