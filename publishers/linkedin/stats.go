package linkedin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// settingStats turns reading numbers on: LinkedIn gives a post's reactions
// and comments (Social Metadata API) only to a token with a read scope
// crieur does not ask for by default: r_organization_social for a page
// (Community Management API), r_member_social for a member (LinkedIn
// grants it to select developers only). stats=on asks for it at login.
const settingStats = publishers.SettingStats

// statsBatch is how many posts one BATCH_GET of socialMetadata asks.
const statsBatch = 50

// readScope is the scope reading the author's numbers needs.
func readScope(author string) string {
	if strings.HasPrefix(author, orgPrefix) {
		return "r_organization_social"
	}
	return "r_member_social"
}

// statsOn reads the channel's stats setting: on or off (default off).
func statsOn(settings map[string]string) (bool, error) {
	return publishers.StatsOn("linkedin", settings, "on asks at login for the scope that reads a post's numbers: r_organization_social for a page, r_member_social for a member")
}

// socialMetadata is a post's summary (Social Metadata API): its reactions
// by type and its comments. A part LinkedIn left out is unknown, not 0.
type socialMetadata struct {
	Reactions map[string]struct {
		Count *int64 `json:"count"`
	} `json:"reactionSummaries"`
	Comments *struct {
		Count *int64 `json:"count"`
	} `json:"commentSummary"`
}

func (m socialMetadata) stat() publishers.Stat {
	c := publishers.Counts{}
	if m.Reactions != nil {
		var n int64
		known := true
		for _, r := range m.Reactions {
			if r.Count == nil {
				known = false
				break
			}
			n += *r.Count
		}
		if known {
			c[publishers.MetricReactions] = n
		}
	}
	if m.Comments != nil && m.Comments.Count != nil {
		c[publishers.MetricComments] = *m.Comments.Count
	}
	return publishers.Stat{State: publishers.StatOK, Counts: c}
}

// batchAnswer is a Rest.li BATCH_GET's answer: the entities found, and an
// error for each one not given.
type batchAnswer struct {
	Results map[string]socialMetadata `json:"results"`
	Errors  map[string]struct {
		Status int `json:"status"`
	} `json:"errors"`
}

var _ publishers.Stats = (*Publisher)(nil)

// Stats reads the posts' social metadata, 50 a call (GET
// /rest/socialMetadata?ids=List(…), a Rest.li BATCH_GET): the reactions
// (all types summed) and the comments. It needs the channel's stats=on,
// which asks at login for the scope that reads them (readScope): without
// it, or with a token LinkedIn refuses it to (403), the channel gives no
// numbers (ErrNoStats, saying why). A post LinkedIn answers 404 or 410 for
// is recorded deleted, 403 no longer readable; a 429 stops the read.
func (p *Publisher) Stats(ctx context.Context, ids []string) (map[string]publishers.Stat, error) {
	author := p.currentAuthor()
	if !p.stats {
		who := "a member's posts"
		if strings.HasPrefix(author, orgPrefix) {
			who = "a page's posts"
		}
		return nil, fmt.Errorf("LinkedIn gives the numbers of %s only with the scope %s, which the channel does not ask for: set stats=on, then %s: %w",
			who, readScope(author), loginHint(p.channel), publishers.ErrNoStats)
	}
	out := make(map[string]publishers.Stat, len(ids))
	for start := 0; start < len(ids); start += statsBatch {
		batch := ids[start:min(start+statsBatch, len(ids))]
		enc := make([]string, len(batch))
		for i, id := range batch {
			enc[i] = url.QueryEscape(id)
		}
		h := http.Header{}
		p.restli(h)
		h.Set("X-RestLi-Method", "BATCH_GET")
		var answer batchAnswer
		_, err := p.do(ctx, http.MethodGet, p.api+"/rest/socialMetadata?ids=List("+strings.Join(enc, ",")+")", nil, h, &answer)
		var pe *publishers.Error
		if errors.As(err, &pe) && pe.Status == http.StatusForbidden {
			return out, fmt.Errorf("LinkedIn refuses the channel's token the posts' numbers (it needs the scope %s: your app must have it, and stats=on asks for it at login): %s: %w",
				readScope(author), loginHint(p.channel), publishers.ErrNoStats)
		}
		if err != nil {
			return out, err
		}
		for _, id := range batch {
			if m, ok := answer.Results[id]; ok {
				out[id] = m.stat()
				continue
			}
			switch answer.Errors[id].Status {
			case http.StatusNotFound, http.StatusGone:
				out[id] = publishers.Stat{State: publishers.StatDeleted}
			case http.StatusForbidden:
				out[id] = publishers.Stat{State: publishers.StatRevoked}
			}
		}
	}
	return out, nil
}
