package mastodon

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/crieur/crieur/publishers"
)

// counted is the part of a Status entity that holds its engagement. A
// pointer is nil when the instance left the field out: unknown, not 0.
type counted struct {
	ID         string `json:"id"`
	Replies    *int64 `json:"replies_count"`
	Reblogs    *int64 `json:"reblogs_count"`
	Favourites *int64 `json:"favourites_count"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads each status with GET /api/v1/statuses/:id (one call per
// status: the API has no batch read of statuses by id): replies_count,
// reblogs_count and favourites_count. 404 and 410 say the status is gone;
// 401/403 on a status say crieur may no longer read it. A 429 stops the read
// (the collector defers the channel).
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	out := make(map[string]publishers.Stat, len(ids))
	for _, id := range ids {
		var st counted
		code, err := p.do(ctx, http.MethodGet, "/api/v1/statuses/"+url.PathEscape(id), nil, "", nil, &st)
		if err != nil {
			var pe *publishers.Error
			switch {
			case code == http.StatusNotFound || code == http.StatusGone:
				out[id] = publishers.Stat{State: publishers.StatDeleted}
				continue
			case errors.As(err, &pe) && pe.Class == publishers.Auth:
				out[id] = publishers.Stat{State: publishers.StatRevoked}
				continue
			}
			return out, err
		}
		c := publishers.Counts{}
		put(c, publishers.MetricReplies, st.Replies)
		put(c, publishers.MetricReposts, st.Reblogs)
		put(c, publishers.MetricLikes, st.Favourites)
		out[id] = publishers.Stat{State: publishers.StatOK, Counts: c}
	}
	return out, nil
}

func put(c publishers.Counts, metric string, v *int64) {
	if v != nil {
		c[metric] = *v
	}
}
