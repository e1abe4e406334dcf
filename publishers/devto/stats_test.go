package devto

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// published serves GET /api/articles/me (the account's published articles,
// in pages, with their counts) as the API documents it.
func published(t *testing.T, all []map[string]any, pages *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !checkHeaders(t, r) {
			publishertest.WriteJSON(w, 401, map[string]any{"error": "unauthorized", "status": 401})
			return
		}
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		per, _ := strconv.Atoi(q.Get("per_page"))
		if r.Method != "GET" || r.URL.Path != "/api/articles/me" || page < 1 || per < 1 || per > 1000 {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			publishertest.WriteJSON(w, 404, map[string]any{"error": "not found", "status": 404})
			return
		}
		*pages++
		lo, hi := min((page-1)*per, len(all)), min(page*per, len(all))
		publishertest.WriteJSON(w, 200, all[lo:hi])
	})
}

func TestStats(t *testing.T) {
	var all []map[string]any
	for i := range 1500 {
		all = append(all, map[string]any{"id": 5000 + i, "title": "filler", "page_views_count": 1, "public_reactions_count": 0, "comments_count": 0})
	}
	// On the second page: one with every count, one without page views
	// (Forem leaves them out for some keys): unknown, not 0.
	all[1200] = map[string]any{"id": 42, "title": "Launch", "page_views_count": 310, "public_reactions_count": 12, "comments_count": 3}
	all[1300] = map[string]any{"id": 43, "title": "Follow-up", "public_reactions_count": 0, "comments_count": 1}
	pages := 0
	p := newPublisher(t, published(t, all, &pages), nil)
	got, err := p.Stats(context.Background(), []string{"42", "43", "44"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"42": {State: publishers.StatOK, Counts: publishers.Counts{"views": 310, "reactions": 12, "comments": 3}},
		"43": {State: publishers.StatOK, Counts: publishers.Counts{"reactions": 0, "comments": 1}},
		"44": {State: publishers.StatDeleted},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
	if pages != 2 {
		t.Errorf("read %d pages, want 2", pages)
	}
}

func TestStatsRateLimited(t *testing.T) {
	p := newPublisher(t, publishertest.Reply(429, map[string]string{"Retry-After": "30"}, `{"error":"Rate limit reached","status":429}`), nil)
	got, err := p.Stats(context.Background(), []string{"42"})
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Class != publishers.RateLimited || pe.RetryAfter != 30*time.Second {
		t.Fatalf("err = %v, want rate limited for 30s", err)
	}
	if len(got) != 0 {
		t.Errorf("a rate-limited read recorded %v (not deleted, not zero: nothing)", got)
	}
}
