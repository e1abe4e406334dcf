package calendar

import (
	"time"
)

// Entry is one delivery as a calendar shows it: a post on a channel at a time.
type Entry struct {
	DeliveryID     int64      `json:"delivery_id"`
	PostID         int64      `json:"post_id"`
	Slug           string     `json:"slug"`
	Title          string     `json:"title"`
	Label          string     `json:"label"` // the title, else the text's first line
	Body           string     `json:"body,omitempty"`
	At             time.Time  `json:"at"`
	Channel        string     `json:"channel"`
	Network        string     `json:"network"`
	Status         string     `json:"status"`      // the delivery's
	PostStatus     string     `json:"post_status"` // the post's
	Campaign       string     `json:"campaign,omitempty"`
	CampaignColor  string     `json:"campaign_color,omitempty"`
	Tags           []string   `json:"tags"`
	RemoteURL      string     `json:"remote_url,omitempty"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	IdempotencyKey string     `json:"-"`
	Version        int64      `json:"-"`
	UpdatedAt      time.Time  `json:"-"`
}

// ViewFilter selects the entries of a calendar view. From and To bound the
// post's publish time, [From, To); zero means unbounded.
type ViewFilter struct {
	From, To time.Time
	Channel  string
	Campaign string
	Status   []string // the post's
	Tag      string
	// WithBody loads the text too (exports need it; the grid does not).
	WithBody bool
}

// ByDay is what a month grid shows of a view: each day's first entries,
// how many the day holds, and the channels and campaigns its legend names.
// Store.EntriesByDay reads it so that a month of thousands of deliveries
// sends the grid a few rows a day rather than every entry.
type ByDay struct {
	// Days[i] is the first entries, in Entries' order, of the day
	// [starts[i], starts[i+1]) of the starts asked for.
	Days [][]Entry
	// Counts[i] is how many entries that day holds.
	Counts []int
	// Channels names the channel of every entry of the days, sorted.
	Channels []string
	// Campaigns is each campaign of an entry of the days, with its colour
	// as stored ("" when it has none).
	Campaigns map[string]string
}
