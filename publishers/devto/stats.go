package devto

import (
	"context"
	"net/url"
	"strconv"

	"github.com/crieur/crieur/publishers"
)

// counted is the part of a published article (GET /api/articles/me) that
// holds its engagement; a nil count is one Forem left out (unknown, not 0).
type counted struct {
	ID        int64  `json:"id"`
	Views     *int64 `json:"page_views_count"`
	Reactions *int64 `json:"public_reactions_count"`
	Comments  *int64 `json:"comments_count"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats pages through the account's published articles (GET
// /api/articles/me, 1000 a page) until every asked id is found:
// page_views_count, public_reactions_count, comments_count. An id not
// among them once the list ends is recorded deleted (removed, or
// unpublished). A 429 stops the read.
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	out := make(map[string]publishers.Stat, len(ids))
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	complete := false
	for page := 1; page <= maxPages && len(want) > 0; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}}
		var list []counted
		if err := p.client().Do(ctx, "GET", p.api+"/articles/me?"+q.Encode(), nil, &list); err != nil {
			return out, err
		}
		for _, a := range list {
			id := strconv.FormatInt(a.ID, 10)
			if !want[id] {
				continue
			}
			c := publishers.Counts{}
			put(c, publishers.MetricViews, a.Views)
			put(c, publishers.MetricReactions, a.Reactions)
			put(c, publishers.MetricComments, a.Comments)
			out[id] = publishers.Stat{State: publishers.StatOK, Counts: c}
			delete(want, id)
		}
		if len(list) < perPage {
			complete = true
			break
		}
	}
	if complete {
		for id := range want {
			out[id] = publishers.Stat{State: publishers.StatDeleted}
		}
	}
	return out, nil
}

func put(c publishers.Counts, metric string, v *int64) {
	if v != nil {
		c[metric] = *v
	}
}
