package threads

import (
	"context"
	"net/url"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// insightsScope is the permission the Threads Insights API needs beyond
// publishing (Threads › Insights › Permissions: threads_manage_insights).
const insightsScope = "threads_manage_insights"

// insightMetrics are the media insights read, as Threads names them, and
// the metric each one is.
var insightMetrics = map[string]string{
	"views":   publishers.MetricViews,
	"likes":   publishers.MetricLikes,
	"replies": publishers.MetricReplies,
	"reposts": publishers.MetricReposts,
	"quotes":  publishers.MetricQuotes,
}

// insights is the answer of GET /{threads-media-id}/insights: one entry a
// metric, its value in values[0] (lifetime) or total_value. A metric left
// out is unknown, not 0.
type insights struct {
	Data []struct {
		Name   string `json:"name"`
		Values []struct {
			Value *int64 `json:"value"`
		} `json:"values"`
		Total *struct {
			Value *int64 `json:"value"`
		} `json:"total_value"`
	} `json:"data"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads each post's insights with GET
// /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes
// (one call a post). They need threads_manage_insights, which a channel
// asks for at login with stats=on: without it (or with a token that lacks
// it) the channel gives no numbers (ErrNoStats, saying why). A post Threads
// says does not exist is recorded deleted; a throttled call stops the read.
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	if !p.StatsOn {
		return nil, p.NoStats()
	}
	out, err := meta.ReadEach(ctx, ids, func(ctx context.Context, id string) (publishers.Counts, error) {
		var in insights
		if err := p.Graph.Get(ctx, url.PathEscape(id)+"/insights", url.Values{"metric": {"views,likes,replies,reposts,quotes"}}, &in); err != nil {
			return nil, err
		}
		c := publishers.Counts{}
		for _, d := range in.Data {
			m, ok := insightMetrics[d.Name]
			if !ok {
				continue
			}
			switch {
			case len(d.Values) > 0 && d.Values[0].Value != nil:
				c[m] = *d.Values[0].Value
			case d.Total != nil && d.Total.Value != nil:
				c[m] = *d.Total.Value
			}
		}
		return c, nil
	})
	if meta.Denied(err) {
		return out, p.NoStats()
	}
	return out, err
}
