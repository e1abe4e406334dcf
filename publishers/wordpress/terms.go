package wordpress

import (
	"context"
	"errors"
	"html"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// termIDs resolves tag or category names (kind "tags" or "categories") to
// their ids, creating the missing ones.
func (p *Publisher) termIDs(ctx context.Context, kind string, names []string) ([]int64, error) {
	var ids []int64
	seen := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		key := strings.ToLower(name)
		if name == "" || seen[key] {
			continue
		}
		seen[key] = true
		id, err := p.termID(ctx, kind, name)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (p *Publisher) termID(ctx context.Context, kind, name string) (int64, error) {
	q := url.Values{"search": {name}, "per_page": {"100"}}
	var terms []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := p.client().Do(ctx, "GET", p.api+"/"+kind+"?"+q.Encode(), nil, &terms); err != nil {
		return 0, err
	}
	// search matches parts of names; only an exact (case-insensitive) name is
	// the term. Names come back HTML-escaped ("Q&amp;A").
	for _, t := range terms {
		if strings.EqualFold(html.UnescapeString(t.Name), name) {
			return t.ID, nil
		}
	}
	var created struct {
		ID int64 `json:"id"`
	}
	err := p.client().Do(ctx, "POST", p.api+"/"+kind, map[string]string{"name": name}, &created)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == "term_exists" && ae.Data.TermID != 0 {
		// Created meanwhile, or differing from the search only in ways
		// WordPress ignores: it tells which term it is.
		return ae.Data.TermID, nil
	}
	if err != nil {
		return 0, err
	}
	if created.ID == 0 {
		return 0, publishers.Errorf(publishers.Transient, "WordPress created %s %q without an id", kind, name)
	}
	return created.ID, nil
}
