package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// getPostsCall answers app.bsky.feed.getPosts as the AppView does: the
// postViews of the URIs it knows, in the order asked, others left out.
func (f *fakePDS) getPostsCall(w http.ResponseWriter, r *http.Request) {
	uris := r.URL.Query()["uris"]
	if len(uris) == 0 || len(uris) > 25 {
		f.t.Errorf("getPosts with %d uris, want 1 to 25", len(uris))
		xrpcFail(w, 400, "InvalidRequest", "uris must not have more than 25 elements")
		return
	}
	f.getPosts = append(f.getPosts, uris)
	posts := []map[string]any{}
	for _, u := range uris {
		if v, ok := f.views[u]; ok {
			pv := map[string]any{"uri": u, "cid": "bafyrei", "author": map[string]any{"did": f.did, "handle": f.handle},
				"record": map[string]any{"$type": "app.bsky.feed.post", "text": "hi"}, "indexedAt": epoch.Format(time.RFC3339)}
			for k, n := range v {
				pv[k] = n
			}
			posts = append(posts, pv)
		}
	}
	writeJSON(w, map[string]any{"posts": posts})
}

func TestStats(t *testing.T) {
	f, pub, _ := setup(t)
	f.views = map[string]map[string]any{
		f.uri("a"): {"likeCount": 7, "repostCount": 2, "replyCount": 1, "quoteCount": 0},
		// An AppView that leaves quoteCount and likeCount out: unknown.
		f.uri("b"): {"repostCount": 0, "replyCount": 4},
	}
	got, err := pub.Stats(context.Background(), []string{f.uri("a"), f.uri("b"), f.uri("gone")})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		f.uri("a"):    {State: publishers.StatOK, Counts: publishers.Counts{"likes": 7, "reposts": 2, "replies": 1, "quotes": 0}},
		f.uri("b"):    {State: publishers.StatOK, Counts: publishers.Counts{"reposts": 0, "replies": 4}},
		f.uri("gone"): {State: publishers.StatDeleted},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
}

func TestStatsBatches(t *testing.T) {
	f, pub, _ := setup(t)
	f.views = map[string]map[string]any{}
	var uris []string
	for i := range 60 {
		u := f.uri(fmt.Sprintf("p%02d", i))
		uris = append(uris, u)
		f.views[u] = map[string]any{"likeCount": i}
	}
	got, err := pub.Stats(context.Background(), uris)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.getPosts) != 3 || len(f.getPosts[0]) != 25 || len(f.getPosts[2]) != 10 {
		t.Errorf("getPosts calls %d (sizes of the first and last: %d, %d), want 3 of 25, 25, 10", len(f.getPosts), len(f.getPosts[0]), len(f.getPosts[len(f.getPosts)-1]))
	}
	if got[uris[59]].Counts["likes"] != 59 || len(got) != 60 {
		t.Errorf("Stats read %d posts, the last %v", len(got), got[uris[59]])
	}
}

func TestStatsRateLimited(t *testing.T) {
	f, pub, _ := setup(t)
	reset := strconv.FormatInt(epoch.Add(2*time.Minute).Unix(), 10)
	f.fail("app.bsky.feed.getPosts", fakeFault{status: 429, body: `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`, header: map[string]string{"RateLimit-Reset": reset}})
	got, err := pub.Stats(context.Background(), []string{f.uri("a")})
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Class != publishers.RateLimited || pe.RetryAfter < time.Minute+59*time.Second || pe.RetryAfter > 2*time.Minute {
		t.Fatalf("err = %v (after %v), want rate limited for 2m", err, pe.RetryAfter)
	}
	if len(got) != 0 {
		t.Errorf("a rate-limited read recorded %v", got)
	}
}
