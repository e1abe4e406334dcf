package wordpress

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const (
	user     = "editor"
	password = "abcd EFGH ijkl MNOP qrst UVWX"
)

func config(site string) publishers.Config {
	return publishers.Config{
		Channel:  "blog",
		Settings: map[string]string{"site": site + "/", "categories": "News"},
		Secrets:  map[string]string{"user": user, "app_password": password},
		Now:      func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) },
	}
}

func samplePost(t *testing.T) publishers.Post {
	return publishers.Post{
		DeliveryID:     1,
		IdempotencyKey: "d1",
		Slug:           "Launch Day: Crème 2026",
		Title:          "Launch day",
		Text:           "We **ship** today.",
		Markdown:       true,
		Link:           "https://example.com/launch?utm_source=crieur",
		Media:          []publishers.Media{{Path: publishertest.WriteFile(t, "door.png", publishertest.PNG), Alt: "A red door"}},
		Tags:           []string{"Go", "Release Notes", "go"},
		Excerpt:        "We ship.",
	}
}

// fakeWP checks each request as the REST API reference documents it and
// answers as WordPress does.
type fakeWP struct {
	t *testing.T
	// terms per kind ("tags", "categories"), name by id.
	terms  map[string]map[int64]string
	nextID int64
	posts  []map[string]any
	ids    []int64          // the posts' ids
	media  map[int64]string // alt text by media id
}

func newFake(t *testing.T) *fakeWP {
	return &fakeWP{
		t: t,
		terms: map[string]map[int64]string{
			"tags":       {3: "Release Notes", 4: "Golang"},
			"categories": {5: "News"},
		},
		nextID: 100,
		media:  map[int64]string{},
	}
}

func (f *fakeWP) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if got, want := r.Header.Get("Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+password)); got != want {
		t.Errorf("%s %s: Authorization = %q, want HTTP Basic with the application password", r.Method, r.URL.Path, got)
		writeErr(w, 401, "incorrect_password", "The provided password is an invalid application password.")
		return
	}
	const api = "/wp-json/wp/v2/"
	if !strings.HasPrefix(r.URL.Path, api) {
		t.Errorf("unexpected path %s", r.URL.Path)
		writeErr(w, 404, "rest_no_route", "No route was found matching the URL and request method.")
		return
	}
	route := strings.TrimPrefix(r.URL.Path, api)
	switch {
	case r.Method == "GET" && (route == "tags" || route == "categories"):
		f.searchTerms(w, r, route)
	case r.Method == "POST" && (route == "tags" || route == "categories"):
		f.createTerm(w, r, route)
	case r.Method == "POST" && route == "media":
		f.upload(w, r)
	case r.Method == "POST" && strings.HasPrefix(route, "media/"):
		f.setAlt(w, r, strings.TrimPrefix(route, "media/"))
	case r.Method == "POST" && route == "posts":
		f.createPost(w, r)
	case r.Method == "GET" && route == "posts":
		found := []any{}
		for i, p := range f.posts {
			if p["slug"] == r.URL.Query().Get("slug") {
				found = append(found, map[string]any{"id": f.ids[i], "slug": p["slug"], "status": p["status"],
					"title": map[string]any{"raw": p["title"]}, "date_gmt": "2026-11-25T10:00:02",
					"link": "https://blog.example/" + p["slug"].(string) + "/"})
			}
		}
		publishertest.WriteJSON(w, 200, found)
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		writeErr(w, 404, "rest_no_route", "No route was found matching the URL and request method.")
	}
}

func (f *fakeWP) searchTerms(w http.ResponseWriter, r *http.Request, kind string) {
	q := r.URL.Query()
	if q.Get("search") == "" || q.Get("per_page") != "100" {
		f.t.Errorf("GET %s query = %v, want search and per_page=100", kind, q)
	}
	out := []map[string]any{}
	for id, name := range f.terms[kind] {
		if strings.Contains(strings.ToLower(name), strings.ToLower(q.Get("search"))) {
			out = append(out, map[string]any{"id": id, "name": strings.ReplaceAll(name, "&", "&amp;")})
		}
	}
	publishertest.WriteJSON(w, 200, out)
}

func (f *fakeWP) createTerm(w http.ResponseWriter, r *http.Request, kind string) {
	var body map[string]any
	f.decode(r, &body)
	name, _ := body["name"].(string)
	if len(body) != 1 || name == "" {
		f.t.Errorf("POST %s body = %v, want {name}", kind, body)
	}
	for id, n := range f.terms[kind] {
		if strings.EqualFold(n, name) {
			publishertest.WriteJSON(w, 400, map[string]any{"code": "term_exists", "message": "A term with the name provided already exists in this taxonomy.",
				"data": map[string]any{"status": 400, "term_id": id}})
			return
		}
	}
	f.nextID++
	f.terms[kind][f.nextID] = name
	publishertest.WriteJSON(w, 201, map[string]any{"id": f.nextID, "name": name})
}

func (f *fakeWP) upload(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if got := r.Header.Get("Content-Type"); got != "image/png" {
		t.Errorf("media Content-Type = %q, want image/png", got)
	}
	if got := r.Header.Get("Content-Disposition"); got != "attachment; filename=door.png" {
		t.Errorf("media Content-Disposition = %q", got)
	}
	data, _ := io.ReadAll(r.Body)
	if string(data) != publishertest.PNG {
		t.Errorf("media body is %d bytes, want the file's %d", len(data), len(publishertest.PNG))
	}
	f.nextID++
	f.media[f.nextID] = ""
	publishertest.WriteJSON(w, 201, map[string]any{"id": f.nextID, "source_url": "https://blog.example/wp-content/uploads/door.png"})
}

func (f *fakeWP) setAlt(w http.ResponseWriter, r *http.Request, id string) {
	var body map[string]string
	f.decode(r, &body)
	var n int64
	if err := json.Unmarshal([]byte(id), &n); err != nil {
		f.t.Errorf("media id %q", id)
	}
	if _, ok := f.media[n]; !ok || len(body) != 1 || body["alt_text"] == "" {
		f.t.Errorf("POST media/%s body = %v, want {alt_text} for an uploaded media", id, body)
	}
	f.media[n] = body["alt_text"]
	publishertest.WriteJSON(w, 200, map[string]any{"id": n, "alt_text": body["alt_text"]})
}

func (f *fakeWP) createPost(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	f.decode(r, &body)
	f.posts = append(f.posts, body)
	f.nextID++
	f.ids = append(f.ids, f.nextID)
	publishertest.WriteJSON(w, 201, map[string]any{
		"id": f.nextID, "slug": body["slug"], "status": body["status"], "date_gmt": "2026-11-25T10:00:02",
		"link": "https://blog.example/" + body["slug"].(string) + "/",
	})
}

func (f *fakeWP) decode(r *http.Request, v any) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s %s Content-Type = %q, want application/json", r.Method, r.URL.Path, ct)
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		f.t.Errorf("%s %s: body is not JSON: %v", r.Method, r.URL.Path, err)
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	publishertest.WriteJSON(w, status, map[string]any{"code": code, "message": msg, "data": map[string]any{"status": status}})
}

// checkPost checks the post body the fake received for samplePost.
func (f *fakeWP) checkPost(t *testing.T) {
	if len(f.posts) != 1 {
		t.Fatalf("%d posts created, want 1", len(f.posts))
	}
	got := f.posts[0]
	want := map[string]any{
		"title": "Launch day", "status": "publish", "slug": "launch-day-creme-2026", "excerpt": "We ship.",
		"tags": []any{101.0, 3.0}, "categories": []any{5.0}, "featured_media": 102.0,
	}
	content, _ := got["content"].(string)
	delete(got, "content")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("post body = %v,\nwant %v", got, want)
	}
	for _, s := range []string{"<strong>ship</strong>", `<a href="https://example.com/launch?utm_source=crieur">`} {
		if !strings.Contains(content, s) {
			t.Errorf("content %q lacks %q", content, s)
		}
	}
	if f.media[102] != "A red door" {
		t.Errorf("featured image alt = %q", f.media[102])
	}
}

func TestConformance(t *testing.T) {
	post := samplePost(t)
	publishertest.Run(t, publishertest.Suite{
		Network: "wordpress",
		Handler: func(t *testing.T) http.Handler {
			f := newFake(t)
			t.Cleanup(func() {
				if !t.Failed() && len(f.posts) > 0 {
					f.checkPost(t)
				}
			})
			return f
		},
		Configure: config,
		Post:      post,
		Titles:    true,
		Alt:       true,
		Received: func(h http.Handler) []publishertest.Arrived {
			f := h.(*fakeWP)
			var out []publishertest.Arrived
			for _, p := range f.posts {
				a := publishertest.Arrived{}
				a.Text, _ = p["content"].(string)
				a.Title, _ = p["title"].(string)
				if id, ok := p["featured_media"].(float64); ok {
					a.Media = append(a.Media, publishertest.Media{Name: fmt.Sprint(int64(id)), Alt: f.media[int64(id)]})
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			want := publishers.Result{RemoteID: "103", RemoteURL: "https://blog.example/launch-day-creme-2026/",
				PublishedAt: time.Date(2026, 11, 25, 10, 0, 2, 0, time.UTC)}
			if r != want {
				t.Errorf("result = %+v, want %+v", r, want)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "30"}},
		RateLimitWait: 30 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"code":"incorrect_password","message":"The provided password is an invalid application password.","data":{"status":401}}`},
		Invalid: publishertest.Fault{Status: 400,
			Body: `{"code":"rest_invalid_param","message":"Invalid parameter(s): status","data":{"status":400,"params":{"status":"status is not one of publish, future."}}}`},
		InvalidText: "Invalid parameter(s): status",
	})
}

func newPublisher(t *testing.T, h http.Handler) *Publisher {
	t.Helper()
	return publishertest.Start(t, h, New, config, nil).(*Publisher)
}

func TestPublishSendsEveryField(t *testing.T) {
	f := newFake(t)
	p := newPublisher(t, f)
	if _, err := p.Publish(context.Background(), samplePost(t)); err != nil {
		t.Fatal(err)
	}
	f.checkPost(t)
	if got := f.terms["tags"][101]; got != "Go" {
		t.Errorf("created tag = %q, want Go (once, though the post names it twice)", got)
	}
}

func TestTermExistsIsReused(t *testing.T) {
	// The search misses the term (WordPress's search and name matching
	// differ), so the adapter creates it and WordPress says it exists.
	var created int
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case "GET":
			publishertest.WriteJSON(w, 200, []any{})
		case "POST":
			created++
			publishertest.WriteJSON(w, 400, map[string]any{"code": "term_exists", "message": "A term with the name provided already exists in this taxonomy.",
				"data": map[string]any{"status": 400, "term_id": 12}})
		}
	}))
	ids, err := p.termIDs(context.Background(), "tags", []string{"Café"})
	if err != nil || !reflect.DeepEqual(ids, []int64{12}) || created != 1 {
		t.Fatalf("ids = %v, err = %v, creates = %d; want [12], nil, 1", ids, err, created)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		wantErr  string
	}{
		{"ok", map[string]string{"site": "https://blog.example"}, map[string]string{"user": "u", "app_password": "p"}, ""},
		{"no site", nil, map[string]string{"user": "u", "app_password": "p"}, "setting site"},
		{"no password", map[string]string{"site": "https://blog.example"}, map[string]string{"user": "u"}, "secret app_password"},
		{"not a URL", map[string]string{"site": "blog.example"}, map[string]string{"user": "u", "app_password": "p"}, "not an http(s) URL"},
		{"credentials in URL", map[string]string{"site": "https://u:p@blog.example"}, map[string]string{"user": "u", "app_password": "p"}, "must not carry credentials"},
		{"bad status", map[string]string{"site": "https://blog.example", "status": "future"}, map[string]string{"user": "u", "app_password": "p"}, "status \"future\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Settings: c.settings, Secrets: c.secrets})
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	img := publishertest.WriteFile(t, "a.png", publishertest.PNG)
	text := publishertest.WriteFile(t, "notes.txt", "hello")
	ok := publishers.Post{Slug: "s", Title: "T", Text: "body", Markdown: true, Media: []publishers.Media{{Path: img}}}
	p, err := New(config("https://blog.example"))
	if err != nil {
		t.Fatal(err)
	}
	publishertest.CheckValidate(t, p, ok, []publishertest.ValidateCase{
		{Name: "valid", Change: func(*publishers.Post) {}},
		{Name: "no title", Change: func(p *publishers.Post) { p.Title = "  " }, Fields: []string{"title"}},
		{Name: "empty body", Change: func(p *publishers.Post) { p.Text = "" }, Fields: []string{"text"}},
		{Name: "slug without letters", Change: func(p *publishers.Post) { p.Slug = "–!" }, Fields: []string{"slug"}},
		{Name: "missing file", Change: func(p *publishers.Post) { p.Media[0].Path = img + ".gone" }, Fields: []string{"media[0]"}},
		{Name: "not an image", Change: func(p *publishers.Post) { p.Media[0].Path = text }, Fields: []string{"media[0]"}},
		{Name: "two images", Change: func(p *publishers.Post) { p.Media = append(p.Media, p.Media[0]) }, Fields: []string{"media"}},
		{Name: "empty tag", Change: func(p *publishers.Post) { p.Tags = []string{"a", " "} }, Fields: []string{"tags[1]"}},
	})
}

func TestPublishRefusesInvalidPostWithoutCalling(t *testing.T) {
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	}))
	_, err := p.Publish(context.Background(), publishers.Post{Slug: "s", Text: "body"})
	if c, _ := publishers.Classify(err); err == nil || c != publishers.Permanent || !strings.Contains(err.Error(), "title") {
		t.Fatalf("err = %v, want a permanent error about the title", err)
	}
}

func TestFind(t *testing.T) {
	cases := []struct {
		name      string
		answer    string
		wantFound bool
		wantErr   bool
	}{
		{"none", `[]`, false, false},
		{"ours", `[{"id":9,"slug":"launch-day","link":"https://blog.example/launch-day/","date_gmt":"2026-11-25T09:00:00","title":{"raw":"Launch day","rendered":"Launch day"}}]`, true, false},
		{"slug held by another post", `[{"id":9,"slug":"launch-day","link":"https://blog.example/launch-day/","title":{"raw":"Old news"}}]`, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query()
				if r.Method != "GET" || r.URL.Path != "/wp-json/wp/v2/posts" || q.Get("slug") != "launch-day" ||
					q.Get("status") != "publish,future,draft,pending,private" || q.Get("context") != "edit" {
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
				}
				if _, pw, _ := r.BasicAuth(); pw != password {
					t.Errorf("look-up not authenticated")
				}
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, c.answer)
			}))
			res, found, err := p.Find(context.Background(), publishers.Post{Slug: "Launch day", Title: "Launch day"})
			want := publishers.Result{RemoteID: "9", RemoteURL: "https://blog.example/launch-day/", PublishedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
			publishertest.CheckFind(t, res, found, err, c.wantFound, c.wantErr, want)
		})
	}
}

func TestErrorsAreClassified(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		class  publishers.Class
		text   string
	}{
		{"cannot create", 403, `{"code":"rest_cannot_create","message":"Sorry, you are not allowed to create posts as this user.","data":{"status":403}}`, publishers.Auth, "not allowed to create posts"},
		{"bad password from a proxy", 400, `{"code":"incorrect_password","message":"<strong>Error:</strong> Wrong password &amp; user.","data":{"status":400}}`, publishers.Auth, "Error: Wrong password & user. (incorrect_password)"},
		{"invalid param", 400, `{"code":"rest_invalid_param","message":"Invalid parameter(s): tags","data":{"status":400}}`, publishers.Permanent, "Invalid parameter(s): tags"},
		{"html error page", 502, `<html>Bad gateway</html>`, publishers.Transient, "Bad Gateway"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPublisher(t, publishertest.Reply(c.status, nil, c.body))
			_, err := p.Check(context.Background())
			var pe *publishers.Error
			if !errors.As(err, &pe) || pe.Class != c.class || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("err = %v, want class %v carrying %q", err, c.class, c.text)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "GET" || r.URL.Path != "/wp-json/wp/v2/users/me" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
		}
		if u, pw, _ := r.BasicAuth(); u != user || pw != password {
			t.Errorf("check not authenticated")
		}
		publishertest.WriteJSON(w, 200, map[string]any{"id": 2, "name": "Ed Itor", "slug": "editor"})
	}))
	got, err := p.Check(context.Background())
	if err != nil || got != "authenticated as Ed Itor (user 2)" {
		t.Fatalf("Check = %q, %v", got, err)
	}
}

func TestPreview(t *testing.T) {
	p, err := New(config("https://blog.example"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		post publishers.Post
		want string
	}{
		{"markdown", publishers.Post{Title: "T", Slug: "t", Text: "Hi *there*", Markdown: true, Link: "https://x.example/a"},
			"<p>Hi <em>there</em></p>\n<p><a href=\"https://x.example/a\">https://x.example/a</a></p>\n"},
		{"plain text is escaped", publishers.Post{Title: "T", Slug: "t", Text: "a <b> & *c*\nline two\n\nsee https://x.example/?a=1&b=2."},
			"<p>a &lt;b&gt; &amp; *c*<br>\nline two</p>\n<p>see <a href=\"https://x.example/?a=1&amp;b=2\">https://x.example/?a=1&amp;b=2</a>.</p>\n"},
		{"link already in body", publishers.Post{Title: "T", Slug: "t", Text: "read https://x.example/a", Link: "https://x.example/a"},
			"<p>read <a href=\"https://x.example/a\">https://x.example/a</a></p>\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pv := p.(publishers.Previewer).Preview(c.post)
			if pv.Extra != c.want {
				t.Errorf("Extra = %q,\nwant %q", pv.Extra, c.want)
			}
			if len(pv.Problems) != 0 {
				t.Errorf("problems: %v", pv.Problems)
			}
		})
	}
}
