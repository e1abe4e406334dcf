// Package calendar is crieur's domain: channels, slots, campaigns, posts and
// their per-channel deliveries, the event history; the post's life cycle and
// the rules of what may change when (lifecycle.go); and the interfaces a
// store implements (stores.go). No SQL: the stores are sub-packages
// (calendar/sqlstore), and so are the file formats (calendar/formats).
package calendar

import (
	"os"
	"os/user"
)

// DefaultActor is the OS user's name, for event attribution.
func DefaultActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if v := os.Getenv("USER"); v != "" {
		return v
	}
	return "crieur"
}
