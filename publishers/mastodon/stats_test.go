package mastodon

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// readStatus answers GET /api/v1/statuses/:id as f.read says.
func (f *fake) readStatus(w http.ResponseWriter, id string) {
	answer, ok := f.read[id]
	switch {
	case !ok || answer == "404":
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error":"Record not found"}`)
	case answer == "410":
		w.WriteHeader(410)
		_, _ = io.WriteString(w, `{"error":"Gone"}`)
	case answer == "403":
		w.WriteHeader(403)
		_, _ = io.WriteString(w, `{"error":"This action is not allowed"}`)
	case answer == "429":
		w.Header().Set("X-RateLimit-Reset", now.Add(5*time.Minute).Format(time.RFC3339))
		w.WriteHeader(429)
		_, _ = io.WriteString(w, `{"error":"Too many requests"}`)
	default:
		_, _ = io.WriteString(w, answer)
	}
}

func TestStats(t *testing.T) {
	f := newFake(t)
	f.read = map[string]string{
		// As the API documents a Status: the counts among its fields.
		"101": `{"id":"101","content":"<p>hi</p>","replies_count":3,"reblogs_count":5,"favourites_count":12}`,
		// An old server that leaves favourites out: unknown, not 0.
		"102": `{"id":"102","replies_count":0,"reblogs_count":1}`,
		"103": "404",
		"104": "410",
		"105": "403",
	}
	p := newPub(t, f)
	got, err := p.Stats(context.Background(), []string{"101", "102", "103", "104", "105"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"101": {State: publishers.StatOK, Counts: publishers.Counts{"replies": 3, "reposts": 5, "likes": 12}},
		"102": {State: publishers.StatOK, Counts: publishers.Counts{"replies": 0, "reposts": 1}},
		"103": {State: publishers.StatDeleted},
		"104": {State: publishers.StatDeleted},
		"105": {State: publishers.StatRevoked},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
	if _, ok := got["102"].Counts["likes"]; ok {
		t.Error("a missing favourites_count must be unknown, not 0")
	}
}

func TestStatsRateLimited(t *testing.T) {
	f := newFake(t)
	f.read = map[string]string{"101": `{"id":"101","replies_count":1,"reblogs_count":1,"favourites_count":1}`, "102": "429"}
	p := newPub(t, f)
	got, err := p.Stats(context.Background(), []string{"101", "102", "103"})
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Class != publishers.RateLimited || pe.RetryAfter != 5*time.Minute {
		t.Fatalf("err = %v, want rate limited for 5m", err)
	}
	if _, ok := got["102"]; ok {
		t.Error("a rate-limited read must not be recorded")
	}
	if _, ok := got["103"]; ok {
		t.Error("the read must stop at the 429")
	}
}
