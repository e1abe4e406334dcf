package report

import (
	"fmt"
	"sort"
	"time"

	"github.com/crieur/crieur/calendar"
)

// DefaultMinPosts is how many posts with numbers a channel needs before
// slot suggest says anything.
const DefaultMinPosts = 5

// SlotScore is one hour of the week with the median engagement of the
// channel's posts published in it.
type SlotScore struct {
	Weekday string  `json:"weekday"`
	Hour    int     `json:"hour"`
	Slot    string  `json:"slot"` // "Tue 09:00", as `slot add` reads it
	Posts   int     `json:"posts"`
	Median  float64 `json:"median"`
}

// Suggestion is the best hours of one channel, from its own history.
type Suggestion struct {
	Channel  string      `json:"channel"`
	Zone     string      `json:"zone"`
	Posts    int         `json:"posts"` // posts with numbers
	MinPosts int         `json:"min_posts"`
	Enough   bool        `json:"enough"`
	Slots    []SlotScore `json:"slots"`
	Message  string      `json:"message,omitempty"`
}

// Suggest ranks the hours of the week (weekday × hour, in zone) by the
// median engagement of the posts published in them (each post's latest
// numbers), best first, ties to the hour with more posts; top of them. With
// fewer than minPosts posts with numbers it proposes nothing and says so.
func Suggest(channel string, rows []calendar.DeliveryEngagement, zone *time.Location, top, minPosts int) Suggestion {
	if zone == nil {
		zone = time.UTC
	}
	if minPosts <= 0 {
		minPosts = DefaultMinPosts
	}
	s := Suggestion{Channel: channel, Zone: zone.String(), MinPosts: minPosts, Slots: []SlotScore{}}
	type key struct{ day, hour int }
	values := map[key][]int64{}
	for _, e := range rows {
		p := postOf(e, Options{})
		if p.Engagement == nil {
			continue
		}
		s.Posts++
		t := e.PublishedAt.In(zone)
		k := key{weekdayIndex(t), t.Hour()}
		values[k] = append(values[k], *p.Engagement)
	}
	if s.Posts < minPosts {
		s.Message = fmt.Sprintf("Too little data: %s has %d posts with numbers; at least %d are needed to suggest a slot", channel, s.Posts, minPosts)
		return s
	}
	s.Enough = true
	for k, v := range values {
		s.Slots = append(s.Slots, SlotScore{Weekday: weekdays[k.day], Hour: k.hour, Slot: fmt.Sprintf("%s %02d:00", weekdays[k.day], k.hour),
			Posts: len(v), Median: Median(v)})
	}
	sort.Slice(s.Slots, func(i, j int) bool {
		a, b := s.Slots[i], s.Slots[j]
		if a.Median != b.Median {
			return a.Median > b.Median
		}
		if a.Posts != b.Posts {
			return a.Posts > b.Posts
		}
		return a.Slot < b.Slot
	})
	if top > 0 && len(s.Slots) > top {
		s.Slots = s.Slots[:top]
	}
	return s
}
