// Package publishers defines what a network adapter is: the Publisher
// interface, the registry of networks, the error classes the scheduler acts
// on, and the per-network text rules. One sub-package per network implements
// it; publishers knows nothing of the calendar store.
package publishers

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Post is what an adapter receives: one post rendered for one channel.
// The scheduler fills it from the calendar; adapters never read the store.
type Post struct {
	// DeliveryID identifies the (post, channel) pair in the calendar.
	DeliveryID int64
	// IdempotencyKey is stable for a delivery across every attempt, so that a
	// retry after an unknown outcome can be recognised by the network.
	IdempotencyKey string
	Slug           string
	Title          string
	// Text is the body for this channel: its variant if any, links UTM-tagged.
	Text string
	// Markdown reports whether Text is Markdown (long-form networks render it).
	Markdown bool
	Link     string
	Media    []Media
	// Thread holds explicit parts after the first one; when empty, an adapter
	// whose network has threads splits Text by its rules.
	Thread    []string
	Tags      []string
	Excerpt   string
	Canonical string
	// ScheduledAt is the instant the calendar planned the post for.
	ScheduledAt time.Time
	// AutoThread says the author allows a text over the network's limit to
	// be cut into a thread (`--thread`, `thread: true`); without it such a
	// text is a problem (CheckThreading), never a silent thread.
	AutoThread bool
	// Live lists the parts of this post's thread that an earlier attempt
	// published, as the calendar recorded them (by Index, from 0). An adapter
	// that posts a thread never posts them again: it resumes at the first part
	// not live, replying to the last live one, and its Result is still the
	// first part's.
	Live []PartResult
	// OnPart, when set, is called the moment the network confirms a part of a
	// thread (the first part too, and a single post as its part 0), before the
	// next part is posted: the calendar records it at once, so that a failure
	// later in the thread cannot lose it. An error from OnPart stops the thread
	// and is returned.
	OnPart func(PartResult) error
}

// PartResult is one part of a thread that the network confirmed.
type PartResult struct {
	Index int // 0 is the first part
	Result
	// Ref is what the adapter needs besides RemoteID to reply to this part
	// (Bluesky: the record's CID); empty when RemoteID is enough.
	Ref string `json:"ref,omitempty"`
}

// Resume says where a thread resumes: next is the first part not live (the
// live parts are the run 0, 1, … of Live), and live those parts in order.
func (p Post) Resume() (next int, live []PartResult) {
	byIndex := make(map[int]PartResult, len(p.Live))
	for _, r := range p.Live {
		byIndex[r.Index] = r
	}
	for {
		r, ok := byIndex[next]
		if !ok || r.RemoteID == "" {
			return next, live
		}
		live = append(live, r)
		next++
	}
}

// Confirm reports a confirmed part to OnPart, if set.
func (p Post) Confirm(r PartResult) error {
	if p.OnPart == nil {
		return nil
	}
	return p.OnPart(r)
}

// Media is a file attached to a post, with its alternative text.
type Media struct {
	Path string
	Alt  string
}

// Result is what the network confirmed.
type Result struct {
	RemoteID    string
	RemoteURL   string
	PublishedAt time.Time
}

// Problem is one reason the network would reject a post.
type Problem struct {
	Field   string // "text", "media[0]", "thread[2]", …
	Message string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.Message
	}
	return p.Field + ": " + p.Message
}

// RetrySafety says what an adapter can do when an earlier attempt's outcome is
// unknown (the process died between the network call and the record).
type RetrySafety int

const (
	// RetryUnsafe: the network cannot tell a retry from a new post; a person decides.
	RetryUnsafe RetrySafety = iota
	// RetryIdempotent: the request carries a key the network deduplicates on.
	RetryIdempotent
	// RetryLookup: the adapter can look the post up (Finder) before posting again.
	RetryLookup
)

func (s RetrySafety) String() string {
	switch s {
	case RetryIdempotent:
		return "idempotent"
	case RetryLookup:
		return "lookup"
	default:
		return "unsafe"
	}
}

// Publisher publishes posts to one channel of a network.
type Publisher interface {
	// Validate lists what the network would reject; nil means publishable.
	// It must not call the network.
	Validate(p Post) []Problem
	// Publish posts p and returns what the network confirmed. Errors should be
	// *Error values (see Classify) so the scheduler knows what to do.
	Publish(ctx context.Context, p Post) (Result, error)
}

// Finder is implemented by adapters that can tell whether an earlier attempt
// of a delivery reached the network (RetryLookup).
type Finder interface {
	// Find returns the post published for p by an earlier attempt, if any.
	// A thread is found only when it is whole; an adapter that can tell
	// which parts of a thread cut short are live reports them through
	// p.Confirm (the scheduler records them, and the retry resumes after
	// them) and answers not found.
	Find(ctx context.Context, p Post) (Result, bool, error)
}

// Checker is implemented by adapters that can check their credentials with the
// network's cheapest authenticated read; it never posts.
type Checker interface {
	Check(ctx context.Context) (string, error)
}

// Previewer is implemented by adapters that render a post into what the network
// receives in a way that differs from Text (e.g. thread parts, HTML).
type Previewer interface {
	Preview(p Post) Preview
}

// Preview is what a channel would receive for a post.
type Preview struct {
	Parts    []string // thread parts, or the single text
	Count    []int    // each part's length as the network counts it
	Limit    int      // the network's limit per part (0: none)
	Unit     string   // what Count counts: "characters", "graphemes", …
	Problems []Problem
	Extra    string // e.g. rendered HTML as text, email headers
}

// Config is what a network's constructor receives for one channel.
type Config struct {
	Channel  string            // the channel's name
	Settings map[string]string // the network's own words: instance, handle, …
	Secrets  map[string]string // resolved secret values; never log them
	// Credentials is the channel's handle on its secrets in the calendar:
	// read one as it is now, lock the channel, save a rotated token (see
	// Credentials). Secrets holds what it read when the publisher was
	// built. Nil when the channel is not backed by a calendar (tests).
	Credentials Credentials
	// HTTP is the client to use for every request; tests inject theirs.
	HTTP *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Out is where local adapters (log) write; nil means stdout.
	Out io.Writer
	// Zone is the calendar's zone, in which local adapters (log) write
	// times for a person; nil means UTC.
	Zone *time.Location
	// Redact removes the channel's secrets from what the publisher returns;
	// the registry sets it (see Register). Adapters Add the credentials they
	// obtain at run time (session tokens). Nil redacts nothing.
	Redact *Redactor
}

// Clock returns c.Now or time.Now.
func (c Config) Clock() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Client returns c.HTTP or a client with a sane timeout. Either way its
// transport never replays a publishing call by itself (see noReplay), and it
// refuses to follow a redirect to another host (see SameHostRedirects): every
// adapter sends every request through it, so crieur decides every retry and
// no credential leaves for a host the channel does not name.
func (c Config) Client() *http.Client {
	if c.HTTP == nil {
		return defaultClient
	}
	if _, ok := c.HTTP.Transport.(noReplay); ok {
		return SameHostRedirects(c.HTTP)
	}
	cp := *c.HTTP
	cp.Transport = noReplay{next: c.HTTP.Transport}
	return SameHostRedirects(&cp)
}

var defaultClient = SameHostRedirects(&http.Client{Timeout: 30 * time.Second, Transport: noReplay{}})

// noReplay keeps net/http's Transport from sending a request a second time
// on its own. The Transport re-sends a request whose body it can rewind
// (GetBody) when a reused connection drops before the reply, if the method
// is idempotent or the request carries an Idempotency-Key header: the server
// may have acted on the first copy, and a network that ignores the key then
// publishes twice. Without GetBody, a POST, PUT, PATCH or DELETE with a body
// is never re-sent once written; the failure comes back to the adapter,
// classified, and the scheduler decides.
type noReplay struct{ next http.RoundTripper }

func (n noReplay) RoundTrip(req *http.Request) (*http.Response, error) {
	next := n.next
	if next == nil {
		next = http.DefaultTransport
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
	default:
		if req.GetBody != nil {
			req = req.WithContext(req.Context()) // a shallow copy: the caller's request is not changed
			req.GetBody = nil
		}
	}
	return next.RoundTrip(req)
}

// Learner is implemented by adapters whose Check learns facts about the
// channel worth keeping for offline checks, such as an instance's limits:
// Learned returns them as channel settings, which `crieur channel test`
// stores and the adapter reads back from Config.Settings.
type Learner interface {
	Learned() map[string]string
}
