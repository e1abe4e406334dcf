package ghost

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const (
	keyID     = "6748592f4b9b7700010f6564"
	keySecret = "3f1c2a9be07d4c58a1f6e2d3b4c5a69788f9e0a1b2c3d4e5f60718293a4b5c6d"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func config(site string) publishers.Config {
	return publishers.Config{
		Channel:  "blog",
		Settings: map[string]string{"site": site + "/", "newsletter": "weekly"},
		Secrets:  map[string]string{"admin_key": keyID + ":" + keySecret},
		Now:      func() time.Time { return now },
	}
}

func samplePost(t *testing.T) publishers.Post {
	return publishers.Post{
		DeliveryID: 1,
		Slug:       "Launch Day: Crème 2026",
		Title:      "Launch day",
		Text:       "We **ship** today.",
		Markdown:   true,
		Link:       "https://example.com/launch?utm_campaign=launch&utm_medium=blog&utm_source=ghost",
		Media:      []publishers.Media{{Path: publishertest.WriteFile(t, "door.png", publishertest.PNG), Alt: "A red door"}},
		Tags:       []string{"News", "#internal", "news"},
		Excerpt:    "We ship.",
		Canonical:  "https://example.com/launch",
	}
}

// checkAuth verifies the request's Admin API token as Ghost does: HS256
// signed with the hex-decoded secret, kid = key id, audience /admin/, and an
// expiry at most five minutes after its issue time.
func checkAuth(t *testing.T, r *http.Request) bool {
	t.Helper()
	if v := r.Header.Get("Accept-Version"); v != "v5.0" {
		t.Errorf("%s %s: Accept-Version = %q", r.Method, r.URL.Path, v)
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Ghost ")
	if !ok {
		t.Errorf("%s %s: Authorization is not a Ghost token", r.Method, r.URL.Path)
		return false
	}
	secret, _ := hex.DecodeString(keySecret)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(tok *jwt.Token) (any, error) {
		if tok.Header["kid"] != keyID {
			return nil, errors.New("unknown kid")
		}
		return secret, nil
	}, jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience("/admin/"), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Errorf("%s %s: token refused: %v", r.Method, r.URL.Path, err)
		return false
	}
	iat, _ := claims.GetIssuedAt()
	exp, _ := claims.GetExpirationTime()
	if iat == nil || !iat.Equal(now) || exp.Sub(iat.Time) <= 0 || exp.Sub(iat.Time) > 5*time.Minute {
		t.Errorf("token iat %v exp %v: want iat from the clock and exp within 5 minutes", iat, exp)
		return false
	}
	return true
}

// fakeGhost checks each request as the Admin API documents it.
type fakeGhost struct {
	t     *testing.T
	posts []map[string]any
	query string
}

func (f *fakeGhost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if !checkAuth(t, r) {
		writeErrors(w, 401, "Invalid token", "UnauthorizedError")
		return
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/ghost/api/admin/images/upload/":
		f.upload(w, r)
	case r.Method == "POST" && r.URL.Path == "/ghost/api/admin/posts/":
		f.createPost(w, r)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/ghost/api/admin/posts/slug/"):
		slug := strings.Trim(strings.TrimPrefix(r.URL.Path, "/ghost/api/admin/posts/slug/"), "/")
		for _, p := range f.posts {
			if p["slug"] == slug {
				publishertest.WriteJSON(w, 200, map[string]any{"posts": []any{map[string]any{
					"id": "6744a1b2c3d4e5f60718293a", "slug": slug, "title": p["title"],
					"url": "https://blog.example/launch-day-creme-2026/", "published_at": "2026-11-25T10:00:02.000Z"}}})
				return
			}
		}
		writeErrors(w, 404, "Post not found.", "NotFoundError")
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
		writeErrors(w, 404, "Resource not found", "NotFoundError")
	}
}

func (f *fakeGhost) upload(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Errorf("upload is not multipart: %v", err)
		return
	}
	if got := r.MultipartForm.Value; !reflect.DeepEqual(got, map[string][]string{"purpose": {"image"}, "ref": {"door.png"}}) {
		t.Errorf("upload fields = %v", got)
	}
	files := r.MultipartForm.File["file"]
	if len(files) != 1 || files[0].Filename != "door.png" || files[0].Header.Get("Content-Type") != "image/png" {
		t.Fatalf("upload file part = %+v", files)
	}
	fh, _ := files[0].Open()
	data, _ := io.ReadAll(fh)
	if string(data) != publishertest.PNG {
		t.Errorf("uploaded %d bytes, want the file's %d", len(data), len(publishertest.PNG))
	}
	publishertest.WriteJSON(w, 201, map[string]any{"images": []any{map[string]string{"url": "https://blog.example/content/images/2026/11/door.png", "ref": "door.png"}}})
}

func (f *fakeGhost) createPost(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("Content-Type = %q", ct)
	}
	var body struct {
		Posts []map[string]any `json:"posts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Posts) != 1 {
		f.t.Errorf("body is not {posts:[one]}: %v", err)
		writeErrors(w, 422, "Validation error", "ValidationError")
		return
	}
	f.query = r.URL.RawQuery
	f.posts = append(f.posts, body.Posts[0])
	publishertest.WriteJSON(w, 201, map[string]any{"posts": []any{map[string]any{
		"id": "6744a1b2c3d4e5f60718293a", "uuid": "5b7ada40-4f87-d200-b5b1-f9c8", "slug": body.Posts[0]["slug"],
		"url": "https://blog.example/launch-day-creme-2026/", "published_at": "2026-11-25T10:00:02.000Z",
	}}})
}

func (f *fakeGhost) checkPost(t *testing.T) {
	if len(f.posts) != 1 {
		t.Fatalf("%d posts created, want 1", len(f.posts))
	}
	if f.query != "newsletter=weekly&source=html" {
		t.Errorf("query = %q, want source=html and the newsletter", f.query)
	}
	got := f.posts[0]
	html, _ := got["html"].(string)
	delete(got, "html")
	want := map[string]any{
		"title": "Launch day", "status": "published", "slug": "launch-day-creme-2026",
		"tags":           []any{map[string]any{"name": "News"}, map[string]any{"name": "#internal"}},
		"custom_excerpt": "We ship.", "canonical_url": "https://example.com/launch",
		"feature_image": "https://blog.example/content/images/2026/11/door.png", "feature_image_alt": "A red door",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("post = %v,\nwant %v", got, want)
	}
	for _, s := range []string{"<strong>ship</strong>", `<a href="https://example.com/launch?utm_campaign=launch&amp;utm_medium=blog&amp;utm_source=ghost">`} {
		if !strings.Contains(html, s) {
			t.Errorf("html %q lacks %q", html, s)
		}
	}
}

func writeErrors(w http.ResponseWriter, status int, msg, typ string) {
	publishertest.WriteJSON(w, status, map[string]any{"errors": []any{map[string]any{"message": msg, "context": nil, "type": typ}}})
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network: "ghost",
		Handler: func(t *testing.T) http.Handler {
			f := &fakeGhost{t: t}
			t.Cleanup(func() {
				if !t.Failed() && len(f.posts) > 0 {
					f.checkPost(t)
				}
			})
			return f
		},
		Configure: config,
		Post:      samplePost(t),
		Titles:    true,
		Alt:       true,
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, p := range h.(*fakeGhost).posts {
				a := publishertest.Arrived{}
				a.Text, _ = p["html"].(string)
				a.Title, _ = p["title"].(string)
				if img, ok := p["feature_image"].(string); ok {
					alt, _ := p["feature_image_alt"].(string)
					a.Media = append(a.Media, publishertest.Media{Name: img, Alt: alt})
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			want := publishers.Result{RemoteID: "6744a1b2c3d4e5f60718293a", RemoteURL: "https://blog.example/launch-day-creme-2026/",
				PublishedAt: time.Date(2026, 11, 25, 10, 0, 2, 0, time.UTC)}
			if r != want {
				t.Errorf("result = %+v, want %+v", r, want)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "60"}, Body: `{"errors":[{"message":"Too many requests.","type":"TooManyRequestsError"}]}`},
		RateLimitWait: time.Minute,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"errors":[{"message":"Invalid token","context":"invalid signature","type":"UnauthorizedError"}]}`},
		Invalid: publishertest.Fault{Status: 422,
			Body: `{"errors":[{"message":"Validation error, cannot save post.","context":"Value in [posts.title] exceeds maximum length of 255 characters.","type":"ValidationError"}]}`},
		InvalidText: "Value in [posts.title] exceeds maximum length of 255 characters.",
	})
}

func newPublisher(t *testing.T, h http.Handler, settings map[string]string) *Publisher {
	t.Helper()
	siteOnly := func(site string) publishers.Config {
		cfg := config(site)
		cfg.Settings = map[string]string{"site": site}
		return cfg
	}
	return publishertest.Start(t, h, New, siteOnly, settings).(*Publisher)
}

func TestPublishWithoutNewsletterOrImage(t *testing.T) {
	f := &fakeGhost{t: t}
	p := newPublisher(t, f, nil)
	post := publishers.Post{Slug: "plain", Title: "Plain", Text: "text & more"}
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"title": "Plain", "status": "published", "slug": "plain", "html": "<p>text &amp; more</p>\n"}
	if f.query != "source=html" || !reflect.DeepEqual(f.posts[0], want) {
		t.Errorf("query %q post %v, want source=html only and %v", f.query, f.posts[0], want)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		site    string
		key     string
		wantErr string
	}{
		{"ok", "https://blog.ghost.io", keyID + ":" + keySecret, ""},
		{"no key", "https://blog.ghost.io", "", "secret admin_key"},
		{"no site", "", keyID + ":" + keySecret, "setting site"},
		{"content key instead", "https://blog.ghost.io", "22444f78447824223cefc48062", "not an Admin API key"},
		{"secret not hex", "https://blog.ghost.io", keyID + ":zz-not-hex", "not an Admin API key"},
		{"site not a URL", "blog.ghost.io", keyID + ":" + keySecret, "not an http(s) URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Settings: map[string]string{"site": c.site}, Secrets: map[string]string{"admin_key": c.key}})
			if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			_, secret, _ := strings.Cut(c.key, ":")
			if err != nil && (secret != "" && strings.Contains(err.Error(), secret) || c.key != "" && strings.Contains(err.Error(), c.key)) {
				t.Errorf("error shows the key: %v", err)
			}
		})
	}
}

func TestAPIBase(t *testing.T) {
	for _, site := range []string{"https://blog.example", "https://blog.example/", "https://blog.example/ghost/"} {
		p, err := New(publishers.Config{Settings: map[string]string{"site": site}, Secrets: map[string]string{"admin_key": keyID + ":" + keySecret}})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.(*Publisher).api; got != "https://blog.example/ghost/api/admin" {
			t.Errorf("site %q: api = %q", site, got)
		}
	}
}

func TestValidate(t *testing.T) {
	img := publishertest.WriteFile(t, "a.webp", "RIFF\x00\x00\x00\x00WEBPVP8 ")
	bmp := publishertest.WriteFile(t, "a.bmp", "BM")
	ok := publishers.Post{Slug: "s", Title: "T", Text: "body", Media: []publishers.Media{{Path: img, Alt: "alt"}}}
	p, err := New(config("https://blog.example"))
	if err != nil {
		t.Fatal(err)
	}
	publishertest.CheckValidate(t, p, ok, []publishertest.ValidateCase{
		{Name: "valid", Change: func(*publishers.Post) {}},
		{Name: "no title", Change: func(p *publishers.Post) { p.Title = "" }, Fields: []string{"title"}},
		{Name: "long title", Change: func(p *publishers.Post) { p.Title = strings.Repeat("é", 256) }, Fields: []string{"title"}},
		{Name: "empty body", Change: func(p *publishers.Post) { p.Text = " " }, Fields: []string{"text"}},
		{Name: "no slug", Change: func(p *publishers.Post) { p.Slug = "" }, Fields: []string{"slug"}},
		{Name: "long excerpt", Change: func(p *publishers.Post) { p.Excerpt = strings.Repeat("a", 301) }, Fields: []string{"excerpt"}},
		{Name: "bad canonical", Change: func(p *publishers.Post) { p.Canonical = "example.com/x" }, Fields: []string{"canonical"}},
		{Name: "unsupported image", Change: func(p *publishers.Post) { p.Media[0].Path = bmp }, Fields: []string{"media[0]"}},
		{Name: "missing image", Change: func(p *publishers.Post) { p.Media[0].Path = img + ".gone" }, Fields: []string{"media[0]"}},
		{Name: "long alt", Change: func(p *publishers.Post) { p.Media[0].Alt = strings.Repeat("a", 192) }, Fields: []string{"media[0].alt"}},
		{Name: "two images", Change: func(p *publishers.Post) { p.Media = append(p.Media, p.Media[0]) }, Fields: []string{"media"}},
		{Name: "bad tags", Change: func(p *publishers.Post) { p.Tags = []string{"", strings.Repeat("t", 192)} }, Fields: []string{"tags[0]", "tags[1]"}},
	})
}

func TestFind(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		answer    string
		wantFound bool
		wantErr   bool
	}{
		{"none", 404, `{"errors":[{"message":"Post not found.","type":"NotFoundError"}]}`, false, false},
		{"ours", 200, `{"posts":[{"id":"p1","slug":"launch-day","title":"Launch day","url":"https://blog.example/launch-day/","published_at":"2026-11-25T09:00:00.000Z"}]}`, true, false},
		{"slug held by another post", 200, `{"posts":[{"id":"p0","slug":"launch-day","title":"Old news"}]}`, false, true},
		{"server error", 503, `{"errors":[{"message":"Down for maintenance","type":"MaintenanceError"}]}`, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkAuth(t, r)
				if r.Method != "GET" || r.URL.Path != "/ghost/api/admin/posts/slug/launch-day/" {
					t.Errorf("unexpected request %s %s", r.Method, r.URL)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.answer)
			}), nil)
			res, found, err := p.Find(context.Background(), publishers.Post{Slug: "Launch day", Title: "Launch day"})
			want := publishers.Result{RemoteID: "p1", RemoteURL: "https://blog.example/launch-day/", PublishedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
			publishertest.CheckFind(t, res, found, err, c.wantFound, c.wantErr, want)
		})
	}
}

func TestCheck(t *testing.T) {
	site := `{"site":{"title":"The Blog","version":"5.101"}}`
	cases := []struct {
		name       string
		newsletter string
		routes     map[string]string // path?query → answer
		want       string
		wantErr    string
	}{
		{"key only", "", map[string]string{"/ghost/api/admin/site/": site, "/ghost/api/admin/posts/?limit=1&fields=id": `{"posts":[{"id":"p1"}]}`},
			`admin key accepted by "The Blog" (Ghost 5.101)`, ""},
		{"newsletter", "weekly", map[string]string{"/ghost/api/admin/site/": site,
			"/ghost/api/admin/newsletters/?filter=slug%3Aweekly&limit=1": `{"newsletters":[{"name":"Weekly","slug":"weekly","status":"active"}]}`},
			`admin key accepted by "The Blog" (Ghost 5.101); posts are also sent to newsletter "Weekly"`, ""},
		{"unknown newsletter", "weekly", map[string]string{"/ghost/api/admin/site/": site,
			"/ghost/api/admin/newsletters/?filter=slug%3Aweekly&limit=1": `{"newsletters":[]}`}, "", "no newsletter"},
		{"archived newsletter", "weekly", map[string]string{"/ghost/api/admin/site/": site,
			"/ghost/api/admin/newsletters/?filter=slug%3Aweekly&limit=1": `{"newsletters":[{"name":"Weekly","slug":"weekly","status":"archived"}]}`}, "", "not active"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkAuth(t, r)
				key := r.URL.Path
				if r.URL.RawQuery != "" {
					key += "?" + r.URL.RawQuery
				}
				answer, ok := c.routes[key]
				if r.Method != "GET" || !ok {
					t.Errorf("unexpected request %s %s", r.Method, key)
					w.WriteHeader(404)
					return
				}
				_, _ = io.WriteString(w, answer)
			}), map[string]string{"newsletter": c.newsletter})
			got, err := p.Check(context.Background())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Check = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	p := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		publishertest.WriteJSON(w, 403, map[string]any{"errors": []any{map[string]any{
			"message": "Permission error, cannot edit post.", "context": "You do not have permission to perform this action", "type": "NoPermissionError"}}})
	}), nil)
	_, err := p.Publish(context.Background(), publishers.Post{Slug: "s", Title: "T", Text: "x"})
	var pe *publishers.Error
	want := "Permission error, cannot edit post.: You do not have permission to perform this action (NoPermissionError)"
	if !errors.As(err, &pe) || pe.Class != publishers.Auth || pe.Message != want {
		t.Fatalf("err = %#v, want auth with %q", err, want)
	}
	if strings.Contains(err.Error(), keySecret) {
		t.Errorf("error shows the key")
	}
}

func TestPreview(t *testing.T) {
	p, err := New(config("https://blog.example"))
	if err != nil {
		t.Fatal(err)
	}
	pv := p.(publishers.Previewer).Preview(publishers.Post{Slug: "s", Title: "T", Text: "# Hi\n\n**bold**", Markdown: true})
	if pv.Extra != "<h1>Hi</h1>\n<p><strong>bold</strong></p>\n" || len(pv.Problems) != 0 {
		t.Errorf("preview = %+v", pv)
	}
	pv = p.(publishers.Previewer).Preview(publishers.Post{Slug: "s", Text: "x"})
	if len(pv.Problems) != 1 || pv.Problems[0].Field != "title" {
		t.Errorf("preview problems = %v, want the missing title", pv.Problems)
	}
}
