package when

import "time"

// Parse reads a WHEN expression relative to now, in loc (the zone the user
// meant; nil means UTC), and returns the instant in loc. Errors wrap
// ErrInvalid and name what was expected.
//
// Accepted forms (case-insensitive, "at" is optional before a time):
//   - "now";
//   - RFC 3339: "2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z" (also
//     without seconds, or with a space instead of "T");
//   - a local date and time in loc: "2026-12-01 09:00", "2026-12-01T09:00",
//     "2026-12-01 09:00:30", "2026-12-01 9am";
//   - offsets from now: "+2h", "+90m", "+1d", "+1w", "+1h30m", "in 2 hours",
//     "in 90 minutes", "in 3 days", "in an hour". Hours and minutes are exact
//     durations; days and weeks are calendar days in loc (same wall-clock time,
//     so "+1d" across a DST change is 23 or 25 hours);
//   - a day and a time of day: "today 18:00", "tomorrow 9am",
//     "tomorrow 09:30", "next monday 14:00" (the first Monday after today),
//     "monday 14:00" (the next Monday 14:00 still ahead, possibly today);
//   - a time of day alone: "9am", "14:00", "noon": today if still ahead,
//     otherwise tomorrow.
//
// A bare date ("2026-12-01") or a day without a time ("tomorrow") is rejected:
// picking a time for the user would publish at a moment nobody chose.
// Explicit dates and days may lie in the past; rejecting past times is the
// caller's decision. Times outside the years MinYear to MaxYear (UTC) are
// rejected. Local times in a DST gap or overlap follow the package
// rule (first instant after the gap; first occurrence).
func Parse(s string, now time.Time, loc *time.Location) (time.Time, error) {
	t, err := parse(s, now, loc, nil)
	if err == nil {
		if err = InRange(s, t); err != nil {
			return time.Time{}, err
		}
	}
	return t, err
}

// ParseGap is Parse, also saying whether the local time written in s does
// not exist in loc (it falls in a daylight-saving gap): it was then moved to
// the first instant after the gap, which the caller should tell the user.
func ParseGap(s string, now time.Time, loc *time.Location) (time.Time, bool, error) {
	var gap bool
	t, err := parse(s, now, loc, &gap)
	if err == nil {
		if err = InRange(s, t); err != nil {
			return time.Time{}, false, err
		}
	}
	return t, gap, err
}

// LoadZone loads an IANA zone ("Europe/Paris", "America/New_York"), "UTC" or
// "Local" ("utc" and "local" in any case too). An empty or unknown name is an
// error naming the zone.
func LoadZone(name string) (*time.Location, error) {
	return loadZone(name)
}
