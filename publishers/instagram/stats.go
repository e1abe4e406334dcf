package instagram

import (
	"context"
	"net/url"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// mediaCounts are an IG Media's like_count and comments_count (IG Media
// reference), which instagram_business_basic reads; a nil one is one
// Instagram left out (like_count, when the owner hides like counts):
// unknown, not 0. Views and reach are insights, which need
// instagram_business_manage_insights: crieur does not ask for it.
type mediaCounts struct {
	Likes    *int64 `json:"like_count"`
	Comments *int64 `json:"comments_count"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads each post with GET /{ig-media-id}?fields=like_count,comments_count
// (one call a post). A post Instagram says does not exist (code 100,
// subcode 33) is recorded deleted; a throttled call stops the read.
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	return meta.ReadEach(ctx, ids, func(ctx context.Context, id string) (publishers.Counts, error) {
		var m mediaCounts
		if err := p.Graph.Get(ctx, url.PathEscape(id), url.Values{"fields": {"like_count,comments_count"}}, &m); err != nil {
			return nil, err
		}
		c := publishers.Counts{}
		if m.Likes != nil {
			c[publishers.MetricLikes] = *m.Likes
		}
		if m.Comments != nil {
			c[publishers.MetricComments] = *m.Comments
		}
		return c, nil
	})
}
