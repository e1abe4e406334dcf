package bluesky

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers"
)

// pdsConn is the connection file scripts/pds.sh writes.
type pdsConn struct {
	URL      string `json:"url"`
	Handle   string `json:"handle"`
	Password string `json:"password"`
	DID      string `json:"did"`
}

const startPDS = "start one with: scripts/pds.sh install && scripts/pds.sh start, " +
	"then CRIEUR_PDS=${TMPDIR:-/tmp}/crieur-pds.json go test ./publishers/bluesky/"

// livePDS returns the local PDS named by CRIEUR_PDS, or skips the test.
func livePDS(t *testing.T) pdsConn {
	t.Helper()
	path := os.Getenv("CRIEUR_PDS")
	if path == "" {
		testsvc.RequireService(t, "the Bluesky PDS", "CRIEUR_PDS is not set; "+startPDS)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		testsvc.RequireService(t, "the Bluesky PDS", fmt.Sprintf("cannot read CRIEUR_PDS=%s (%v); %s", path, err, startPDS))
	}
	var c pdsConn
	if err := json.Unmarshal(data, &c); err != nil || c.URL == "" || c.Handle == "" || c.Password == "" {
		t.Fatalf("CRIEUR_PDS=%s is not a connection file from scripts/pds.sh: %v", path, err)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		t.Fatalf("CRIEUR_PDS names %q: the end-to-end test only talks to a PDS on loopback", c.URL)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(c.URL + "/xrpc/_health")
	if err != nil {
		testsvc.RequireService(t, "the Bluesky PDS", fmt.Sprintf("the PDS at %s does not answer (%v); %s", c.URL, err, startPDS))
	}
	resp.Body.Close()
	return c
}

func livePublisher(t *testing.T, c pdsConn) *Publisher {
	t.Helper()
	p, err := New(publishers.Config{
		Channel:  "e2e",
		Settings: map[string]string{"handle": c.Handle, "pds": c.URL, "langs": "fr,en"},
		Secrets:  map[string]string{"app_password": c.Password},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// liveRecord is a record as com.atproto.repo.getRecord / listRecords return it.
type liveRecord struct {
	URI   string `json:"uri"`
	CID   string `json:"cid"`
	Value struct {
		Text   string `json:"text"`
		Langs  []string
		Facets []struct {
			Index    struct{ ByteStart, ByteEnd int } `json:"index"`
			Features []map[string]string              `json:"features"`
		} `json:"facets"`
		Embed struct {
			Type   string `json:"$type"`
			Images []struct {
				Alt   string `json:"alt"`
				Image struct {
					MimeType string `json:"mimeType"`
					Size     int    `json:"size"`
				} `json:"image"`
			} `json:"images"`
		} `json:"embed"`
		Reply *struct{ Root, Parent struct{ URI, CID string } } `json:"reply"`
	} `json:"value"`
}

// listPosts returns every post of the account (the test account holds few).
func listPosts(t *testing.T, c pdsConn) []liveRecord {
	t.Helper()
	var all []liveRecord
	cursor := ""
	for {
		q := url.Values{"repo": {c.DID}, "collection": {postCollection}, "limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Records []liveRecord `json:"records"`
			Cursor  string       `json:"cursor"`
		}
		getJSON(t, c.URL+"/xrpc/com.atproto.repo.listRecords?"+q.Encode(), &page)
		all = append(all, page.Records...)
		if page.Cursor == "" || len(page.Records) == 0 {
			return all
		}
		cursor = page.Cursor
	}
}

func getJSON(t *testing.T, u string, out any) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func byURI(records []liveRecord) map[string]liveRecord {
	m := map[string]liveRecord{}
	for _, r := range records {
		m[r.URI] = r
	}
	return m
}

func TestE2E(t *testing.T) {
	c := livePDS(t)
	ctx := context.Background()
	pub := livePublisher(t, c)
	run := fmt.Sprintf("e2e-%d", time.Now().UnixNano()) // the PDS outlives a test run

	t.Run("check", func(t *testing.T) {
		got, err := pub.Check(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("authenticated as %s (%s)", c.Handle, c.DID); got != want {
			t.Errorf("Check = %q, want %q", got, want)
		}
	})

	t.Run("link and image", func(t *testing.T) {
		text := "Café ☕ déjà 👩‍👩‍👧 #crieur via @" + c.Handle + " https://example.com/café?utm_source=crieur"
		post := publishers.Post{
			IdempotencyKey: run + "-image",
			Text:           text,
			Link:           "https://example.com/café?utm_source=crieur",
			Media:          []publishers.Media{{Path: pngFile(t, t.TempDir(), "chart.png", 64, 48), Alt: "Un graphique qui monte"}},
		}
		res, err := pub.Publish(ctx, post)
		if err != nil {
			t.Fatal(err)
		}
		rkey := recordKey(post.IdempotencyKey, 0)
		if res.RemoteID != "at://"+c.DID+"/app.bsky.feed.post/"+rkey || res.RemoteURL != "https://bsky.app/profile/"+c.Handle+"/post/"+rkey {
			t.Errorf("result %+v", res)
		}
		var rec liveRecord
		getJSON(t, c.URL+"/xrpc/com.atproto.repo.getRecord?"+url.Values{"repo": {c.DID}, "collection": {postCollection}, "rkey": {rkey}}.Encode(), &rec)
		if rec.Value.Text != text || strings.Join(rec.Value.Langs, ",") != "fr,en" {
			t.Errorf("stored text %q langs %v", rec.Value.Text, rec.Value.Langs)
		}
		want := map[string]string{ // covered text → feature
			"#crieur":      "app.bsky.richtext.facet#tag",
			"@" + c.Handle: "app.bsky.richtext.facet#mention",
			post.Link:      "app.bsky.richtext.facet#link",
		}
		if len(rec.Value.Facets) != len(want) {
			t.Errorf("%d facets, want %d", len(rec.Value.Facets), len(want))
		}
		for _, f := range rec.Value.Facets {
			covered := text[f.Index.ByteStart:f.Index.ByteEnd]
			if want[covered] != f.Features[0]["$type"] {
				t.Errorf("facet %s covers %q", f.Features[0]["$type"], covered)
			}
			if f.Features[0]["$type"] == "app.bsky.richtext.facet#mention" && f.Features[0]["did"] != c.DID {
				t.Errorf("mention resolved to %q, want %q", f.Features[0]["did"], c.DID)
			}
		}
		imgs := rec.Value.Embed.Images
		if rec.Value.Embed.Type != "app.bsky.embed.images" || len(imgs) != 1 || imgs[0].Alt != "Un graphique qui monte" || imgs[0].Image.MimeType != "image/png" || imgs[0].Image.Size == 0 {
			t.Errorf("embed %+v", rec.Value.Embed)
		}
	})

	threadPost := publishers.Post{
		IdempotencyKey: run + "-thread",
		Text:           "Un fil en trois parties 🧵",
		Thread:         []string{"Deuxième partie", "Troisième et dernière partie #fin"},
	}
	var threadResult publishers.Result
	t.Run("thread", func(t *testing.T) {
		var err error
		threadResult, err = pub.Publish(ctx, threadPost)
		if err != nil {
			t.Fatal(err)
		}
		recs := byURI(listPosts(t, c))
		var prev liveRecord
		for i := range 3 {
			uri := "at://" + c.DID + "/app.bsky.feed.post/" + recordKey(threadPost.IdempotencyKey, i)
			r, ok := recs[uri]
			if !ok {
				t.Fatalf("part %d (%s) not in the repo", i+1, uri)
			}
			if i == 0 {
				if r.Value.Reply != nil || r.URI != threadResult.RemoteID {
					t.Errorf("first part %+v", r)
				}
			} else if r.Value.Reply == nil || r.Value.Reply.Root.URI != threadResult.RemoteID || r.Value.Reply.Parent.URI != prev.URI || r.Value.Reply.Parent.CID != prev.CID {
				t.Errorf("part %d reply %+v, want root %s parent %s", i+1, r.Value.Reply, threadResult.RemoteID, prev.URI)
			}
			prev = r
		}
	})

	t.Run("retry posts nothing twice", func(t *testing.T) {
		before := len(listPosts(t, c))
		// A new publisher, as after a restart: no memory of the first attempt.
		restarted := livePublisher(t, c)
		found, ok, err := restarted.Find(ctx, threadPost)
		if err != nil || !ok || found.RemoteID != threadResult.RemoteID {
			t.Fatalf("Find = %+v, %v, %v; want %s", found, ok, err, threadResult.RemoteID)
		}
		// Publish alone (no Find first): each create on an existing key is
		// refused by the PDS with a 500, then looked up.
		again, log := livePublisher(t, c), &statusLog{}
		again.http = &http.Client{Timeout: 30 * time.Second, Transport: log}
		res, err := again.Publish(ctx, threadPost)
		if err != nil {
			t.Fatal(err)
		}
		if got := log.String(); !strings.Contains(got, "com.atproto.repo.createRecord 500, com.atproto.repo.getRecord 200") {
			t.Errorf("calls of the retry: %s", got)
		}
		if res.RemoteID != threadResult.RemoteID {
			t.Errorf("retry returned %s, want %s", res.RemoteID, threadResult.RemoteID)
		}
		if after := len(listPosts(t, c)); after != before {
			t.Errorf("the retry changed the post count from %d to %d", before, after)
		}
	})

	t.Run("long text split", func(t *testing.T) {
		long := strings.Repeat("Une phrase assez longue pour remplir le fil, avec des accents é à ç. ", 10)
		res, err := pub.Publish(ctx, publishers.Post{IdempotencyKey: run + "-long", Text: long})
		if err != nil {
			t.Fatal(err)
		}
		recs := byURI(listPosts(t, c))
		n := len(parts(publishers.Post{Text: long}))
		last, ok := recs["at://"+c.DID+"/app.bsky.feed.post/"+recordKey(run+"-long", n-1)]
		if n < 3 || !ok || last.Value.Reply.Root.URI != res.RemoteID || !strings.HasSuffix(last.Value.Text, fmt.Sprintf(" %d/%d", n, n)) {
			t.Errorf("split into %d parts; last part %+v", n, last)
		}
	})

	t.Run("too long refused before posting", func(t *testing.T) {
		before := len(listPosts(t, c))
		post := publishers.Post{IdempotencyKey: run + "-long-part", Text: strings.Repeat("é", 301), Thread: []string{"suite"}}
		probs := pub.Validate(post)
		if len(probs) != 1 || probs[0].Field != "text" || !strings.Contains(probs[0].Message, "301/300 graphemes") {
			t.Errorf("Validate = %v", probs)
		}
		if _, err := pub.Publish(ctx, post); err == nil {
			t.Errorf("Publish accepted a part of 301 graphemes")
		}
		if after := len(listPosts(t, c)); after != before {
			t.Errorf("post count went from %d to %d", before, after)
		}
	})

	t.Run("wrong password is auth", func(t *testing.T) {
		bad := livePublisher(t, pdsConn{URL: c.URL, Handle: c.Handle, Password: "not-the-password"})
		_, err := bad.Check(ctx)
		if class, _ := publishers.Classify(err); err == nil || class != publishers.Auth {
			t.Errorf("Check with a wrong password: %v, want auth", err)
		}
		if err != nil && strings.Contains(err.Error(), "not-the-password") {
			t.Errorf("error shows the password")
		}
	})
}

// statusLog records "nsid status" for each call it carries.
type statusLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *statusLog) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		l.mu.Lock()
		l.calls = append(l.calls, fmt.Sprintf("%s %d", strings.TrimPrefix(r.URL.Path, "/xrpc/"), resp.StatusCode))
		l.mu.Unlock()
	}
	return resp, err
}

func (l *statusLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.calls, ", ")
}
