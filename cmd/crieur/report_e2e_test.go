package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/viper"

	"github.com/crieur/crieur/internal/report"
	"github.com/crieur/crieur/publishers/publishertest"
)

// serveMastodonStats is the Mastodon fake with statuses readable: status
// 100+n has n replies, 2n reblogs and 3n favourites (engagement 6n).
func serveMastodonStats(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if id, ok := strings.CutPrefix(r.URL.Path, "/api/v1/statuses/"); ok && r.Method == "GET" {
		if r.Header.Get("Authorization") != "Bearer "+mastodonToken {
			f.t.Errorf("GET %s: Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
		}
		n, err := strconv.Atoi(id)
		if err != nil || n <= 100 {
			publishertest.WriteJSON(w, 404, map[string]string{"error": "Record not found"})
			return
		}
		n -= 100
		publishertest.WriteJSON(w, 200, map[string]any{"id": id, "content": "<p>…</p>", "replies_count": n, "reblogs_count": 2 * n, "favourites_count": 3 * n})
		return
	}
	serveMastodon(f, w, r, body)
}

// serveBlueskyStats is the Bluesky fake with app.bsky.feed.getPosts: every
// post has 5 likes, 1 repost, 1 reply, 0 quotes (engagement 7).
func serveBlueskyStats(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if r.URL.Path == "/xrpc/app.bsky.feed.getPosts" && r.Method == "GET" {
		if r.Header.Get("Authorization") != "Bearer "+blueskyAccess {
			f.t.Errorf("getPosts: Authorization %q", r.Header.Get("Authorization"))
		}
		uris := r.URL.Query()["uris"]
		if len(uris) == 0 || len(uris) > 25 {
			f.t.Errorf("getPosts with %d uris", len(uris))
		}
		posts := []any{}
		for _, u := range uris {
			posts = append(posts, map[string]any{"uri": u, "cid": "bafyrei", "author": map[string]string{"did": blueskyDID, "handle": "alice.test"},
				"likeCount": 5, "repostCount": 1, "replyCount": 1, "quoteCount": 0, "indexedAt": time.Now().UTC().Format(time.RFC3339)})
		}
		publishertest.WriteJSON(w, 200, map[string]any{"posts": posts})
		return
	}
	serveBluesky(f, w, r, body)
}

// runCtx is runAt until ctx ends (for the daemon).
func runCtx(ctx context.Context, now func() time.Time, args []string, out, errOut *bytes.Buffer) int {
	a := &app{v: viper.New(), in: strings.NewReader(""), out: out, errOut: errOut, now: now, ctx: ctx}
	defer a.close()
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	if err := root.ExecuteContext(ctx); err != nil {
		return a.reportError(err)
	}
	return exitOK
}

// TestReportEndToEnd: a new user with a Mastodon and a Bluesky channel (local
// fakes) publishes a small campaign, runs the daemon past the +1h reading
// (the app's clock moved, no sleep), and gets the report as a table, as
// JSON with exact numbers, and as the HTML page.
func TestReportEndToEnd(t *testing.T) {
	cases := networkCases()
	mastodon, bluesky := cases[0], cases[1]
	mastodon.serve = serveMastodonStats
	env := newE2E(t, mastodon)
	bsky := &fakeNet{t: t, serve: serveBlueskyStats}
	srv := httptest.NewServer(bsky)
	t.Cleanup(srv.Close)
	t.Setenv("CRIEUR_E2E_BSKY", blueskyPassword)
	env.cli(append([]string{"channel", "add", "acme-bluesky", "--network", "bluesky", "--secret", "app_password=env:CRIEUR_E2E_BSKY", "--set"}, bluesky.settings(srv.URL, env.dir)[0], "--set", bluesky.settings(srv.URL, env.dir)[1])...)

	env.cli("campaign", "add", "spring")
	for _, slug := range []string{"spring-one", "spring-two"} {
		env.cli("post", "new", "--slug", slug, "--body", "Spring is here", "--link", "https://example.org/"+slug, "--campaign", "spring",
			"--channel", "acme-mastodon,acme-bluesky", "--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	}
	if rep, code := env.publish(nil); code != exitOK || rep.Published != 4 {
		t.Fatalf("publish --due: exit %d, %+v", code, rep)
	}

	// Before +1h nothing is read.
	soon := time.Now().Add(30 * time.Minute)
	if code, out, errOut := env.exec(&soon, "stats", "collect"); code != exitOK || !strings.Contains(out, "Read 0 of 0 readings due.") {
		t.Fatalf("stats collect at +30m: exit %d\n%s%s", code, out, errOut)
	}

	// The daemon, its clock past +1h, reads the four posts.
	later := time.Now().Add(61 * time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var dOut, dErr bytes.Buffer
	go func() {
		done <- runCtx(ctx, func() time.Time { return later }, []string{"daemon", "--stats-every", "1h"}, &dOut, &dErr)
	}()
	deadline := time.Now().Add(time.Minute)
	for len(env.fake.calls("GET", "/api/v1/statuses/101"))+len(env.fake.calls("GET", "/api/v1/statuses/102")) < 2 || len(bsky.calls("GET", "/xrpc/app.bsky.feed.getPosts")) < 1 {
		if time.Now().After(deadline) {
			cancel()
			<-done
			t.Fatalf("the daemon read no numbers:\n%s", dErr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Until the snapshots are written.
	var rep report.Report
	for {
		env.cliJSON(&rep, "report", "--campaign", "spring")
		if rep.Total.WithNumbers == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("daemon: exit %d\n%s", code, dErr.String())
	}
	env.printed.Write(dOut.Bytes())
	env.printed.Write(dErr.Bytes())

	// 6 and 12 on Mastodon, 7 and 7 on Bluesky.
	if rep.Total.Posts != 4 || rep.Total.WithNumbers != 4 || rep.Total.Engagement != 32 || rep.Total.Median == nil || *rep.Total.Median != 7 {
		t.Fatalf("total %+v", rep.Total)
	}
	byChannel := map[string]report.Group{}
	for _, g := range rep.Groups {
		byChannel[g.Key] = g
	}
	m, b := byChannel["acme-mastodon"], byChannel["acme-bluesky"]
	if m.Engagement != 18 || *m.Median != 9 || m.Metrics["likes"] != 9 || m.Metrics["reposts"] != 6 || m.Metrics["replies"] != 3 {
		t.Errorf("mastodon %+v", m)
	}
	if _, ok := m.Metrics["quotes"]; ok {
		t.Errorf("Mastodon has no quotes, yet %+v", m.Metrics)
	}
	if b.Engagement != 14 || *b.Median != 7 || b.Metrics["likes"] != 10 || b.Metrics["quotes"] != 0 {
		t.Errorf("bluesky %+v", b)
	}
	if len(rep.Top) != 4 || *rep.Top[0].Engagement != 12 || rep.Top[0].Channel != "acme-mastodon" ||
		!strings.HasPrefix(rep.Top[0].Link, "https://example.org/spring-") || !strings.Contains(rep.Top[0].Link, "utm_campaign=spring") ||
		!strings.Contains(rep.Top[0].Link, "utm_source=mastodon") {
		t.Errorf("top %+v", rep.Top)
	}
	for _, p := range rep.Posts {
		if len(p.Snapshots) != 1 || p.Snapshots[0].After != "1h" || p.State != "ok" {
			t.Errorf("%s on %s: snapshots %+v", p.Post, p.Channel, p.Snapshots)
		}
	}

	table := env.cli("report", "--campaign", "spring")
	for _, want := range []string{"campaign spring · 4 deliveries · 4 with numbers", "acme-mastodon  2      2             18          9", "TOTAL", "Top posts"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
	page := filepath.Join(env.dir, "report.html")
	env.cli("report", "--campaign", "spring", "--format", "html", "--out", page)
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("<polyline")) || !bytes.Contains(html, []byte("spring")) {
		t.Errorf("the page has no curve or no campaign:\n%.600s", html)
	}

	// A second run at the same time reads nothing again.
	if code, out, _ := env.exec(&later, "stats", "collect", "-o", "json"); code != exitOK || !strings.Contains(out, `"due": 0`) {
		t.Errorf("collect again: %s", out)
	}
	var doc map[string]any
	env.cliJSON(&doc, "slot", "suggest", "acme-mastodon")
	if doc["enough"] != false || !strings.Contains(doc["message"].(string), "has 2 posts with numbers") {
		t.Errorf("slot suggest %v", doc)
	}
}
