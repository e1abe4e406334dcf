package calendar

import (
	"context"
	"strconv"
	"time"
)

// DefaultStatsOffsets are when, after a delivery went live, its engagement
// is read: +1 h, +24 h, +7 d and +30 d.
var DefaultStatsOffsets = []time.Duration{time.Hour, 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Snapshot states: what became of a post when its numbers were read.
const (
	SnapshotOK      = "ok"
	SnapshotDeleted = "deleted" // the network says the post is gone
	SnapshotRevoked = "revoked" // the network refuses crieur the post
)

// Snapshot is a delivery's engagement as its network reported it at one
// instant. Counts holds only the metrics the network gave: a metric
// absent is unknown, never 0.
type Snapshot struct {
	DeliveryID int64 `json:"-"`
	// Offset is the point of the schedule the snapshot stands for (+1h, …).
	Offset  time.Duration    `json:"-"`
	After   string           `json:"after"` // Offset in words: 1h, 24h, 7d, 30d
	TakenAt time.Time        `json:"taken_at"`
	State   string           `json:"state"`
	Counts  map[string]int64 `json:"counts,omitempty"`
}

// StatsQuery asks which deliveries need a snapshot at Now.
type StatsQuery struct {
	Now time.Time
	// Offsets are the points after publication to read at, ascending.
	Offsets []time.Duration
	// Since bounds how far back to look (deliveries published before it
	// are left alone); zero means the last offset plus a week.
	Since time.Time
	// Networks restricts the deliveries to those networks (the ones that
	// give numbers); empty means every network.
	Networks []string
	Limit    int // 0: no limit
}

// StatsDue is one delivery whose snapshot at Offset is due.
type StatsDue struct {
	DeliveryID  int64
	PostID      int64
	ChannelID   int64
	Channel     string
	Network     string
	RemoteID    string
	PublishedAt time.Time
	Offset      time.Duration
}

// DueOffset is the snapshot due at now for a delivery published at pub,
// whose latest snapshot stands for last (negative: none yet): the largest
// offset already reached, when it is past last. A snapshot missed (the
// daemon was down) is not taken late: the next point reached stands.
func DueOffset(pub, now time.Time, offsets []time.Duration, last time.Duration) (time.Duration, bool) {
	due, ok := time.Duration(0), false
	for _, o := range offsets {
		if !pub.Add(o).After(now) {
			due, ok = o, true
		}
	}
	return due, ok && due > last
}

// EngagementFilter selects the published deliveries a report covers.
type EngagementFilter struct {
	Campaign string     // a campaign's name; "" for every post
	Channel  string     // a channel's name; "" for every channel
	From, To *time.Time // published in [From, To)
	// Latest keeps only each delivery's latest snapshot, and its latest
	// ok one when that is another (what a table of numbers needs; the
	// curve needs them all).
	Latest bool
}

// DeliveryEngagement is a published delivery with its snapshots, oldest
// first: what reports are made of. Rows may share their CampaignUTM and
// Tags: read them, do not change them.
type DeliveryEngagement struct {
	DeliveryID  int64             `json:"delivery_id"`
	PostID      int64             `json:"-"`
	Slug        string            `json:"post"`
	Title       string            `json:"title,omitempty"`
	Campaign    string            `json:"campaign,omitempty"`
	CampaignUTM map[string]string `json:"-"`
	Tags        []string          `json:"tags,omitempty"`
	Link        string            `json:"-"` // the post's link, untagged; else the first http(s) URL of its body
	Channel     string            `json:"channel"`
	Network     string            `json:"network"`
	PublishedAt time.Time         `json:"published_at"`
	RemoteURL   string            `json:"remote_url,omitempty"`
	Snapshots   []Snapshot        `json:"snapshots"`
}

// Metrics is the engagement side of a calendar: which deliveries need a
// snapshot, recording one, and reading them back for reports.
type Metrics interface {
	StatsDue(ctx context.Context, q StatsQuery) ([]StatsDue, error)
	// RecordSnapshot keeps a snapshot; a second one for the same delivery
	// and offset replaces it.
	RecordSnapshot(ctx context.Context, s Snapshot) error
	// Engagement lists the published deliveries f selects, by publication
	// time, with their snapshots. An unknown campaign or channel is not found.
	Engagement(ctx context.Context, f EngagementFilter) ([]DeliveryEngagement, error)
}

// OffsetWords writes an offset as people do: 1h, 24h, 7d, 30d, 90m.
func OffsetWords(d time.Duration) string {
	switch {
	case d >= 48*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= time.Hour && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
