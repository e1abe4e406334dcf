package publishers

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The engagement metrics an adapter may report. A network reports the ones
// it knows; a metric missing from Counts is unknown, never zero.
const (
	MetricReplies   = "replies"
	MetricReposts   = "reposts" // reblogs, reposts, shares
	MetricLikes     = "likes"   // favourites, likes
	MetricQuotes    = "quotes"
	MetricComments  = "comments"
	MetricReactions = "reactions"
	MetricViews     = "views" // impressions, page views: not an interaction
)

// Interactions are the metrics that add up to a post's engagement (views
// are not: a view is not an answer).
var Interactions = []string{MetricReplies, MetricReposts, MetricLikes, MetricQuotes, MetricComments, MetricReactions}

// Counts is a post's engagement as the network read it, by metric. A metric
// the network did not give is absent: unknown, not 0.
type Counts map[string]int64

// Engagement is the sum of the interactions Counts knows (views aside), and
// whether it knew any.
func (c Counts) Engagement() (int64, bool) {
	var n int64
	known := false
	for _, m := range Interactions {
		if v, ok := c[m]; ok {
			n += v
			known = true
		}
	}
	return n, known
}

// StatState is what became of a post when its numbers were read.
type StatState string

const (
	// StatOK: the post is there; Counts holds its numbers.
	StatOK StatState = "ok"
	// StatDeleted: the network says the post is gone (404, 410).
	StatDeleted StatState = "deleted"
	// StatRevoked: the network refuses crieur the post (401, 403): the
	// token was revoked or lacks the scope to read it.
	StatRevoked StatState = "revoked"
)

// Stat is one post's numbers, as read at one instant.
type Stat struct {
	State  StatState `json:"state"`
	Counts Counts    `json:"counts,omitempty"`
}

// Stats is implemented by adapters whose network gives a post's engagement
// to the token crieur holds. It never posts.
//
// Stats reads the posts whose remote IDs (Result.RemoteID, as the adapter
// returned them) are given, batching as the network allows, and returns
// one Stat per ID it could read, keyed by ID: StatOK with the counts the
// network gave (a field the network left out is absent from Counts), or
// StatDeleted / StatRevoked when the network said so of that post. An ID
// missing from the map was not read (try again later).
//
// An error stops the whole read: a *Error of class RateLimited (429, with
// RetryAfter) makes the collector defer the channel and record nothing, never
// zeros; of class Auth (401/403 for the account as a whole) the collector
// records every asked post as StatRevoked. ErrNoStats says the channel gives
// no numbers (e.g. reads that are billed and not enabled for it).
type Stats interface {
	Stats(ctx context.Context, remoteIDs []string) (map[string]Stat, error)
}

// ErrNoStats is returned by Stats for a channel that gives no numbers as it
// is set up (the network does, the channel does not enable it).
var ErrNoStats = errors.New("this channel gives no engagement numbers")

// StatsOf returns pub's Stats, or false when it reads no numbers. Callers
// use it rather than a type assertion: it sees through the registry's
// Redacting wrapper (whose errors it redacts the same way), so Stats is not
// one more capability every wrapper must mirror.
func StatsOf(pub Publisher) (Stats, bool) {
	if s, ok := pub.(Stats); ok {
		return s, true
	}
	w, ok := pub.(interface{ redactor() *Redactor })
	if !ok {
		return nil, false
	}
	s, ok := Unwrap(pub).(Stats)
	if !ok {
		return nil, false
	}
	return redactStats{r: w.redactor(), s: s}, true
}

// redactStats is a Stats whose errors pass through a Redactor.
type redactStats struct {
	r *Redactor
	s Stats
}

func (w redactStats) Stats(ctx context.Context, ids []string) (map[string]Stat, error) {
	m, err := w.s.Stats(ctx, ids)
	return m, w.r.Error(err)
}

// SettingStats is the channel setting that turns reading a post's numbers
// on, on networks that bill those reads or need a permission beyond
// publishing for them: on or off (the default).
const SettingStats = "stats"

// StatsOn reads settings' stats setting: "", off or false is off; on or
// true is on; anything else is an error naming the network, with why (what
// turning it on does).
func StatsOn(network string, settings map[string]string, why string) (bool, error) {
	switch v := strings.ToLower(strings.TrimSpace(settings[SettingStats])); v {
	case "", "off", "false":
		return false, nil
	case "on", "true":
		return true, nil
	default:
		return false, fmt.Errorf("%s: setting stats %q is not on or off (%s)", network, settings[SettingStats], why)
	}
}
