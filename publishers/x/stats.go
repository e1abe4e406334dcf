package x

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// settingStats turns reading numbers on: X bills each read, so it is off
// unless the channel enables it.
const settingStats = publishers.SettingStats

// lookupBatch is the most ids GET /2/tweets takes in one call.
const lookupBatch = 100

// The problem types X gives, in a lookup's errors, for an id it does not
// answer (https://docs.x.com/x-api/fundamentals/response-codes-and-errors).
const (
	problemNotFound      = "https://api.twitter.com/2/problems/resource-not-found"
	problemNotAuthorized = "https://api.twitter.com/2/problems/not-authorized-for-resource"
)

// statsOn reads the channel's stats setting: on or off (default off).
func statsOn(settings map[string]string) (bool, error) {
	return publishers.StatsOn("x", settings, "X bills each read of a post's numbers")
}

// metricsPost is a post of GET /2/tweets with tweet.fields=public_metrics;
// a nil count is one X left out (unknown, not 0).
type metricsPost struct {
	ID      string `json:"id"`
	Metrics *struct {
		Replies     *int64 `json:"reply_count"`
		Retweets    *int64 `json:"retweet_count"`
		Likes       *int64 `json:"like_count"`
		Quotes      *int64 `json:"quote_count"`
		Impressions *int64 `json:"impression_count"`
	} `json:"public_metrics"`
}

// lookupAnswer is the answer of GET /2/tweets: the posts found, and a
// problem for each id X did not give.
type lookupAnswer struct {
	Data   []metricsPost `json:"data"`
	Errors []struct {
		ResourceID string `json:"resource_id"`
		Value      string `json:"value"`
		Type       string `json:"type"`
	} `json:"errors"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads the posts' public_metrics with GET /2/tweets (up to 100 ids
// a call, https://docs.x.com/x-api/posts/get-posts-by-ids): reply_count,
// retweet_count, like_count, quote_count, and impression_count where X
// gives it. X bills each read: a channel without `stats=on` gives no
// numbers (ErrNoStats) and nothing is asked. An id X says it cannot find is
// recorded deleted; one it says the token may not see (a protected or
// suspended account) revoked. A 429 stops the read.
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	if !p.stats {
		return nil, publishers.ErrNoStats
	}
	out := make(map[string]publishers.Stat, len(ids))
	for start := 0; start < len(ids); start += lookupBatch {
		batch := ids[start:min(start+lookupBatch, len(ids))]
		q := url.Values{"ids": {strings.Join(batch, ",")}, "tweet.fields": {"public_metrics"}}
		var answer lookupAnswer
		if _, err := p.do(ctx, request{method: http.MethodGet, path: "/2/tweets?" + q.Encode(), out: &answer}); err != nil {
			return out, err
		}
		for _, t := range answer.Data {
			c := publishers.Counts{}
			if m := t.Metrics; m != nil {
				put(c, publishers.MetricReplies, m.Replies)
				put(c, publishers.MetricReposts, m.Retweets)
				put(c, publishers.MetricLikes, m.Likes)
				put(c, publishers.MetricQuotes, m.Quotes)
				put(c, publishers.MetricViews, m.Impressions)
			}
			out[t.ID] = publishers.Stat{State: publishers.StatOK, Counts: c}
		}
		for _, e := range answer.Errors {
			id := e.ResourceID
			if id == "" {
				id = e.Value
			}
			if _, read := out[id]; read || id == "" {
				continue
			}
			switch e.Type {
			case problemNotFound:
				out[id] = publishers.Stat{State: publishers.StatDeleted}
			case problemNotAuthorized:
				out[id] = publishers.Stat{State: publishers.StatRevoked}
			}
			// Any other problem: not read, tried again later.
		}
	}
	return out, nil
}

func put(c publishers.Counts, metric string, v *int64) {
	if v != nil {
		c[metric] = *v
	}
}
