// Package report turns the engagement crieur collected (calendar.Metrics)
// into what a manager shows: totals, per-post medians, groups (by channel,
// campaign, tag, weekday, hour or post), the top and bottom posts, an HTML
// page with its plots drawn as inline SVG, and the best times to post.
package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// The groupings a report is made by.
var Groupings = []string{"channel", "campaign", "tag", "weekday", "hour", "post"}

// Options shape a report.
type Options struct {
	By   string         // one of Groupings; "" is channel
	Zone *time.Location // weekdays and hours are read in it (the calendar's)
	// Metrics gives the metrics a network reports; nil or empty: the network
	// gives no numbers.
	Metrics func(network string) []string
	// ChannelMetrics, when set, is used instead of Metrics: what a post's
	// channel reports, as its settings make it (a network whose reads are
	// billed, or need a scope, gives none until the channel enables them).
	ChannelMetrics func(e calendar.DeliveryEngagement) []string
	// TaggedLink gives a post's link as published on its channel (UTM-tagged).
	TaggedLink func(e calendar.DeliveryEngagement) string
	Top        int // top and bottom posts listed (0: 5)
}

// Post is one published delivery with its latest numbers.
type Post struct {
	Post        string           `json:"post"`
	Title       string           `json:"title,omitempty"`
	Channel     string           `json:"channel"`
	Network     string           `json:"network"`
	Campaign    string           `json:"campaign,omitempty"`
	Tags        []string         `json:"tags,omitempty"`
	PublishedAt time.Time        `json:"published_at"`
	URL         string           `json:"url,omitempty"`
	Link        string           `json:"link,omitempty"` // the tagged link
	State       string           `json:"state"`          // ok, deleted, revoked, not collected, no numbers
	Engagement  *int64           `json:"engagement"`     // nil: unknown
	Counts      map[string]int64 `json:"counts,omitempty"`
	ReadAt      *time.Time       `json:"read_at,omitempty"`
	// Snapshots are every reading, oldest first (the curve).
	Snapshots []calendar.Snapshot `json:"snapshots,omitempty"`
}

// States a report gives a post besides the snapshots' own.
const (
	StateNoNumbers    = "no numbers"    // its network gives none
	StateNotCollected = "not collected" // none read yet
)

// Group is the figures of the posts sharing one key.
type Group struct {
	Key         string           `json:"key"`
	Posts       int              `json:"posts"`
	WithNumbers int              `json:"with_numbers"`
	Engagement  int64            `json:"engagement"`
	Median      *float64         `json:"median"` // per post with numbers; nil when none
	Metrics     map[string]int64 `json:"metrics,omitempty"`
	// NoNumbers: every post of the group is on a network that gives none.
	NoNumbers bool `json:"no_numbers,omitempty"`
}

// Report is the whole report.
type Report struct {
	Campaign string     `json:"campaign,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	By       string     `json:"by"`
	Zone     string     `json:"zone"`
	Metrics  []string   `json:"metrics"` // the columns: metrics some network here reports
	Total    Group      `json:"total"`
	Groups   []Group    `json:"groups"`
	Top      []Post     `json:"top"`
	Bottom   []Post     `json:"bottom"`
	Posts    []Post     `json:"posts"`
	// NoNumbers lists the channels whose network gives no numbers.
	NoNumbers []string `json:"no_numbers_from,omitempty"`
	// Why says, of a channel among NoNumbers whose network has numbers,
	// why this one gives none (and how to turn them on).
	Why  map[string]string `json:"no_numbers_why,omitempty"`
	zone *time.Location
}

// metrics is what e's channel reports.
func (o Options) metrics(e calendar.DeliveryEngagement) []string {
	if o.ChannelMetrics != nil {
		return o.ChannelMetrics(e)
	}
	return o.Metrics(e.Network)
}

// CheckBy refuses an unknown grouping.
func CheckBy(by string) error {
	for _, g := range Groupings {
		if by == g {
			return nil
		}
	}
	return fmt.Errorf("--by %q: use %s", by, strings.Join(Groupings, ", "))
}

// Build makes the report of rows.
func Build(rows []calendar.DeliveryEngagement, o Options) (*Report, error) {
	if o.By == "" {
		o.By = "channel"
	}
	if err := CheckBy(o.By); err != nil {
		return nil, err
	}
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.Top <= 0 {
		o.Top = 5
	}
	r := &Report{By: o.By, Zone: o.Zone.String(), zone: o.Zone, Metrics: []string{}, Groups: []Group{}, Top: []Post{}, Bottom: []Post{}, Posts: make([]Post, 0, len(rows))}
	metricSet := map[string]bool{}
	noNumbers := map[string]bool{}
	for _, e := range rows {
		p := postOf(e, o)
		if p.State == StateNoNumbers {
			noNumbers[e.Channel] = true
		} else if o.Metrics != nil || o.ChannelMetrics != nil {
			for _, m := range o.metrics(e) {
				metricSet[m] = true
			}
		}
		for m := range p.Counts {
			metricSet[m] = true
		}
		r.Posts = append(r.Posts, p)
	}
	for _, m := range append(append([]string(nil), publishers.Interactions...), publishers.MetricViews) {
		if metricSet[m] {
			r.Metrics = append(r.Metrics, m)
			delete(metricSet, m)
		}
	}
	var rest []string
	for m := range metricSet {
		rest = append(rest, m)
	}
	sort.Strings(rest)
	r.Metrics = append(r.Metrics, rest...)
	for ch := range noNumbers {
		r.NoNumbers = append(r.NoNumbers, ch)
	}
	sort.Strings(r.NoNumbers)

	all := make([]*Post, len(r.Posts))
	for i := range r.Posts {
		all[i] = &r.Posts[i]
	}
	r.Total = group("total", all)
	keyed := map[string][]*Post{}
	for _, p := range all {
		for _, k := range r.keys(p) {
			keyed[k] = append(keyed[k], p)
		}
	}
	for k, ps := range keyed {
		r.Groups = append(r.Groups, group(k, ps))
	}
	r.sortGroups()

	var ranked []*Post
	for _, p := range all {
		if p.Engagement != nil {
			ranked = append(ranked, p)
		}
	}
	sort.SliceStable(ranked, func(i, j int) bool { return *ranked[i].Engagement > *ranked[j].Engagement })
	for _, p := range ranked[:min(o.Top, len(ranked))] {
		r.Top = append(r.Top, *p)
	}
	// The bottom list starts where the top list ends: never the same post twice.
	for i := len(ranked) - 1; i >= len(r.Top) && len(r.Bottom) < o.Top; i-- {
		r.Bottom = append(r.Bottom, *ranked[i])
	}
	return r, nil
}

// postOf is a delivery with its latest numbers: the latest snapshot's
// state, the counts of the latest snapshot that had any.
func postOf(e calendar.DeliveryEngagement, o Options) Post {
	p := Post{Post: e.Slug, Title: e.Title, Channel: e.Channel, Network: e.Network, Campaign: e.Campaign, Tags: e.Tags,
		PublishedAt: e.PublishedAt, URL: e.RemoteURL, Snapshots: e.Snapshots}
	if o.TaggedLink != nil {
		p.Link = o.TaggedLink(e)
	} else {
		p.Link = e.Link
	}
	if len(e.Snapshots) == 0 {
		p.State = StateNotCollected
		if (o.Metrics != nil || o.ChannelMetrics != nil) && len(o.metrics(e)) == 0 {
			p.State = StateNoNumbers
		}
		return p
	}
	last := e.Snapshots[len(e.Snapshots)-1]
	p.State = last.State
	for i := len(e.Snapshots) - 1; i >= 0; i-- {
		sn := e.Snapshots[i]
		if sn.State != calendar.SnapshotOK {
			continue
		}
		if n, ok := publishers.Counts(sn.Counts).Engagement(); ok {
			p.Engagement = &n
		}
		p.Counts = sn.Counts
		at := sn.TakenAt
		p.ReadAt = &at
		break
	}
	return p
}

// Engagement is a snapshot's engagement, if it knew any interaction.
func Engagement(sn calendar.Snapshot) (int64, bool) {
	if sn.State != calendar.SnapshotOK {
		return 0, false
	}
	return publishers.Counts(sn.Counts).Engagement()
}

func group(key string, ps []*Post) Group {
	g := Group{Key: key, Posts: len(ps), Metrics: map[string]int64{}}
	var values []int64
	none := true
	for _, p := range ps {
		if p.State != StateNoNumbers {
			none = false
		}
		if p.Engagement == nil {
			continue
		}
		g.WithNumbers++
		g.Engagement += *p.Engagement
		values = append(values, *p.Engagement)
		for m, v := range p.Counts {
			g.Metrics[m] += v
		}
	}
	g.NoNumbers = none && len(ps) > 0
	if len(values) > 0 {
		m := Median(values)
		g.Median = &m
	}
	return g
}

// Median is the middle value (the mean of the middle two for an even count).
func Median(v []int64) float64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return float64(s[n/2])
	}
	return float64(s[n/2-1]+s[n/2]) / 2
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// weekdayIndex is Monday 0 … Sunday 6.
func weekdayIndex(t time.Time) int { return (int(t.Weekday()) + 6) % 7 }

func (r *Report) keys(p *Post) []string {
	switch r.By {
	case "campaign":
		if p.Campaign == "" {
			return []string{"(no campaign)"}
		}
		return []string{p.Campaign}
	case "tag":
		if len(p.Tags) == 0 {
			return []string{"(untagged)"}
		}
		return p.Tags
	case "weekday":
		return []string{weekdays[weekdayIndex(p.PublishedAt.In(r.zone))]}
	case "hour":
		return []string{fmt.Sprintf("%02d:00", p.PublishedAt.In(r.zone).Hour())}
	case "post":
		return []string{p.Post}
	}
	return []string{p.Channel}
}

func (r *Report) sortGroups() {
	order := func(k string) int { return 0 }
	if r.By == "weekday" {
		order = func(k string) int {
			for i, d := range weekdays {
				if d == k {
					return i
				}
			}
			return 7
		}
	}
	byEngagement := r.By == "post"
	sort.SliceStable(r.Groups, func(i, j int) bool {
		a, b := r.Groups[i], r.Groups[j]
		if oa, ob := order(a.Key), order(b.Key); oa != ob {
			return oa < ob
		}
		if byEngagement && a.Engagement != b.Engagement {
			return a.Engagement > b.Engagement
		}
		return a.Key < b.Key
	})
}
