package facebook

import (
	"context"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// statsFields are a Page post's engagement (Graph API reference › Post:
// reactions and comments edges with their summary's total_count, shares'
// count), read with the Page token's pages_read_engagement.
const statsFields = "reactions.summary(total_count),comments.summary(total_count),shares"

// statsBatch is the most ids one multiple-id read takes (Graph API › Using
// the Graph API › Multiple ID Read Requests: up to 50).
const statsBatch = 50

// postCounts is a post's engagement; a nil part is one Facebook left out
// (unknown, not 0: Facebook leaves shares out of a post never shared, and
// a summary out where the token may not read it).
type postCounts struct {
	Reactions *summarized `json:"reactions"`
	Comments  *summarized `json:"comments"`
	Shares    *struct {
		Count *int64 `json:"count"`
	} `json:"shares"`
}

type summarized struct {
	Summary *struct {
		Total *int64 `json:"total_count"`
	} `json:"summary"`
}

func (s *summarized) total() *int64 {
	if s == nil || s.Summary == nil {
		return nil
	}
	return s.Summary.Total
}

func (c postCounts) stat() publishers.Stat {
	out := publishers.Counts{}
	put(out, publishers.MetricReactions, c.Reactions.total())
	put(out, publishers.MetricComments, c.Comments.total())
	if c.Shares != nil {
		put(out, publishers.MetricReposts, c.Shares.Count)
	}
	return publishers.Stat{State: publishers.StatOK, Counts: out}
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads the Page's posts, 50 a call (GET /?ids=…&fields=…): reactions
// and comments (their summary's total_count) and shares. Facebook refuses
// the whole read when one of the ids no longer exists (code 803, or 100
// subcode 33): that batch is then read post by post (GET /{post-id}), and
// a post Facebook says does not exist is recorded deleted. A throttled
// call stops the read; a refused token or permission fails it (class Auth).
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	out := make(map[string]publishers.Stat, len(ids))
	for start := 0; start < len(ids); start += statsBatch {
		batch := ids[start:min(start+statsBatch, len(ids))]
		var answer map[string]postCounts
		err := p.graph.Get(ctx, "", url.Values{"ids": {strings.Join(batch, ",")}, "fields": {statsFields}}, &answer)
		if meta.Gone(err) {
			if err := p.statsOneByOne(ctx, batch, out); err != nil {
				return out, err
			}
			continue
		}
		if err != nil {
			return out, err
		}
		for _, id := range batch {
			if c, ok := answer[id]; ok {
				out[id] = c.stat()
			}
		}
	}
	return out, nil
}

// statsOneByOne reads each post of a batch on its own.
func (p *Publisher) statsOneByOne(ctx context.Context, ids []string, out map[string]publishers.Stat) error {
	for _, id := range ids {
		var c postCounts
		err := p.graph.Get(ctx, url.PathEscape(id), url.Values{"fields": {statsFields}}, &c)
		switch {
		case meta.Gone(err):
			out[id] = publishers.Stat{State: publishers.StatDeleted}
		case err != nil:
			return err
		default:
			out[id] = c.stat()
		}
	}
	return nil
}

func put(c publishers.Counts, metric string, v *int64) {
	if v != nil {
		c[metric] = *v
	}
}
