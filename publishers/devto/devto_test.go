package devto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const apiKey = "k3yS3cr3tValue"

func config(api string) publishers.Config {
	return publishers.Config{
		Channel:  "dev",
		Settings: map[string]string{"api": api + "/"},
		Secrets:  map[string]string{"api_key": apiKey},
		Now:      func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
	}
}

func samplePost() publishers.Post {
	return publishers.Post{
		DeliveryID: 1,
		Slug:       "launch-day",
		Title:      "Launch day",
		Text:       "We **ship** today.",
		Markdown:   true,
		Link:       "https://example.com/launch?utm_campaign=launch&utm_source=devto",
		Media:      []publishers.Media{{Path: "https://example.com/cover.png", Alt: "A red door"}},
		Tags:       []string{"Go", "#Release", "go"},
		Excerpt:    "We ship.",
		Canonical:  "https://example.com/launch",
	}
}

// checkHeaders checks what every Forem API v1 request carries.
func checkHeaders(t *testing.T, r *http.Request) bool {
	t.Helper()
	if got := r.Header.Get("Accept"); got != "application/vnd.forem.api-v1+json" {
		t.Errorf("%s %s: Accept = %q, want the v1 media type", r.Method, r.URL.Path, got)
	}
	if got := r.Header.Get("api-key"); got != apiKey {
		t.Errorf("%s %s: api-key header missing or wrong", r.Method, r.URL.Path)
		return false
	}
	return true
}

// fakeForem checks article creation as the API documents it.
type fakeForem struct {
	t        *testing.T
	articles []map[string]any
}

func (f *fakeForem) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if !checkHeaders(t, r) {
		publishertest.WriteJSON(w, 401, map[string]any{"error": "unauthorized", "status": 401})
		return
	}
	if r.Method == "GET" && r.URL.Path == "/api/articles/me/all" {
		list := []any{}
		for _, a := range f.articles {
			list = append(list, map[string]any{"id": 1234, "title": a["title"], "url": "https://dev.to/ed/launch-day-4k2p",
				"canonical_url": a["canonical_url"], "body_markdown": a["body_markdown"], "published_at": "2026-11-25T10:00:03Z"})
		}
		publishertest.WriteJSON(w, 200, list)
		return
	}
	if r.Method != "POST" || r.URL.Path != "/api/articles" {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		publishertest.WriteJSON(w, 404, map[string]any{"error": "not found", "status": 404})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body map[string]map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body) != 1 || body["article"] == nil {
		t.Errorf("body is not {article: {...}}: %v %v", body, err)
		publishertest.WriteJSON(w, 422, map[string]any{"error": "param is missing or the value is empty: article", "status": 422})
		return
	}
	f.articles = append(f.articles, body["article"])
	publishertest.WriteJSON(w, 201, map[string]any{"id": 1234, "title": body["article"]["title"], "url": "https://dev.to/ed/launch-day-4k2p",
		"published": body["article"]["published"], "published_at": "2026-11-25T10:00:03Z"})
}

func (f *fakeForem) checkArticle(t *testing.T, want map[string]any) {
	if len(f.articles) != 1 {
		t.Fatalf("%d articles created, want 1", len(f.articles))
	}
	if got := f.articles[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("article = %v,\nwant %v", got, want)
	}
}

var sampleWant = map[string]any{
	"title": "Launch day", "body_markdown": "We **ship** today.\n\nhttps://example.com/launch?utm_campaign=launch&utm_source=devto", "published": true,
	"tags": "go, release", "canonical_url": "https://example.com/launch", "description": "We ship.",
	"main_image": "https://example.com/cover.png",
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network: "devto",
		Handler: func(t *testing.T) http.Handler {
			f := &fakeForem{t: t}
			t.Cleanup(func() {
				if !t.Failed() && len(f.articles) > 0 {
					f.checkArticle(t, sampleWant)
				}
			})
			return f
		},
		Configure: config,
		Post:      samplePost(),
		Titles:    true,
		// Forem's main_image has no alt text.
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, a := range h.(*fakeForem).articles {
				got := publishertest.Arrived{}
				got.Text, _ = a["body_markdown"].(string)
				got.Title, _ = a["title"].(string)
				if img, ok := a["main_image"].(string); ok {
					got.Media = append(got.Media, publishertest.Media{Name: img})
				}
				out = append(out, got)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			want := publishers.Result{RemoteID: "1234", RemoteURL: "https://dev.to/ed/launch-day-4k2p", PublishedAt: time.Date(2026, 11, 25, 10, 0, 3, 0, time.UTC)}
			if r != want {
				t.Errorf("result = %+v, want %+v", r, want)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "30"}, Body: `{"error":"Rate limit reached, try again in 30 seconds","status":429}`},
		RateLimitWait: 30 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"error":"unauthorized","status":401}`},
		Invalid:       publishertest.Fault{Status: 422, Body: `{"error":"Canonical url has already been taken","status":422}`},
		InvalidText:   "Canonical url has already been taken",
	})
}

func newPublisher(t *testing.T, h http.Handler, settings map[string]string) *Publisher {
	t.Helper()
	return publishertest.Start(t, h, New, config, settings).(*Publisher)
}

func TestDraftIsSentExplicitly(t *testing.T) {
	f := &fakeForem{t: t}
	p := newPublisher(t, f, map[string]string{"published": "false"})
	if _, err := p.Publish(context.Background(), publishers.Post{Title: "T", Text: "body"}); err != nil {
		t.Fatal(err)
	}
	f.checkArticle(t, map[string]any{"title": "T", "body_markdown": "body", "published": false})
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		key      string
		wantAPI  string
		wantErr  string
	}{
		{"defaults", nil, "k", "https://dev.to/api", ""},
		{"own forem", map[string]string{"api": "https://forem.example/api/"}, "k", "https://forem.example/api", ""},
		{"no key", nil, "", "", "secret api_key"},
		{"bad published", map[string]string{"published": "maybe"}, "k", "", "true or false"},
		{"bad api", map[string]string{"api": "dev.to"}, "k", "", "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Settings: c.settings, Secrets: map[string]string{"api_key": c.key}})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || p.(*Publisher).api != c.wantAPI {
				t.Fatalf("New = %v, %v; want api %q", p, err, c.wantAPI)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := publishers.Post{Title: "T", Text: "body", Tags: []string{"Go", "#webdev"}, Media: []publishers.Media{{Path: "https://x.example/c.png"}}}
	p, err := New(config("https://dev.to"))
	if err != nil {
		t.Fatal(err)
	}
	publishertest.CheckValidate(t, p, ok, []publishertest.ValidateCase{
		{Name: "valid", Change: func(*publishers.Post) {}},
		{Name: "no title", Change: func(p *publishers.Post) { p.Title = " " }, Fields: []string{"title"}},
		{Name: "long title", Change: func(p *publishers.Post) { p.Title = strings.Repeat("t", 129) }, Fields: []string{"title"}},
		{Name: "empty body", Change: func(p *publishers.Post) { p.Text = "" }, Fields: []string{"text"}},
		{Name: "five tags", Change: func(p *publishers.Post) { p.Tags = []string{"a", "b", "c", "d", "e"} }, Fields: []string{"tags"}},
		{Name: "repeated tags count once", Change: func(p *publishers.Post) { p.Tags = []string{"a", "A", "#a", "b", "c", "d"} }},
		{Name: "invalid tags", Change: func(p *publishers.Post) { p.Tags = []string{"web-dev", "c++", "ok", "é"} }, Fields: []string{"tags[0]", "tags[1]", "tags[3]"}},
		{Name: "long tag", Change: func(p *publishers.Post) { p.Tags = []string{strings.Repeat("a", 31)} }, Fields: []string{"tags[0]"}},
		{Name: "local image", Change: func(p *publishers.Post) { p.Media[0].Path = "/home/ed/cover.png" }, Fields: []string{"media[0]"}},
		{Name: "two images", Change: func(p *publishers.Post) { p.Media = append(p.Media, p.Media[0]) }, Fields: []string{"media"}},
		{Name: "bad canonical", Change: func(p *publishers.Post) { p.Canonical = "ftp://x" }, Fields: []string{"canonical"}},
	})
}

func TestPublishRefusesLocalImageWithoutCalling(t *testing.T) {
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	}), nil)
	_, err := p.Publish(context.Background(), publishers.Post{Title: "T", Text: "x", Media: []publishers.Media{{Path: "cover.png"}}})
	if c, _ := publishers.Classify(err); err == nil || c != publishers.Permanent || !strings.Contains(err.Error(), "by URL only") {
		t.Fatalf("err = %v, want a permanent error about the image", err)
	}
}

// listing serves /api/articles/me/all from a list of articles, in pages.
func listing(t *testing.T, all []article, pages *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkHeaders(t, r)
		q := r.URL.Query()
		page, _ := strconv.Atoi(q.Get("page"))
		per, _ := strconv.Atoi(q.Get("per_page"))
		if r.Method != "GET" || r.URL.Path != "/api/articles/me/all" || page < 1 || per != 1000 {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			return
		}
		*pages++
		lo, hi := min((page-1)*per, len(all)), min(page*per, len(all))
		publishertest.WriteJSON(w, 200, all[lo:hi])
	})
}

func TestFind(t *testing.T) {
	filler := make([]article, 1000)
	for i := range filler {
		filler[i] = article{ID: int64(i + 1), Title: fmt.Sprintf("Post %d", i), BodyMarkdown: "x", CanonicalURL: fmt.Sprintf("https://dev.to/ed/post-%d", i)}
	}
	ours := article{ID: 5000, Title: "Launch day", BodyMarkdown: "We ship.\r\n\r\nhttps://example.com/launch\n", URL: "https://dev.to/ed/launch-day-4k2p",
		CanonicalURL: "https://dev.to/ed/launch-day-4k2p", PublishedAt: "2026-11-25T09:00:00Z"}
	post := publishers.Post{Title: "Launch day", Text: "We ship.", Markdown: true, Link: "https://example.com/launch"}
	withCanonical := post
	withCanonical.Canonical = "https://example.com/launch"
	sameTitle := ours
	sameTitle.BodyMarkdown = "Another week, another launch."
	cases := []struct {
		name      string
		post      publishers.Post
		all       []article
		wantFound bool
		wantPages int
	}{
		{"none", post, nil, false, 1},
		{"on the second page", post, append(append([]article(nil), filler...), ours), true, 2},
		{"same title, other body", post, []article{sameTitle}, false, 1},
		{"by canonical", withCanonical, []article{{ID: 5000, Title: "Renamed", CanonicalURL: "https://example.com/launch", URL: "https://dev.to/ed/launch-day-4k2p", PublishedAt: "2026-11-25T09:00:00Z"}}, true, 1},
		{"canonical differs", withCanonical, []article{ours}, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var pages int
			p := newPublisher(t, listing(t, c.all, &pages), nil)
			res, found, err := p.Find(context.Background(), c.post)
			if err != nil || found != c.wantFound || pages != c.wantPages {
				t.Fatalf("found = %v, err = %v after %d pages; want %v after %d", found, err, pages, c.wantFound, c.wantPages)
			}
			if found {
				want := publishers.Result{RemoteID: "5000", RemoteURL: "https://dev.to/ed/launch-day-4k2p", PublishedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
				if res != want {
					t.Errorf("result = %+v, want %+v", res, want)
				}
			}
		})
	}
}

func TestCheck(t *testing.T) {
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		checkHeaders(t, r)
		if r.Method != "GET" || r.URL.Path != "/api/users/me" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		publishertest.WriteJSON(w, 200, map[string]any{"type_of": "user", "id": 7, "username": "ed", "name": "Ed Itor"})
	}), nil)
	got, err := p.Check(context.Background())
	if err != nil || got != "authenticated as @ed (Ed Itor)" {
		t.Fatalf("Check = %q, %v", got, err)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	cases := []struct {
		status int
		header map[string]string
		body   string
		class  publishers.Class
		text   string
	}{
		{401, nil, `{"error":"unauthorized","status":401}`, publishers.Auth, "unauthorized"},
		{422, nil, `{"error":"Body markdown has already been taken","status":422}`, publishers.Permanent, "Body markdown has already been taken"},
		{429, map[string]string{"Retry-After": "12"}, `{"error":"Rate limit reached","status":429}`, publishers.RateLimited, "Rate limit reached"},
		{503, nil, `<html>unavailable</html>`, publishers.Transient, "Service Unavailable"},
	}
	for _, c := range cases {
		t.Run(strconv.Itoa(c.status), func(t *testing.T) {
			p := newPublisher(t, publishertest.Reply(c.status, c.header, c.body), nil)
			_, err := p.Publish(context.Background(), publishers.Post{Title: "T", Text: "x"})
			var pe *publishers.Error
			if !errors.As(err, &pe) || pe.Class != c.class || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("err = %v, want %v carrying %q", err, c.class, c.text)
			}
			if c.class == publishers.RateLimited && pe.RetryAfter != 12*time.Second {
				t.Errorf("wait = %v, want 12s", pe.RetryAfter)
			}
			if strings.Contains(err.Error(), apiKey) {
				t.Errorf("error shows the API key")
			}
		})
	}
}

func TestBodyMarkdown(t *testing.T) {
	cases := []struct {
		name string
		post publishers.Post
		want string
	}{
		{"markdown kept", publishers.Post{Text: "# Hi\n\n*there*", Markdown: true}, "# Hi\n\n*there*"},
		{"link appended", publishers.Post{Text: "Hi", Markdown: true, Link: "https://x.example"}, "Hi\n\nhttps://x.example"},
		{"link already there", publishers.Post{Text: "see https://x.example", Markdown: true, Link: "https://x.example"}, "see https://x.example"},
		{"plain text escaped", publishers.Post{Text: "# not a heading\n- not a list\n1. nor this\n\n*a* <b> & https://x.example/a_b_c"},
			"\\# not a heading  \n\\- not a list  \n1\\. nor this\n\n\\*a\\* \\<b\\> \\& https://x.example/a_b_c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bodyMarkdown(c.post); got != c.want {
				t.Errorf("bodyMarkdown = %q, want %q", got, c.want)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	p, err := New(config("https://dev.to"))
	if err != nil {
		t.Fatal(err)
	}
	pv := p.(publishers.Previewer).Preview(publishers.Post{Title: "T", Text: "a *b* <c>\nd"})
	if want := "<p>a *b* &lt;c&gt;<br>\nd</p>\n"; pv.Extra != want {
		t.Errorf("Extra = %q, want %q", pv.Extra, want)
	}
	if len(pv.Parts) != 1 || pv.Parts[0] != "a \\*b\\* \\<c\\>  \nd" || len(pv.Problems) != 0 {
		t.Errorf("preview = %+v", pv)
	}
}
