package linkedin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// beforeMidnight is the suite's clock: a 429 without headers waits a minute.
var beforeMidnight = time.Date(2026, 12, 2, 23, 59, 0, 0, time.UTC)

func suite(t *testing.T, author string) publishertest.Suite {
	img := publishertest.WriteFile(t, "cover.png", publishertest.PNG)
	settings := func(base string) map[string]string {
		s := map[string]string{"api": base, "version": fakeVersion}
		if author != "" {
			s["author"] = author
		}
		return s
	}
	return publishertest.Suite{
		Network: "linkedin",
		Handler: func(t *testing.T) http.Handler { return newFake(t) },
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-li", Settings: settings(base),
				Secrets: map[string]string{"access_token": fakeToken}, Now: func() time.Time { return beforeMidnight }}
		},
		Post: publishertest.ThreadPost(img),
		CheckResult: func(t *testing.T, r publishers.Result) {
			if !strings.HasPrefix(r.RemoteID, "urn:li:share:") || r.RemoteURL != "https://www.linkedin.com/feed/update/"+r.RemoteID+"/" {
				t.Errorf("result %+v: want the share's URN and its feed URL", r)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Body: `{"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached.","status":429}`},
		RateLimitWait: time.Minute,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token","status":401}`},
		Invalid:       publishertest.Fault{Status: 422, Body: `{"errorDetailType":"com.linkedin.common.error.BadRequest","message":"ERROR :: /commentary :: is too long","errorDetails":{"inputErrors":[{"description":"is too long","input":{"inputPath":{"fieldPath":"/commentary"}},"code":"FIELD_LENGTH_TOO_LONG"}]},"status":422}`},
		InvalidText:   "ERROR :: /commentary :: is too long",
		Received:      func(h http.Handler) []publishertest.Arrived { return h.(*fakeLinkedIn).arrived() },
		Alt:           true,
	}
}

// An organization's page (its posts are looked up before a retry) and a
// member found through /v2/userinfo (held for a person instead) both pass
// the conformance suite.
func TestConformance(t *testing.T) {
	t.Run("organization", func(t *testing.T) { publishertest.Run(t, suite(t, fakeOrg)) })
	t.Run("person", func(t *testing.T) { publishertest.Run(t, suite(t, "")) })
}

// build makes a publisher for a fake at base, through the registry.
func build(t *testing.T, base string, settings map[string]string, now time.Time) publishers.Publisher {
	t.Helper()
	nw, err := publishers.Lookup("linkedin")
	if err != nil {
		t.Fatal(err)
	}
	s := map[string]string{"api": base, "version": fakeVersion, "author": fakeOrg}
	for k, v := range settings {
		if v == "" {
			delete(s, k)
		} else {
			s[k] = v
		}
	}
	cfg := publishers.Config{Channel: "acme-li", Settings: s, Secrets: map[string]string{"access_token": fakeToken},
		HTTP: &http.Client{Timeout: 5 * time.Second}}
	if !now.IsZero() {
		cfg.Now = func() time.Time { return now }
	}
	p, err := nw.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func images(t *testing.T, n int) []publishers.Media {
	out := make([]publishers.Media, n)
	for i := range out {
		out[i] = publishers.Media{Path: publishertest.WriteFile(t, fmt.Sprintf("p%d.png", i), publishertest.PNG), Alt: fmt.Sprintf("picture %d", i)}
	}
	return out
}

// The commentary arrives escaped as little text, hashtags as templates, and
// reads back as the author wrote it.
func TestPublishEscapesTheCommentary(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	text := "Spring (issue #3) is out! Ask us @ hello_world <3 #Spring #news [beta] {x|y} ~*~ C:\\dir @[Acme Corp](urn:li:organization:1234)"
	res, err := build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), publishers.Post{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	got := f.created()
	if len(got) != 1 {
		t.Fatalf("%d posts", len(got))
	}
	want := `Spring \(issue \#3\) is out! Ask us \@ hello\_world \<3 {hashtag|\#|Spring} {hashtag|\#|news} \[beta\] \{x\|y\} \~\*\~ C:\\dir @[Acme Corp](urn:li:organization:1234)`
	if got[0].Commentary != want {
		t.Errorf("commentary\n  %s\nwant\n  %s", got[0].Commentary, want)
	}
	if wantPlain := strings.Replace(text, "@[Acme Corp](urn:li:organization:1234)", "Acme Corp", 1); got[0].Plain != wantPlain {
		t.Errorf("LinkedIn shows %q, want %q", got[0].Plain, wantPlain)
	}
	if got[0].Content != nil || res.RemoteID != got[0].ID {
		t.Errorf("content %v, result %+v: want a text post, its URN", got[0].Content, res)
	}
}

// Several images go out as one multiImage post, in order, each with its
// alt text; one image as media; a link without images as an article card.
func TestPublishContent(t *testing.T) {
	link := "https://example.org/spring?utm_source=linkedin"
	cases := []struct {
		name    string
		post    func(t *testing.T) publishers.Post
		check   func(t *testing.T, p fakePost)
		comment string // the commentary LinkedIn shows
	}{
		{"multi-image", func(t *testing.T) publishers.Post {
			return publishers.Post{Text: "Three pictures", Link: link, Media: images(t, 3)}
		}, func(t *testing.T, p fakePost) {
			if p.Content["multiImage"] == nil || len(p.Images) != 3 {
				t.Fatalf("content %v", p.Content)
			}
			for i, im := range p.Images {
				if im.Alt != fmt.Sprintf("picture %d", i) {
					t.Errorf("image %d: alt %q", i, im.Alt)
				}
			}
		}, "Three pictures\n\n" + link},
		{"one image", func(t *testing.T) publishers.Post {
			return publishers.Post{Text: "One picture", Media: images(t, 1)}
		}, func(t *testing.T, p fakePost) {
			if p.Content["media"] == nil || len(p.Images) != 1 || p.Images[0].Alt != "picture 0" {
				t.Errorf("content %v", p.Content)
			}
		}, "One picture"},
		{"article", func(t *testing.T) publishers.Post {
			return publishers.Post{Title: "Spring issue", Text: "Read it", Link: link, Excerpt: "Twelve stories"}
		}, func(t *testing.T, p fakePost) {
			a, _ := p.Content["article"].(map[string]any)
			if a["source"] != link || a["title"] != "Spring issue" || a["description"] != "Twelve stories" {
				t.Errorf("article %v", a)
			}
		}, "Read it"},
		{"article without title", func(t *testing.T) publishers.Post {
			return publishers.Post{Text: "Read it", Link: link}
		}, func(t *testing.T, p fakePost) {
			a, _ := p.Content["article"].(map[string]any)
			if a["source"] != link || a["title"] != link || a["description"] != nil {
				t.Errorf("article %v", a)
			}
		}, "Read it"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			srv := publishertest.Server(t, f)
			if _, err := build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), c.post(t)); err != nil {
				t.Fatal(err)
			}
			got := f.created()
			if len(got) != 1 {
				t.Fatalf("%d posts", len(got))
			}
			if got[0].Plain != c.comment {
				t.Errorf("commentary %q, want %q", got[0].Plain, c.comment)
			}
			c.check(t, got[0])
		})
	}
}

// dropFirstPost makes the fake create the first post, then hang up instead
// of answering: the reply is lost.
type dropFirstPost struct {
	next    *fakeLinkedIn
	mu      sync.Mutex
	dropped bool
}

func (d *dropFirstPost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	drop := !d.dropped && r.Method == "POST" && r.URL.Path == "/rest/posts"
	d.dropped = d.dropped || drop
	d.mu.Unlock()
	if !drop {
		d.next.ServeHTTP(w, r)
		return
	}
	d.next.ServeHTTP(httptest.NewRecorder(), r)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// After a lost reply, the retry meets 422 DUPLICATE_POST: the post it names
// is recorded as the delivery's, and nothing is posted twice. A duplicate of
// a post made before the delivery was due is another post: refused.
func TestDuplicatePost(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, &dropFirstPost{next: f})
	post := publishers.Post{Text: "Our spring issue is out.", ScheduledAt: time.Now().Add(-time.Minute)}
	_, err := build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), post)
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient || !publishers.MayHaveReached(err) {
		t.Fatalf("lost reply: %v (%v), want a transient failure that may have reached LinkedIn", err, class)
	}
	var parts []publishers.PartResult
	post.OnPart = func(r publishers.PartResult) error { parts = append(parts, r); return nil }
	res, err := build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), post)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	got := f.created()
	if len(got) != 1 || res.RemoteID != got[0].ID || res.RemoteURL != postURL(got[0].ID) {
		t.Fatalf("posts %+v, result %+v: want the one post, recorded", got, res)
	}
	if len(parts) != 1 || parts[0].RemoteID != got[0].ID {
		t.Errorf("confirmed parts %+v", parts)
	}

	// The same text, due now, after a post made last year: not this delivery's.
	f.mu.Lock()
	f.posts[0].ID = f.shareID(time.Now().AddDate(-1, 0, 0))
	f.mu.Unlock()
	_, err = build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), publishers.Post{Text: post.Text, ScheduledAt: time.Now()})
	publishertest.CheckError(t, err, publishers.Permanent, 0, "duplicate of an earlier one")
}

// A 429 carries no rate-limit headers on LinkedIn: it waits until the next
// midnight UTC (its limits are daily), or the channel's rate_limit_backoff,
// or a Retry-After if one comes.
func TestRateLimited(t *testing.T) {
	at := time.Date(2026, 12, 2, 21, 30, 0, 0, time.FixedZone("CET", 3600))
	body := `{"message":"Resource level throttle MEMBER DAY limit for calls to this resource is reached.","status":429}`
	for _, c := range []struct {
		name     string
		settings map[string]string
		header   map[string]string
		wait     time.Duration
	}{
		{"until midnight UTC", nil, nil, 3*time.Hour + 30*time.Minute},
		{"backoff", map[string]string{"rate_limit_backoff": "45m"}, nil, 45 * time.Minute},
		{"retry-after", map[string]string{"rate_limit_backoff": "45m"}, map[string]string{"Retry-After": "120"}, 2 * time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := publishertest.Server(t, publishertest.Reply(429, c.header, body))
			_, err := build(t, srv.URL, c.settings, at).Publish(context.Background(), publishers.Post{Text: "Hello"})
			publishertest.CheckError(t, err, publishers.RateLimited, c.wait, "MEMBER DAY limit")
		})
	}
}

// recordingTokens is a token source for the seam: it counts refusals and
// gives a fresh token once.
type recordingTokens struct {
	mu      sync.Mutex
	current string
	fresh   string
	refused []string
}

func (r *recordingTokens) Token(context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.current, nil
}

func (r *recordingTokens) Refused(_ context.Context, tok string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused = append(r.refused, tok)
	r.current, r.fresh = r.fresh, ""
	return r.current, nil
}

// The token is read from the channel's credentials at each request (a token
// saved since the publisher was built is used); without one, or refused,
// the error is Auth and says to run `crieur channel login`. A token source
// that refreshes (the OAuth kit's) retries a 401 once with its new token.
func TestToken(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	nw, _ := publishers.Lookup("linkedin")
	creds := publishers.NewStaticCredentials(map[string]string{"access_token": "old-token-value"})
	p, err := nw.New(publishers.Config{Channel: "acme-li", Settings: map[string]string{"api": srv.URL, "version": fakeVersion, "author": fakeOrg},
		Credentials: creds, HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), publishers.Post{Text: "First"})
	publishertest.CheckError(t, err, publishers.Auth, 0, "crieur channel login acme-li")
	if strings.Contains(err.Error(), "old-token-value") {
		t.Errorf("the token leaked: %v", err)
	}
	_ = creds.Save(context.Background(), "access_token", fakeToken)
	if _, err := p.Publish(context.Background(), publishers.Post{Text: "Second"}); err != nil {
		t.Fatalf("with the saved token: %v", err)
	}

	_, err = build(t, srv.URL, map[string]string{}, time.Time{}).Publish(context.Background(), publishers.Post{Text: "x"})
	if err != nil {
		t.Fatalf("built with the token: %v", err)
	}
	noToken, err := nw.New(publishers.Config{Channel: "acme-li", Settings: map[string]string{"api": srv.URL}})
	if err != nil {
		t.Fatalf("a channel without a token yet must build: %v", err)
	}
	_, err = noToken.Publish(context.Background(), publishers.Post{Text: "x"})
	publishertest.CheckError(t, err, publishers.Auth, 0, "crieur channel login acme-li")

	// The seam: a 401 is told to the token source, and retried once with the token it gives.
	src := &recordingTokens{current: "expired-token", fresh: fakeToken}
	inner := publishers.Unwrap(build(t, srv.URL, nil, time.Time{}))
	inner.(finding).tokens = src
	if _, err := inner.Publish(context.Background(), publishers.Post{Text: "Third"}); err != nil {
		t.Fatalf("after a refresh: %v", err)
	}
	if len(src.refused) != 1 || src.refused[0] != "expired-token" {
		t.Errorf("refused %v, want the expired token once", src.refused)
	}
	src = &recordingTokens{current: "expired-token"}
	inner.(finding).tokens = src
	_, err = inner.Publish(context.Background(), publishers.Post{Text: "Fourth"})
	publishertest.CheckError(t, err, publishers.Auth, 0, "crieur channel login acme-li")
}

// The token goes to an upload URL only on LinkedIn's hosts, the API's, or
// the channel's upload setting: an upload URL elsewhere gets nothing.
func TestUploadURLHost(t *testing.T) {
	var mu sync.Mutex
	var got []string
	f := newFake(t)
	other := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		f.ServeHTTP(w, r) // the same LinkedIn, on another host
	}))
	f.uploadBase = other.URL
	srv := publishertest.Server(t, f)
	post := publishers.Post{Text: "Picture", Media: images(t, 1)}
	_, err := build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), post)
	publishertest.CheckError(t, err, publishers.Permanent, 0, "not LinkedIn's")
	mu.Lock()
	if len(got) != 0 {
		t.Errorf("the other host received %v", got)
	}
	mu.Unlock()

	// Named by the channel's upload setting, it is trusted.
	_, err = build(t, srv.URL, map[string]string{"upload": other.URL}, time.Time{}).Publish(context.Background(), post)
	mu.Lock()
	defer mu.Unlock()
	if err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "PUT /dms-uploads/") || !strings.HasSuffix(got[0], "Bearer "+fakeToken) {
		t.Errorf("err %v; upload host received %v", err, got)
	}
}

func TestUploadTarget(t *testing.T) {
	p, err := fromSettings(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	for raw, ok := range map[string]bool{
		"https://www.linkedin.com/dms-uploads/sp/v2/C4D/uploaded-image/0?ca=vector": true,
		"https://api.linkedin.com/mediaUpload/C4D/uploadedImage/0":                  true,
		"http://www.linkedin.com/dms-uploads/x":                                     false,
		"https://linkedin.com.evil.example/x":                                       false,
		"https://evil.example/www.linkedin.com":                                     false,
		"ftp://www.linkedin.com/x":                                                  false,
	} {
		if _, err := p.uploadTarget(raw); (err == nil) != ok {
			t.Errorf("uploadTarget(%q): %v, want ok %v", raw, err, ok)
		}
	}
}

// The author, when not set, is the member whose token it is.
func TestAuthorFromUserinfo(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	p := build(t, srv.URL, map[string]string{"author": ""}, time.Time{})
	if _, err := p.Publish(context.Background(), publishers.Post{Text: "As me", Media: images(t, 1)}); err != nil {
		t.Fatal(err)
	}
	if got := f.created(); len(got) != 1 || got[0].Author != fakePerson {
		t.Errorf("posts %+v, want one by %s", got, fakePerson)
	}
	if _, ok := p.(publishers.Finder); ok {
		t.Errorf("a member's channel looks posts up by default: it needs r_member_social, which LinkedIn restricts")
	}
	msg, err := p.(publishers.Checker).Check(context.Background())
	if err != nil || !strings.Contains(msg, "Ann Author") || !strings.Contains(msg, fakePerson) {
		t.Errorf("Check = %q, %v", msg, err)
	}
	// 403 on userinfo (no openid scope) says to set the author.
	srv403 := publishertest.Server(t, publishertest.Reply(403, nil, `{"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: userinfo.GET.NO_VERSION","status":403}`))
	_, err = build(t, srv403.URL, map[string]string{"author": ""}, time.Time{}).Publish(context.Background(), publishers.Post{Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "--set author=urn:li:person:ID") {
		t.Errorf("err = %v, want it to say how to set the author", err)
	}
}

// Find matches by text and content, after the post's planned time only.
func TestFind(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	p := build(t, srv.URL, nil, time.Time{}).(publishers.Finder)
	pub := p.(publishers.Publisher)
	link := "https://example.org/a?utm_source=linkedin"
	made, err := pub.Publish(context.Background(), publishers.Post{Text: "Read (this) #now", Link: link})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = pub.Publish(context.Background(), publishers.Post{Text: "Another one"})
	now := time.Now()
	for _, c := range []struct {
		name  string
		post  publishers.Post
		found bool
	}{
		{"same", publishers.Post{Text: "Read (this) #now", Link: link, ScheduledAt: now}, true},
		{"other link", publishers.Post{Text: "Read (this) #now", Link: "https://example.org/b", ScheduledAt: now}, false},
		{"with an image", publishers.Post{Text: "Read (this) #now", Link: link, Media: images(t, 1), ScheduledAt: now}, false},
		{"other text", publishers.Post{Text: "Read that", Link: link, ScheduledAt: now}, false},
		{"due later", publishers.Post{Text: "Read (this) #now", Link: link, ScheduledAt: now.Add(time.Hour)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, found, err := p.Find(context.Background(), c.post)
			if err != nil || found != c.found || (found && res.RemoteID != made.RemoteID) {
				t.Errorf("Find = %+v, %v, %v; want found %v (%s)", res, found, err, c.found, made.RemoteID)
			}
		})
	}
}

// Find cannot tell when the posts it reads are all newer than the post's time.
func TestFindCannotTell(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	pub := build(t, srv.URL, nil, time.Time{})
	for i := range findPage * findPages {
		if _, err := pub.Publish(context.Background(), publishers.Post{Text: fmt.Sprintf("Post %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	_, found, err := pub.(publishers.Finder).Find(context.Background(), publishers.Post{Text: "Lost", ScheduledAt: time.Now().Add(-time.Hour)})
	if found || err == nil || !strings.Contains(err.Error(), "cannot tell") {
		t.Errorf("found %v, err %v: want cannot tell", found, err)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := fromSettings(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	ok := publishers.Post{Text: "Hello", Media: images(t, 1)}
	publishertest.CheckValidate(t, p, ok, []publishertest.ValidateCase{
		{Name: "ok", Change: func(*publishers.Post) {}, Fields: nil},
		{Name: "empty", Change: func(p *publishers.Post) { p.Text, p.Media = "", nil }, Fields: []string{"text"}},
		{Name: "link only", Change: func(p *publishers.Post) { p.Text, p.Media, p.Link = "", nil, "https://example.org" }, Fields: nil},
		{Name: "bad link", Change: func(p *publishers.Post) { p.Media, p.Link = nil, "example.org/x" }, Fields: []string{"link"}},
		{Name: "3000 characters", Change: func(p *publishers.Post) { p.Text = strings.Repeat("é", 3000) }, Fields: nil},
		{Name: "3001 characters", Change: func(p *publishers.Post) { p.Text = strings.Repeat("é", 3001) }, Fields: []string{"text"}},
		{Name: "escapes do not count", Change: func(p *publishers.Post) { p.Text = strings.Repeat("(", 3000) }, Fields: nil},
		{Name: "thread parts count", Change: func(p *publishers.Post) {
			p.Text, p.Thread = strings.Repeat("a", 2000), []string{strings.Repeat("b", 1000)}
		}, Fields: []string{"text"}},
		{Name: "21 images", Change: func(p *publishers.Post) { p.Media = images(t, 21) }, Fields: []string{"media"}},
		{Name: "not an image", Change: func(p *publishers.Post) { p.Media[0].Path = notImage }, Fields: []string{"media[0]"}},
		{Name: "a URL", Change: func(p *publishers.Post) { p.Media[0].Path = "https://img.example/a.png" }, Fields: []string{"media[0]"}},
		{Name: "missing", Change: func(p *publishers.Post) { p.Media[0].Path = filepath.Join(dir, "none.png") }, Fields: []string{"media[0]"}},
		{Name: "long alt", Change: func(p *publishers.Post) { p.Media[0].Alt = strings.Repeat("a", maxAlt+1) }, Fields: []string{"media[0]"}},
	})
}

func TestSettings(t *testing.T) {
	for _, s := range []map[string]string{
		{"author": "urn:li:company:1"},
		{"author": "urn:li:person:"},
		{"author": "urn:li:person:a b"},
		{"version": "2026-10"},
		{"version": "202613"},
		{"api": "api.linkedin.com"},
		{"api": "http://api.example"},
		{"upload": "http://uploads.example"},
		{"rate_limit_backoff": "soon"},
		{"rate_limit_backoff": "-1h"},
		{"lookup": "maybe"},
		{"insecure_http": "perhaps"},
	} {
		if _, err := fromSettings(s); err == nil {
			t.Errorf("settings %v accepted", s)
		}
	}
	p, err := fromSettings(map[string]string{"author": fakePerson, "lookup": "true", "api": "http://lab.example", "insecure_http": "true"})
	if err != nil || !p.lookup || p.api != "http://lab.example" {
		t.Errorf("fromSettings = %+v, %v", p, err)
	}
}

// Preview shows the text as LinkedIn shows it, and the little commentary sent.
func TestPreview(t *testing.T) {
	p, _ := fromSettings(nil)
	pv := p.Preview(publishers.Post{Text: "Hi (all) #go", Link: "https://example.org"})
	if len(pv.Parts) != 1 || pv.Parts[0] != "Hi (all) #go" || pv.Count[0] != 12 || pv.Limit != maxChars ||
		!strings.Contains(pv.Extra, `commentary: Hi \(all\) {hashtag|\#|go}`) || !strings.Contains(pv.Extra, "link card: https://example.org") {
		t.Errorf("preview %+v", pv)
	}
}

// A page's channel checks its token by reading its latest post: a page's
// app may have no OpenID scopes.
func TestCheckPage(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	msg, err := build(t, srv.URL, nil, time.Time{}).(publishers.Checker).Check(context.Background())
	if err != nil || !strings.Contains(msg, "the page "+fakeOrg) {
		t.Errorf("Check = %q, %v", msg, err)
	}
}

// brokenCredentials cannot read the calendar.
type brokenCredentials struct{ *publishers.StaticCredentials }

func (brokenCredentials) Get(string) (string, error) { return "", errors.New("database is locked") }

// A token the calendar cannot read now is a transient failure, never a
// dead token; a 403 says which scope is missing and how to log in again.
func TestTokenErrors(t *testing.T) {
	nw, _ := publishers.Lookup("linkedin")
	p, err := nw.New(publishers.Config{Channel: "acme-li", Settings: map[string]string{"author": fakeOrg}, Credentials: brokenCredentials{publishers.NewStaticCredentials(nil)}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), publishers.Post{Text: "x"})
	publishertest.CheckError(t, err, publishers.Transient, 0, "database is locked")

	srv := publishertest.Server(t, publishertest.Reply(403, nil, `{"serviceErrorCode":100,"code":"ACCESS_DENIED","message":"Not enough permissions to access: partnerApiPostsExternal.CREATE.20261001","status":403}`))
	_, err = build(t, srv.URL, nil, time.Time{}).Publish(context.Background(), publishers.Post{Text: "x"})
	publishertest.CheckError(t, err, publishers.Auth, 0, "w_organization_social")
	if !strings.Contains(err.Error(), "crieur channel login acme-li") || !strings.Contains(err.Error(), "Not enough permissions") {
		t.Errorf("error %q", err)
	}
}
