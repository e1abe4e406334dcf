package bluesky

import (
	"context"
	"net/http"
	"net/url"

	"github.com/crieur/crieur/publishers"
)

// getPostsBatch is the most URIs app.bsky.feed.getPosts takes in one call.
const getPostsBatch = 25

// postView is the part of app.bsky.feed.defs#postView that holds its
// engagement; a nil count is one the AppView left out (unknown, not 0).
type postView struct {
	URI     string `json:"uri"`
	Replies *int64 `json:"replyCount"`
	Reposts *int64 `json:"repostCount"`
	Likes   *int64 `json:"likeCount"`
	Quotes  *int64 `json:"quoteCount"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads the posts (at:// URIs, as Publish returned them) with
// app.bsky.feed.getPosts, 25 URIs a call: likeCount, repostCount,
// replyCount and quoteCount. getPosts leaves out a post that no longer
// exists: such a URI is recorded deleted. A 429 stops the read; an account
// whose app password was revoked fails with class Auth.
func (pub *Publisher) Stats(ctx context.Context, uris []string) (map[string]publishers.Stat, error) {
	out := make(map[string]publishers.Stat, len(uris))
	for start := 0; start < len(uris); start += getPostsBatch {
		batch := uris[start:min(start+getPostsBatch, len(uris))]
		q := url.Values{}
		for _, u := range batch {
			q.Add("uris", u)
		}
		var answer struct {
			Posts []postView `json:"posts"`
		}
		if err := pub.authed(ctx, request{method: http.MethodGet, nsid: "app.bsky.feed.getPosts", query: q}, &answer); err != nil {
			return out, err
		}
		seen := map[string]bool{}
		for _, v := range answer.Posts {
			c := publishers.Counts{}
			put(c, publishers.MetricReplies, v.Replies)
			put(c, publishers.MetricReposts, v.Reposts)
			put(c, publishers.MetricLikes, v.Likes)
			put(c, publishers.MetricQuotes, v.Quotes)
			out[v.URI] = publishers.Stat{State: publishers.StatOK, Counts: c}
			seen[v.URI] = true
		}
		for _, u := range batch {
			if !seen[u] {
				out[u] = publishers.Stat{State: publishers.StatDeleted}
			}
		}
	}
	return out, nil
}

func put(c publishers.Counts, metric string, v *int64) {
	if v != nil {
		c[metric] = *v
	}
}
