package meta

import (
	"context"
	"fmt"

	"github.com/crieur/crieur/publishers"
)

// SettingStats is the setting of a container network whose numbers need a
// permission beyond publishing (Containers.StatsScope): on asks for it at
// login and reads the numbers; off (the default) reads none.
const SettingStats = publishers.SettingStats

// statsOn reads a channel's stats setting.
func statsOn(name, scope string, settings map[string]string) (bool, error) {
	return publishers.StatsOn(name, settings, "on asks for the permission "+scope+" at `crieur channel login`")
}

// statsField is the stats setting's description.
func statsField(display, scope string) publishers.Field {
	// Joined rather than formatted: this runs at start, for every command.
	return publishers.Field{Name: SettingStats, Default: "off", Help: "read each post's numbers for reports: on or off; on asks for the permission " +
		scope + " at `crieur channel login` (your " + display + " app needs it)"}
}

// ReadEach reads each post's numbers with read, one call a post (these
// Graph APIs have no read of several media at once). A post the Graph API
// says does not exist (Gone) is recorded deleted; any other error stops
// the read and is returned with what was read before it (a throttled
// call: the collector defers the channel; a refused token or permission:
// class Auth).
func ReadEach(ctx context.Context, ids []string, read func(ctx context.Context, id string) (publishers.Counts, error)) (map[string]publishers.Stat, error) {
	out := make(map[string]publishers.Stat, len(ids))
	for _, id := range ids {
		c, err := read(ctx, id)
		switch {
		case Gone(err):
			out[id] = publishers.Stat{State: publishers.StatDeleted}
		case err != nil:
			return out, err
		default:
			out[id] = publishers.Stat{State: publishers.StatOK, Counts: c}
		}
	}
	return out, nil
}

// NoStats is the error of a channel whose numbers need a permission
// (StatsScope) it did not ask for, or whose token lacks it: it gives none
// (publishers.ErrNoStats), saying how to turn them on.
func (a *Account) NoStats() error {
	if !a.StatsOn {
		return fmt.Errorf("%s gives a post's numbers with the permission %s, which the channel does not ask for: set stats=on, then %s: %w",
			a.display, a.StatsScope, a.Graph.Hint, publishers.ErrNoStats)
	}
	return fmt.Errorf("the channel's %s token lacks the permission %s (stats=on asks for it at login; your app must have it): %s: %w",
		a.display, a.StatsScope, a.Graph.Hint, publishers.ErrNoStats)
}
