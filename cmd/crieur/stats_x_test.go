package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/report"
	"github.com/crieur/crieur/publishers/publishertest"
	"github.com/crieur/crieur/scheduler"
)

// serveXStats is the X fake with GET /2/tweets?ids=…&tweet.fields=public_metrics:
// every post has 4 likes, 2 reposts, 1 reply, 0 quotes and 90 impressions.
func serveXStats(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte) {
	if r.Method == "GET" && r.URL.Path == "/2/tweets" {
		if got := r.Header.Get("Authorization"); got != "Bearer "+xToken {
			f.t.Errorf("GET /2/tweets: Authorization %q", got)
		}
		if r.URL.Query().Get("tweet.fields") != "public_metrics" {
			f.t.Errorf("GET /2/tweets: tweet.fields %q", r.URL.Query().Get("tweet.fields"))
		}
		var data []any
		for _, id := range strings.Split(r.URL.Query().Get("ids"), ",") {
			data = append(data, map[string]any{"id": id, "text": "…", "public_metrics": map[string]int{
				"like_count": 4, "retweet_count": 2, "reply_count": 1, "quote_count": 0, "bookmark_count": 0, "impression_count": 90}})
		}
		publishertest.WriteJSON(w, 200, map[string]any{"data": data})
		return
	}
	serveX(f, w, r, body)
}

// X bills each read: a channel reads no numbers until it sets stats=on, and
// the report says why instead of showing zeros; then they are read.
func TestXStatsBilledOffUntilEnabled(t *testing.T) {
	nc := xCase()
	nc.serve = serveXStats
	env := newE2E(t, nc)
	env.cli("post", "new", "--slug", "hello", "--body", "Hello", "--channel", env.channel,
		"--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	if rep, code := env.publish(nil); code != exitOK || rep.Published != 1 {
		t.Fatalf("publish --due: exit %d, %+v", code, rep)
	}

	later := time.Now().Add(2 * time.Hour)
	code, out, errOut := env.exec(&later, "stats", "collect", "-o", "json")
	var run scheduler.StatsRun
	if err := json.Unmarshal([]byte(out), &run); code != exitOK || err != nil {
		t.Fatalf("stats collect: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if run.Due != 0 || run.Recorded != 0 {
		t.Errorf("stats off: %+v, want nothing due on %s", run, env.channel)
	}
	if n := len(env.fake.calls("GET", "/2/tweets")); n != 0 {
		t.Errorf("stats off, yet X was read %d times (each read is billed)", n)
	}
	_, out, _ = env.exec(&later, "report")
	for _, want := range []string{"acme-x", "no numbers from this channel (see below)", "No numbers from acme-x: X bills each read of a post's numbers: set stats=on"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var rep report.Report
	env.cliJSON(&rep, "report")
	if len(rep.NoNumbers) != 1 || !strings.Contains(rep.Why[env.channel], "stats=on") || rep.Posts[0].State != report.StateNoNumbers {
		t.Errorf("report -o json: no numbers from %v, why %v, state %q", rep.NoNumbers, rep.Why, rep.Posts[0].State)
	}

	if code, _, errOut := env.exec(nil, "channel", "edit", env.channel, "--set", "stats=maybe"); code != 3 || !strings.Contains(errOut, "setting stats") {
		t.Errorf("stats=maybe: exit %d, %s", code, errOut)
	}
	env.cli("channel", "edit", env.channel, "--set", "stats=on")
	if code, out, errOut := env.exec(&later, "stats", "collect"); code != exitOK || !strings.Contains(out, "Read 1 of 1 readings due.") {
		t.Fatalf("stats collect, stats=on: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(env.fake.calls("GET", "/2/tweets")); n != 1 {
		t.Errorf("%d reads of X, want 1", n)
	}
	var on report.Report // a new value: JSON leaves out what is empty
	env.cliJSON(&on, "report")
	if on.Total.WithNumbers != 1 || on.Total.Engagement != 7 || on.Total.Metrics["views"] != 90 || len(on.NoNumbers) != 0 {
		t.Errorf("report with stats=on: %+v, no numbers from %v", on.Total, on.NoNumbers)
	}
}
