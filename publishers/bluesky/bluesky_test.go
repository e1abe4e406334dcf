package bluesky

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

var epoch = time.Date(2026, 11, 25, 10, 0, 0, 123_000_000, time.UTC)

// richText has accents (2 bytes), emoji (4 bytes, and a ZWJ family), a
// mention, a hashtag and a link, so that any rune/byte confusion in facet
// offsets shows.
const richText = "Café ☕ déjà vu 👩‍👩‍👧 with @bob.test and #crieur — read https://example.com/café?utm_source=crieur now."

func testPost(t *testing.T) publishers.Post {
	dir := t.TempDir()
	return publishers.Post{
		DeliveryID:     42,
		IdempotencyKey: "delivery-42",
		Slug:           "launch",
		Title:          "Launch",
		Text:           richText,
		Link:           "https://example.com/café?utm_source=crieur",
		Media:          []publishers.Media{{Path: pngFile(t, dir, "chart.png", 40, 30), Alt: "A chart going up"}},
		Thread:         []string{"Second part 🇫🇷 for @alice.test #thread"},
		ScheduledAt:    epoch,
	}
}

func newPublisher(t *testing.T, url string, clock *testClock, password string) *Publisher {
	t.Helper()
	p, err := New(publishers.Config{
		Channel:  "test",
		Settings: map[string]string{"handle": "alice.test", "pds": url},
		Secrets:  map[string]string{"app_password": password},
		HTTP:     &http.Client{Timeout: 5 * time.Second},
		Now:      clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// setup starts a fake PDS and a publisher pointing at it.
func setup(t *testing.T) (*fakePDS, *Publisher, *testClock) {
	clock := &testClock{now: epoch}
	f := newFakePDS(t, clock)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, newPublisher(t, srv.URL, clock, f.password), clock
}

func TestConformance(t *testing.T) {
	clock := &testClock{now: epoch}
	var fake *fakePDS
	reset := strconv.FormatInt(epoch.Add(30*time.Second).Unix(), 10)
	publishertest.Run(t, publishertest.Suite{
		Network: "bluesky",
		Handler: func(t *testing.T) http.Handler {
			fake = newFakePDS(t, clock)
			return fake
		},
		Configure: func(baseURL string) publishers.Config {
			return publishers.Config{
				Channel:  "suite",
				Settings: map[string]string{"handle": "alice.test", "pds": baseURL},
				Secrets:  map[string]string{"app_password": "app-pass-1234"},
				Now:      clock.Now,
			}
		},
		Post: testPost(t),
		Alt:  true,
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, rec := range h.(*fakePDS).posts() {
				a := publishertest.Arrived{}
				a.Text, _ = rec["text"].(string)
				embed, _ := rec["embed"].(map[string]any)
				if media, ok := embed["media"].(map[string]any); ok {
					embed = media // recordWithMedia
				}
				if ext, ok := embed["external"].(map[string]any); ok {
					a.Link, _ = ext["uri"].(string)
					a.Title, _ = ext["title"].(string)
				}
				images, _ := embed["images"].([]any)
				for _, im := range images {
					m, _ := im.(map[string]any)
					alt, _ := m["alt"].(string)
					a.Media = append(a.Media, publishertest.Media{Name: "image", Alt: alt})
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			rkey := recordKey("delivery-42", 0)
			if want := "at://did:plc:alice/app.bsky.feed.post/" + rkey; r.RemoteID != want {
				t.Errorf("RemoteID = %q, want %q", r.RemoteID, want)
			}
			if want := "https://bsky.app/profile/alice.test/post/" + rkey; r.RemoteURL != want {
				t.Errorf("RemoteURL = %q, want %q", r.RemoteURL, want)
			}
			if !r.PublishedAt.Equal(epoch) {
				t.Errorf("PublishedAt = %v, want %v", r.PublishedAt, epoch)
			}
			if n := len(fake.posts()); n != 2 {
				t.Errorf("%d records, want 2 (post and reply)", n)
			}
		},
		RateLimited: publishertest.Fault{
			Status: 429,
			Header: map[string]string{"RateLimit-Limit": "30", "RateLimit-Remaining": "0", "RateLimit-Reset": reset},
			Body:   `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`,
		},
		RateLimitWait: 30 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"error":"AuthenticationRequired","message":"Invalid identifier or password"}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"error":"InvalidRequest","message":"Input/identifier must be a string"}`},
		InvalidText:   "Input/identifier must be a string",
		ServerError:   publishertest.Fault{Status: 500, Body: `{"error":"InternalServerError","message":"Internal Server Error"}`},
	})
}

func TestPublishWritesThread(t *testing.T) {
	f, pub, _ := setup(t)
	post := testPost(t)
	res, err := pub.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	// The common path: one session, one call per mention, image and part.
	want := []string{
		"com.atproto.server.createSession",
		"com.atproto.identity.resolveHandle", // @bob.test
		"com.atproto.repo.uploadBlob",
		"com.atproto.repo.createRecord",
		"com.atproto.identity.resolveHandle", // @alice.test
		"com.atproto.repo.createRecord",
	}
	if got := f.callLog(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("calls:\n got %v\nwant %v", got, want)
	}
	posts := f.posts()
	if len(posts) != 2 {
		t.Fatalf("%d records, want 2", len(posts))
	}
	first, second := posts[0], posts[1]
	if first["_rkey"] != recordKey("delivery-42", 0) || second["_rkey"] != recordKey("delivery-42", 1) {
		t.Errorf("record keys %v, %v not derived from the idempotency key", first["_rkey"], second["_rkey"])
	}
	if first["text"] != richText {
		t.Errorf("first text %q", first["text"])
	}
	if n := len(first["facets"].([]any)); n != 3 {
		t.Errorf("first part has %d facets, want 3 (mention, tag, link)", n)
	}
	embed := first["embed"].(map[string]any)
	img := embed["images"].([]any)[0].(map[string]any)
	if img["alt"] != "A chart going up" {
		t.Errorf("alt = %v", img["alt"])
	}
	if ar := img["aspectRatio"].(map[string]any); ar["width"] != 40.0 || ar["height"] != 30.0 {
		t.Errorf("aspectRatio = %v", ar)
	}
	reply := second["reply"].(map[string]any)
	if reply["root"].(map[string]any)["uri"] != res.RemoteID || reply["parent"].(map[string]any)["uri"] != res.RemoteID {
		t.Errorf("reply %v does not point at the first part %s", reply, res.RemoteID)
	}
	if _, ok := second["embed"]; ok {
		t.Errorf("the reply repeats the embed")
	}
}

func TestPublishSplitsLongText(t *testing.T) {
	f, pub, _ := setup(t)
	long := strings.Repeat("Ça déménage vraiment ici, n'est-ce pas ? ", 20) // ~840 graphemes
	res, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: "k-long", Text: long})
	if err != nil {
		t.Fatal(err)
	}
	posts := f.posts()
	if len(posts) != 3 {
		t.Fatalf("%d parts, want 3", len(posts))
	}
	for i, p := range posts {
		text := p["text"].(string)
		if !strings.HasSuffix(text, " "+strconv.Itoa(i+1)+"/3") {
			t.Errorf("part %d %q has no counter", i+1, text)
		}
		if i == 0 {
			if _, ok := p["reply"]; ok {
				t.Errorf("the first part is a reply")
			}
			continue
		}
		reply := p["reply"].(map[string]any)
		if reply["root"].(map[string]any)["uri"] != res.RemoteID {
			t.Errorf("part %d root is not the first part", i+1)
		}
		parentKey := posts[i-1]["_rkey"].(string)
		if !strings.HasSuffix(reply["parent"].(map[string]any)["uri"].(string), "/"+parentKey) {
			t.Errorf("part %d parent is not part %d", i+1, i)
		}
	}
}

func TestPublishLinkCard(t *testing.T) {
	f, pub, _ := setup(t)
	post := publishers.Post{IdempotencyKey: "k-card", Text: "New article", Link: "https://example.com/a", Title: "A", Excerpt: "About A"}
	if _, err := pub.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	p := f.posts()[0]
	if p["text"] != "New article\n\nhttps://example.com/a" {
		t.Errorf("text %q does not end with the link", p["text"])
	}
	ext := p["embed"].(map[string]any)["external"].(map[string]any)
	if ext["uri"] != "https://example.com/a" || ext["title"] != "A" || ext["description"] != "About A" {
		t.Errorf("external embed %v", ext)
	}
}

func TestUnresolvableMentionStaysText(t *testing.T) {
	f, pub, _ := setup(t)
	if _, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Text: "hi @nobody.test"}); err != nil {
		t.Fatal(err)
	}
	if facets, ok := f.posts()[0]["facets"]; ok {
		t.Errorf("facets %v for an unresolvable mention", facets)
	}
}

func TestResolveFailureIsTransient(t *testing.T) {
	f, pub, _ := setup(t)
	f.fail("com.atproto.identity.resolveHandle", fakeFault{status: 503, body: `{"error":"UpstreamFailure","message":"upstream down"}`})
	_, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Text: "hi @bob.test"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	if n := len(f.posts()); n != 0 {
		t.Errorf("%d records posted without the mention", n)
	}
}

// TestNeverTwice replays a delivery whose first attempt succeeded, as a new
// process would after a crash: through Publish alone, and through Find then
// Publish as the scheduler does for RetryLookup.
func TestNeverTwice(t *testing.T) {
	t.Run("publish again", func(t *testing.T) {
		f, pub, clock := setup(t)
		post := testPost(t)
		first, err := pub.Publish(context.Background(), post)
		if err != nil {
			t.Fatal(err)
		}
		restarted := newPublisher(t, strings.TrimSuffix(pubBase(pub), "/"), clock, f.password)
		again, err := restarted.Publish(context.Background(), post)
		if err != nil {
			t.Fatal(err)
		}
		if again.RemoteID != first.RemoteID || len(f.posts()) != 2 {
			t.Errorf("second publish: %v and %d records", again, len(f.posts()))
		}
	})
	t.Run("find then publish", func(t *testing.T) {
		f, pub, clock := setup(t)
		post := testPost(t)
		if _, err := pub.Publish(context.Background(), post); err != nil {
			t.Fatal(err)
		}
		restarted := newPublisher(t, pubBase(pub), clock, f.password)
		found, ok, err := restarted.Find(context.Background(), post)
		if err != nil || !ok || found.RemoteID != f.uri(recordKey("delivery-42", 0)) || !found.PublishedAt.Equal(epoch) {
			t.Fatalf("Find = %v, %v, %v", found, ok, err)
		}
		before := f.count("com.atproto.repo.createRecord")
		if _, err := restarted.Publish(context.Background(), post); err != nil {
			t.Fatal(err)
		}
		if n := f.count("com.atproto.repo.createRecord") - before; n != 0 {
			t.Errorf("a publish after Find sent %d createRecord calls, want lookups only", n)
		}
	})
	t.Run("find nothing", func(t *testing.T) {
		_, pub, _ := setup(t)
		if _, ok, err := pub.Find(context.Background(), testPost(t)); ok || err != nil {
			t.Errorf("Find on an empty repo = %v, %v", ok, err)
		}
	})
}

// TestInterruptedThreadCompletes: a thread whose second part failed is not
// "found", and the next attempt posts only the missing part.
func TestInterruptedThreadCompletes(t *testing.T) {
	f, pub, _ := setup(t)
	post := testPost(t)
	ctx := context.Background()
	f.failCreate = map[int]fakeFault{1: {status: 502, body: "<html>bad gateway</html>"}}
	_, err := pub.Publish(ctx, post)
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	if n := len(f.posts()); n != 1 {
		t.Fatalf("%d records after the failure, want 1", n)
	}
	if _, ok, err := pub.Find(ctx, post); ok || err != nil {
		t.Fatalf("Find on a half thread = %v, %v; want not found", ok, err)
	}
	res, err := pub.Publish(ctx, post)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.posts()); n != 2 || res.RemoteID != f.uri(recordKey("delivery-42", 0)) {
		t.Fatalf("%d records, result %v", n, res)
	}
	if n := f.count("com.atproto.repo.createRecord"); n != 3 {
		t.Errorf("createRecord called %d times, want 3 (part 1, failed part 2, part 2)", n)
	}
	if n := f.count("com.atproto.server.createSession"); n != 1 {
		t.Errorf("createSession called %d times, want 1", n)
	}
}

// TestRefusedThreadPartKeepsTheFirst: a part refused for good ends the
// thread; the parts before it are live, so their id comes back with the error.
func TestRefusedThreadPartKeepsTheFirst(t *testing.T) {
	f, pub, _ := setup(t)
	f.failCreate = map[int]fakeFault{1: {status: 400, body: `{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record"}`}}
	res, err := pub.Publish(context.Background(), testPost(t))
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Fatalf("err = %v, want permanent", err)
	}
	rkey := recordKey("delivery-42", 0)
	if res.RemoteID != f.uri(rkey) || res.RemoteURL != "https://bsky.app/profile/alice.test/post/"+rkey {
		t.Errorf("result = %+v, want the first post, which went out", res)
	}
	for _, w := range []string{"thread part 2/2", "the first 1 are live", "Invalid app.bsky.feed.post record"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func pubBase(p *Publisher) string { return p.pds }

func TestPublishWithoutIdempotencyKey(t *testing.T) {
	f, pub, _ := setup(t)
	post := publishers.Post{Text: "no key"}
	for range 2 {
		if _, err := pub.Publish(context.Background(), post); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.posts()); n != 2 {
		t.Errorf("%d records, want 2: without a key each publish is a new post", n)
	}
	if _, ok, err := pub.Find(context.Background(), post); ok || err != nil {
		t.Errorf("Find without a key = %v, %v", ok, err)
	}
}

func TestCheck(t *testing.T) {
	f, pub, _ := setup(t)
	got, err := pub.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := "authenticated as alice.test (did:plc:alice)"; got != want {
		t.Errorf("Check = %q, want %q", got, want)
	}
	if f.count("com.atproto.repo.createRecord") != 0 {
		t.Errorf("Check posted")
	}
}

func TestPreview(t *testing.T) {
	_, pub, _ := setup(t)
	pv := pub.Preview(testPost(t))
	if len(pv.Parts) != 2 || pv.Parts[0] != richText || pv.Limit != 300 || pv.Unit != "graphemes" {
		t.Fatalf("preview %+v", pv)
	}
	if pv.Count[0] != publishers.CountGraphemes(richText) {
		t.Errorf("count %d", pv.Count[0])
	}
	for _, want := range []string{"mention @bob.test", "tag #crieur", "link https://example.com/café?utm_source=crieur", "part 2: mention @alice.test", "embed: 1 image(s)"} {
		if !strings.Contains(pv.Extra, want) {
			t.Errorf("preview extra lacks %q:\n%s", want, pv.Extra)
		}
	}
	if len(pv.Problems) != 0 {
		t.Errorf("problems %v", pv.Problems)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	img := pngFile(t, dir, "ok.png", 4, 3)
	big := filepath.Join(dir, "big.png")
	data, _ := os.ReadFile(img)
	if err := os.WriteFile(big, append(data, make([]byte, maxImageBytes)...), 0o600); err != nil {
		t.Fatal(err)
	}
	txt := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(txt, []byte("just words"), 0o600); err != nil {
		t.Fatal(err)
	}
	family := "👨‍👩‍👧‍👦" // one grapheme, 25 bytes
	cases := []struct {
		name   string
		post   publishers.Post
		fields []string // fields of the expected problems, in order
	}{
		{"valid", publishers.Post{Text: "hello", Media: []publishers.Media{{Path: img, Alt: "x"}}}, nil},
		{"long text is split, not refused", publishers.Post{Text: strings.Repeat("word ", 200)}, nil},
		{"image only", publishers.Post{Media: []publishers.Media{{Path: img}}}, nil},
		{"empty", publishers.Post{}, []string{"text"}},
		{"explicit first part too long", publishers.Post{Text: strings.Repeat("é", 301), Thread: []string{"ok"}}, []string{"text"}},
		{"explicit part over 3000 bytes", publishers.Post{Text: "ok", Thread: []string{strings.Repeat(family, 150)}}, []string{"thread[0]"}},
		{"empty thread part", publishers.Post{Text: "ok", Thread: []string{"ok", " "}}, []string{"thread[1]"}},
		{"five images", publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}, {Path: img}, {Path: img}, {Path: img}, {Path: img}}}, []string{"media"}},
		{"image too big", publishers.Post{Text: "x", Media: []publishers.Media{{Path: big}}}, []string{"media[0]"}},
		{"not an image", publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}, {Path: txt}}}, []string{"media[1]"}},
		{"missing file", publishers.Post{Text: "x", Media: []publishers.Media{{Path: filepath.Join(dir, "nope.png")}}}, []string{"media[0]"}},
	}
	_, pub, _ := setup(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			probs := pub.Validate(c.post)
			var got []string
			for _, p := range probs {
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != strings.Join(c.fields, ",") {
				t.Errorf("problems %v, want fields %v", probs, c.fields)
			}
		})
	}
}

func TestPublishRefusesInvalidPost(t *testing.T) {
	f, pub, _ := setup(t)
	_, err := pub.Publish(context.Background(), publishers.Post{Text: strings.Repeat("x", 301), Thread: []string{"y"}})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent || !strings.Contains(err.Error(), "301/300 graphemes") {
		t.Fatalf("err = %v, want a permanent error naming the length", err)
	}
	if len(f.callLog()) != 0 {
		t.Errorf("an invalid post reached the network: %v", f.callLog())
	}
}

func TestNewRequiresSettings(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		want     string
	}{
		{"no handle", map[string]string{}, map[string]string{"app_password": "x"}, "handle"},
		{"no password", map[string]string{"handle": "a.test"}, nil, "app_password"},
		{"bad pds", map[string]string{"handle": "a.test", "pds": "ftp://x"}, map[string]string{"app_password": "x"}, "pds"},
		{"too many langs", map[string]string{"handle": "a.test", "langs": "en,fr,de,es"}, map[string]string{"app_password": "x"}, "langs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Settings: c.settings, Secrets: c.secrets})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one naming %s", err, c.want)
			}
		})
	}
	p, err := New(publishers.Config{Settings: map[string]string{"handle": "@a.test"}, Secrets: map[string]string{"app_password": "x"}})
	if err != nil || p.pds != defaultPDS || p.handle != "a.test" {
		t.Errorf("defaults: %v, %+v", err, p)
	}
	nw, err := publishers.Lookup("bluesky")
	if err != nil || nw.Safety != publishers.RetryLookup {
		t.Errorf("registration: %v, %+v", err, nw)
	}
	if missing := nw.Missing(map[string]string{}, map[string]string{}); strings.Join(missing, ",") != "setting handle,secret app_password" {
		t.Errorf("Missing = %v", missing)
	}
}
