package calendar

import (
	"time"

	"github.com/crieur/crieur/calendar/when"
)

// Zone returns the channel's zone, else the calendar's default.
func (c Channel) Zone(def *time.Location) *time.Location {
	if c.TZ != "" {
		if loc, err := when.LoadZone(c.TZ); err == nil {
			return loc
		}
	}
	if def == nil {
		return time.UTC
	}
	return def
}
