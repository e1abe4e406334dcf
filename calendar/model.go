package calendar

import "time"

// Post states.
const (
	StatusDraft     = "draft"
	StatusReview    = "review"
	StatusApproved  = "approved"
	StatusScheduled = "scheduled"
	StatusPublished = "published"
	StatusPartial   = "partial"
	StatusFailed    = "failed"
	StatusCanceled  = "canceled"
)

// StatusWords is a post state as a sentence says it: "post x is in review",
// "is a draft", "is partly published".
func StatusWords(status string) string {
	switch status {
	case StatusDraft:
		return "a draft"
	case StatusReview:
		return "in review"
	case StatusPartial:
		return "partly published"
	}
	return status
}

// PostStatuses lists every post state, in workflow order.
var PostStatuses = []string{StatusDraft, StatusReview, StatusApproved, StatusScheduled, StatusPublished, StatusPartial, StatusFailed, StatusCanceled}

// Delivery states.
const (
	DeliveryPending    = "pending"
	DeliveryPublishing = "publishing"
	DeliveryPublished  = "published"
	DeliveryFailed     = "failed"
	DeliveryCanceled   = "canceled"
	DeliveryHeld       = "held"   // outcome unknown after a crash and the network cannot tell: a person decides
	DeliveryMissed     = "missed" // fell due while nothing ran, later than the channel's max lateness
)

// Channel is a named account on one network.
type Channel struct {
	ID              int64             `json:"id"`
	Name            string            `json:"name"`
	Network         string            `json:"network"`
	Settings        map[string]string `json:"settings"`
	Secrets         map[string]string `json:"secrets"` // references, shown redacted
	TZ              string            `json:"tz"`
	Paused          bool              `json:"paused"`
	PauseReason     string            `json:"pause_reason,omitempty"`
	RequireApproval bool              `json:"require_approval"`
	MaxLateness     time.Duration     `json:"-"`
	MaxLatenessText string            `json:"max_lateness"`
	RatePerMinute   int               `json:"rate_per_minute"`
	RatePerDay      int               `json:"rate_per_day"`
	CreatedAt       time.Time         `json:"created_at"`
	UpdatedAt       time.Time         `json:"updated_at"`

	// ApproverNotAuthor: four eyes, whoever approves a post on the
	// channel is not its author. Approvers, when not empty, are the only
	// people who may approve one.
	ApproverNotAuthor bool     `json:"approver_not_author"`
	Approvers         []string `json:"approvers"`
}

// Slot is a recurring publish time of a channel, read in the channel's zone.
type Slot struct {
	ID        int64  `json:"id"`
	Channel   string `json:"channel"`
	ChannelID int64  `json:"-"`
	Spec      string `json:"spec"`
	Cron      string `json:"cron"`
	// Category is the evergreen category that fills the slot ("" for a
	// plain slot, which the queue fills).
	Category  string    `json:"category,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Campaign groups posts, with UTM defaults for their links.
type Campaign struct {
	ID        int64             `json:"id"`
	Name      string            `json:"name"`
	StartsOn  string            `json:"from,omitempty"`
	EndsOn    string            `json:"to,omitempty"`
	UTM       map[string]string `json:"utm"`
	Color     string            `json:"color,omitempty"`
	Posts     int               `json:"posts"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// Media is a file attached to a post.
type Media struct {
	Path string `json:"path"`
	Alt  string `json:"alt,omitempty"`
}

// Post is one piece of content planned for one or more channels.
type Post struct {
	ID          int64             `json:"id"`
	Slug        string            `json:"slug"`
	Title       string            `json:"title"`
	Body        string            `json:"body"`
	Link        string            `json:"link,omitempty"`
	Excerpt     string            `json:"excerpt,omitempty"`
	Status      string            `json:"status"`
	PublishAt   *time.Time        `json:"publish_at"`
	Queued      bool              `json:"queued,omitempty"`
	PublishedAt *time.Time        `json:"published_at"`
	Campaign    string            `json:"campaign"`
	Author      string            `json:"author,omitempty"`
	Tags        []string          `json:"tags"`
	Channels    []string          `json:"channels"`
	Variants    map[string]string `json:"variants"`
	Media       []Media           `json:"media"`
	Thread      []string          `json:"thread,omitempty"`
	// AutoThread: the author allows a text over a network's limit to be cut
	// into a thread (explicit Thread parts imply it).
	AutoThread bool `json:"auto_thread,omitempty"`
	// Category is the evergreen library the post belongs to; MaxRepeats,
	// MinGap and ExpiresAt are its own limits there (0/nil: the
	// category's). RecycledFrom is the slug of the original a fill copied
	// this post from.
	Category     string        `json:"category,omitempty"`
	MaxRepeats   int           `json:"max_repeats,omitempty"`
	MinGap       time.Duration `json:"-"`
	ExpiresAt    *time.Time    `json:"expires_at,omitempty"`
	RecycledFrom string        `json:"recycled_from,omitempty"`
	ApprovedAt   *time.Time    `json:"approved_at,omitempty"`
	ApprovedBy   string        `json:"approved_by,omitempty"`
	Deliveries   []Delivery    `json:"deliveries"`
	Notes        []Note        `json:"notes,omitempty"`
	Source       string        `json:"source,omitempty"`
	ContentHash  string        `json:"-"`
	Version      int64         `json:"version"`
	CreatedAt    time.Time     `json:"created_at"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// Delivery is one post on one channel: the unit the daemon publishes.
type Delivery struct {
	ID             int64      `json:"id"`
	PostID         int64      `json:"-"`
	ChannelID      int64      `json:"-"`
	Channel        string     `json:"channel"`
	Network        string     `json:"network"`
	Status         string     `json:"status"`
	DueAt          *time.Time `json:"due_at"`
	RunAt          *time.Time `json:"-"`
	Attempts       int        `json:"attempts"`
	LeaseOwner     string     `json:"-"`
	LeaseExpiresAt *time.Time `json:"-"`
	IdempotencyKey string     `json:"-"`
	RemoteID       string     `json:"remote_id"`
	RemoteURL      string     `json:"remote_url"`
	PublishedAt    *time.Time `json:"published_at"`
	LastError      string     `json:"last_error"`
	// Parts are the thread parts the network confirmed, in order (filled
	// when a post is read whole, e.g. `post show`).
	Parts []DeliveryPart `json:"parts,omitempty"`
}

// DeliveryPart is one part of a delivery's thread that the network confirmed.
type DeliveryPart struct {
	Index       int        `json:"index"` // 0 is the first part
	RemoteID    string     `json:"remote_id"`
	RemoteURL   string     `json:"remote_url"`
	Ref         string     `json:"-"` // the adapter's reply reference
	PublishedAt *time.Time `json:"published_at"`
}

// Note is an editorial comment on a post.
type Note struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// Event is one entry of the append-only history.
type Event struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Kind       string         `json:"kind"`
	PostID     int64          `json:"post_id,omitempty"`
	DeliveryID int64          `json:"delivery_id,omitempty"`
	ChannelID  int64          `json:"channel_id,omitempty"`
	Channel    string         `json:"channel,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}
