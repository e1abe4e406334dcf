package calendar

import (
	"errors"
	"time"
)

// DaemonActor is how the history names a scheduler process.
func DaemonActor(owner string) string { return "daemon:" + owner }

// ErrLeaseLost is returned when an outcome is recorded for a delivery whose
// lease this owner no longer holds (it expired and was recovered).
var ErrLeaseLost = errors.New("lease lost")

// ClaimOptions tune ClaimDue.
type ClaimOptions struct {
	Owner string        // who holds the lease (host:pid:random)
	Now   time.Time     // the scheduler's clock
	Lease time.Duration // how long the claim holds without an outcome
	Limit int           // at most this many deliveries
	// PostID restricts the claim to one post's deliveries (post publish --now).
	PostID int64
	// Ahead lets a claim take up to this many more than Limit, for a
	// daemon's short queue of calls to start as its calls end (one claim
	// for several calls): only out of a backlog, while at least Leave
	// more due deliveries remain after them for other claimers.
	Ahead, Leave int
	// SkipChannels are channels whose deliveries this claimer leaves
	// alone: it neither claims them, nor defers them for a rate limit, nor
	// marks them missed (a process that found it cannot publish to them
	// leaves them, for a while, to the processes that can).
	SkipChannels []int64
	// Drop has the claim first cancel what a blackout added with drop
	// holds (DropBlackedOut), when there is any: the daemon's claims ask
	// for it, so that the check costs no statement of its own.
	Drop bool
}

// ClaimResult is what one claim did.
type ClaimResult struct {
	Claimed []Delivery // now 'publishing', leased to the owner, attempts counted
	Missed  []Delivery // later than their channel's max lateness: now 'missed'
	// Deferred counts deliveries pushed later by a channel's rate limit.
	Deferred int
	// Dropped counts deliveries a drop blackout canceled (with Drop).
	Dropped int
}

// Outcome kinds.
const (
	OutcomePublished = "published" // the network confirmed
	OutcomeRetry     = "retry"     // back to pending at RetryAt
	OutcomeFailed    = "failed"    // permanent failure, or out of attempts
	OutcomeHeld      = "held"      // outcome unknown and unsafe to retry: a person decides
	OutcomeAuth      = "auth"      // credentials refused: pending again, the channel paused
	OutcomeRecovered = "recovered" // an expired lease, safe to retry: pending again now
)

// Outcome is what became of a claimed delivery.
type Outcome struct {
	Kind        string
	RemoteID    string
	RemoteURL   string
	PublishedAt time.Time
	RetryAt     time.Time
	Error       string // the network's message, or why
	Class       string // the error class, for the history
	PauseReason string // for OutcomeAuth: how to fix it
	// Found is set for OutcomePublished when an earlier attempt was found by a lookup.
	Found bool
	// NotTried, on an OutcomeRetry, gives the attempt back: this process
	// could not make the call (a secret it cannot read), and the delivery
	// is left to a process that can.
	NotTried bool
}

// OutcomeRecord is one delivery's outcome, for a store's RecordOutcomes.
type OutcomeRecord struct {
	Delivery Delivery
	Outcome  Outcome
}

// DueEntry is a delivery with its post's slug, for lists.
type DueEntry struct {
	Delivery
	Slug  string `json:"slug"`
	Title string `json:"title"`
	// Late is how late it is at the list's instant.
	Late time.Duration `json:"-"`
	// WouldMiss reports it is later than its channel's max lateness.
	WouldMiss bool `json:"would_miss"`
}

// Summary is what `crieur status` reports of the deliveries.
type Summary struct {
	Counts   map[string]int `json:"counts"`   // deliveries by status
	Overdue  int            `json:"overdue"`  // runnable, due more than a minute ago, on unpaused channels, no blackout
	NextDue  *time.Time     `json:"next_due"` // the next runnable delivery of an unpaused channel
	Inflight int            `json:"in_flight"`
}
