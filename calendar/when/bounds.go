package when

import (
	"fmt"
	"time"
)

// The instants crieur accepts: years 1900 to 9999, in UTC. Later ones cannot
// be written as RFC 3339 (JSON output, exports, ICS); earlier ones are typos.
const (
	MinYear = 1900
	MaxYear = 9999
)

// InRange returns an error wrapping ErrInvalid when t lies outside the years
// MinYear to MaxYear (in UTC); what is the input, for the message.
func InRange(what string, t time.Time) error {
	if y := t.UTC().Year(); y < MinYear || y > MaxYear {
		if what != "" {
			what = fmt.Sprintf("%q ", what)
		}
		return &invalid{fmt.Sprintf("bad time %sfalls in year %d: crieur takes times from %d to %d", what, y, MinYear, MaxYear)}
	}
	return nil
}
