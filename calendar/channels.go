package calendar

import (
	"fmt"
	"strings"

	"github.com/crieur/crieur/calendar/when"
	"github.com/crieur/crieur/internal/suggest"
)

var nameRE = namePattern{extra: "._-", max: 64}

// ValidName checks a channel or campaign name: lower case letters, digits, . _ -.
func ValidName(field, name string) error {
	if !nameRE.MatchString(name) {
		return Invalid(field, "%q is not a valid name: use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// CheckChannel is what every write of a channel checks of its own values,
// whatever its network: a zone that exists, no negative lateness or rate.
// The store applies it on add and edit; channel add/edit report its
// problems with the network's.
func CheckChannel(c *Channel) error {
	verr := &ValidationError{}
	if c.TZ != "" {
		if _, err := when.LoadZone(c.TZ); err != nil {
			verr.Add(FieldError{Field: "tz", Message: err.Error()})
		}
	}
	if c.MaxLateness < 0 {
		verr.Add(FieldError{Field: "max-lateness", Message: "must not be negative"})
	}
	if c.RatePerMinute < 0 || c.RatePerDay < 0 {
		verr.Add(FieldError{Field: "rate", Message: "rate limits must not be negative"})
	}
	return verr.Err()
}

func NonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// ChannelRemoval says what removing a channel does (or did) to its posts.
type ChannelRemoval struct {
	Channel string `json:"removed"`
	// Pending counts deliveries not yet published on the channel: they are dropped.
	Pending int `json:"pending_dropped"`
	// Drafted are the posts (slugs) left with no channel: they go back to
	// draft, keeping their time, since nothing could publish them.
	Drafted []string `json:"back_to_draft"`
	// Kept are the posts (slugs) that go on with their other channels.
	Kept []string `json:"kept_other_channels"`
	// Published counts deliveries already published on the channel; the
	// posts keep their status and their history.
	Published int `json:"published"`
}

// Summary says in words what the removal does to the channel's posts.
func (r ChannelRemoval) Summary() string {
	var parts []string
	if len(r.Drafted) > 0 {
		parts = append(parts, fmt.Sprintf("%s back to draft, with no channel left (%s)", Count(len(r.Drafted), "post", "posts"), slugList(r.Drafted)))
	}
	if len(r.Kept) > 0 {
		parts = append(parts, fmt.Sprintf("%s kept on other channels (%s)", Count(len(r.Kept), "post", "posts"), slugList(r.Kept)))
	}
	if r.Published > 0 {
		parts = append(parts, fmt.Sprintf("%s unchanged, with their history", Count(r.Published, "published post", "published posts")))
	}
	if len(parts) == 0 {
		return "no post uses it"
	}
	return strings.Join(parts, "; ")
}

func slugList(slugs []string) string {
	const most = 10
	if len(slugs) <= most {
		return strings.Join(slugs, ", ")
	}
	return strings.Join(slugs[:most], ", ") + fmt.Sprintf(", and %d more", len(slugs)-most)
}

// UnknownChannelMessage is the message for a channel name the calendar
// does not have, with the closest of known when one is near.
func UnknownChannelMessage(name string, known []string) string {
	return fmt.Sprintf("unknown channel %q%s (see `crieur channel list`)", name, suggest.DidYouMean(name, known))
}
