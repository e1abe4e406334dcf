package when

import "time"

// resolve turns a local wall-clock time in loc into an instant by the package
// rule: a time inside a spring-forward gap becomes the first instant after the
// gap; a time inside a fall-back overlap becomes its first occurrence.
// time.Date leaves both cases unspecified, so its answer is checked and corrected.
// The arguments must name a real calendar date.
func resolve(year int, month time.Month, day, hour, min, sec int, loc *time.Location) time.Time {
	t, _ := resolveGap(year, month, day, hour, min, sec, loc)
	return t
}

// resolveGap is resolve, also saying whether the wall time fell in a
// spring-forward gap (and so was moved to the first instant after it).
func resolveGap(year int, month time.Month, day, hour, min, sec int, loc *time.Location) (time.Time, bool) {
	t := time.Date(year, month, day, hour, min, sec, 0, loc)
	want := wallSeconds(year, month, day, hour, min, sec)
	got := wallOf(t)
	if got != want {
		return resolveWall(t, want), true
	}
	return resolveWall(t, want), false
}

// resolveWall corrects time.Date's answer t for the wall reading want.
func resolveWall(t time.Time, want int64) time.Time {
	got := wallOf(t)
	switch {
	case got > want:
		// time.Date read the wall time with the offset from before the gap and
		// landed after it: the gap ends where t's zone period starts.
		start, _ := t.ZoneBounds()
		if !start.IsZero() {
			return start
		}
		return t
	case got < want:
		// It used the offset from after the gap and landed before it: the gap
		// starts where t's zone period ends.
		_, end := t.ZoneBounds()
		if !end.IsZero() {
			return end
		}
		return t
	}
	// The wall time exists; if the clock was turned back shortly before t, the
	// same wall time may also have happened earlier, under the previous offset.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	_, cur := t.Zone()
	_, prev := start.Add(-time.Second).Zone()
	if prev <= cur {
		return t
	}
	earlier := t.Add(-time.Duration(prev-cur) * time.Second)
	if earlier.Before(start) && wallOf(earlier) == want {
		return earlier
	}
	return t
}

// wallSeconds counts seconds of a wall-clock reading as if it were UTC, so two
// readings compare by their calendar order.
func wallSeconds(year int, month time.Month, day, hour, min, sec int) int64 {
	return time.Date(year, month, day, hour, min, sec, 0, time.UTC).Unix()
}

// wallOf is wallSeconds of t's own wall-clock reading in its location.
func wallOf(t time.Time) int64 {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return wallSeconds(y, mo, d, h, mi, s)
}
