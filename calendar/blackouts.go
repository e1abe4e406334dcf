package calendar

import (
	"time"
)

// Blackout is a span when nothing is published: on one channel, or on every
// channel when Channel is empty. A delivery due inside one waits for its end,
// or with Drop is canceled.
type Blackout struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel,omitempty"`
	ChannelID int64     `json:"-"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	Reason    string    `json:"reason"`
	Drop      bool      `json:"drop"`
	CreatedAt time.Time `json:"created_at"`
}

// Covers reports whether the blackout applies to channelID at instant t.
func (b Blackout) Covers(channelID int64, t time.Time) bool {
	return (b.ChannelID == 0 || b.ChannelID == channelID) && !t.Before(b.StartsAt) && t.Before(b.EndsAt)
}
