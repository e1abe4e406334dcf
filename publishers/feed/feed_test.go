package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"github.com/crieur/crieur/publishers"
)

var t0 = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

// clock returns a clock that starts at t0 and moves a minute per reading, so
// every publish has its own instant.
func clock() func() time.Time {
	var n atomic.Int64
	return func() time.Time { return t0.Add(time.Duration(n.Add(1)-1) * time.Minute) }
}

func newPub(t *testing.T, settings map[string]string, now func() time.Time) *Publisher {
	t.Helper()
	p, err := New(publishers.Config{Channel: "acme-blog", Settings: settings, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Publisher)
}

func parseRSS(t *testing.T, path string) *rss.Feed {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed, err := (&rss.Parser{}).Parse(f)
	if err != nil {
		t.Fatalf("RSS does not parse: %v", err)
	}
	return feed
}

func parseAtom(t *testing.T, path string) *atom.Feed {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	feed, err := (&atom.Parser{}).Parse(f)
	if err != nil {
		t.Fatalf("Atom does not parse: %v", err)
	}
	return feed
}

// parseAny reads a file the way a feed reader does.
func parseAny(t *testing.T, path string) *gofeed.Feed {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	feed, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	return feed
}

func TestRegistered(t *testing.T) {
	nw, err := publishers.Lookup(Name)
	if err != nil {
		t.Fatal(err)
	}
	if nw.Safety != publishers.RetryIdempotent {
		t.Errorf("Safety = %v, want idempotent", nw.Safety)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		wantErr  string
		atom     string
		title    string
		max      int
	}{
		{"derived atom path", map[string]string{"path": "/srv/site/feed.xml"}, "", "/srv/site/feed.atom", "acme-blog", 50},
		{"no extension", map[string]string{"path": "/srv/feed"}, "", "/srv/feed.atom", "acme-blog", 50},
		{"explicit atom path", map[string]string{"path": "/srv/rss.xml", "atom_path": "/srv/atom.xml", "title": "Acme", "max_items": "7"}, "", "/srv/atom.xml", "Acme", 7},
		{"atom is the rss file", map[string]string{"path": "/srv/feed.atom"}, "same file", "", "", 0},
		{"missing path", map[string]string{"title": "x"}, "path", "", "", 0},
		{"bad max", map[string]string{"path": "/srv/f.xml", "max_items": "0"}, "max_items", "", "", 0},
		{"relative link", map[string]string{"path": "/srv/f.xml", "link": "acme.example"}, "link", "", "", 0},
		{"relative media url", map[string]string{"path": "/srv/f.xml", "media_url": "/media"}, "media_url", "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Channel: "acme-blog", Settings: c.settings})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			fp := p.(*Publisher)
			if fp.atomPath != c.atom || fp.title != c.title || fp.maxItems != c.max {
				t.Errorf("atom %q title %q max %d, want %q %q %d", fp.atomPath, fp.title, fp.maxItems, c.atom, c.title, c.max)
			}
		})
	}
}

func writePNG(t *testing.T, path string) int64 {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 3, 2))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(buf.Len())
}

func TestPublishFields(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "door photo.png")
	size := writePNG(t, img)
	settings := map[string]string{"path": filepath.Join(dir, "feed.xml"), "title": "Acme blog", "link": "https://acme.example/",
		"description": "News from Acme", "author": "Acme team", "media_url": "https://cdn.acme.example/media/"}
	p := newPub(t, settings, func() time.Time { return t0.Add(123 * time.Millisecond) })
	post := publishers.Post{DeliveryID: 4, IdempotencyKey: "crieur-4 launch", Title: "Launch & more",
		Text: "We **opened** the <door>.\n\n- one\n- two", Markdown: true, Link: "https://acme.example/launch",
		Tags: []string{"news", " launch "}, Media: []publishers.Media{{Path: img, Alt: "the door"}}}
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	wantID := "tag:crieur,2026:crieur-4%20launch"
	if res.RemoteID != wantID || res.RemoteURL != "https://acme.example/launch" || !res.PublishedAt.Equal(t0) {
		t.Errorf("result = %+v", res)
	}
	wantHTML := "<p>We <strong>opened</strong> the <!-- raw HTML omitted -->.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"

	r := parseRSS(t, settings["path"])
	if r.Version != "2.0" || r.Title != "Acme blog" || r.Link != "https://acme.example/" || r.Description != "News from Acme" {
		t.Errorf("RSS channel = %q %q %q %q", r.Version, r.Title, r.Link, r.Description)
	}
	if len(r.Items) != 1 {
		t.Fatalf("RSS items = %d", len(r.Items))
	}
	ri := r.Items[0]
	var cats []string
	for _, c := range ri.Categories {
		cats = append(cats, c.Value)
	}
	checks := []struct{ what, got, want string }{
		{"title", ri.Title, "Launch & more"},
		{"link", ri.Link, "https://acme.example/launch"},
		{"guid", ri.GUID.Value, wantID},
		{"guid isPermaLink", ri.GUID.IsPermalink, "false"},
		{"description", ri.Description, wantHTML},
		{"pubDate", ri.PubDate, "Wed, 25 Nov 2026 09:30:00 +0000"},
		{"categories", strings.Join(cats, ","), "news,launch"},
		{"enclosure url", ri.Enclosure.URL, "https://cdn.acme.example/media/door%20photo.png"},
		{"enclosure type", ri.Enclosure.Type, "image/png"},
		{"enclosure length", ri.Enclosure.Length, strconv.FormatInt(size, 10)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("RSS %s = %q, want %q", c.what, c.got, c.want)
		}
	}

	a := parseAtom(t, filepath.Join(dir, "feed.atom"))
	if a.Title != "Acme blog" || a.ID != "https://acme.example/" || a.Subtitle != "News from Acme" ||
		a.Updated != "2026-11-25T09:30:00Z" || len(a.Authors) != 1 || a.Authors[0].Name != "Acme team" {
		t.Errorf("Atom feed = %q %q %q %q %v", a.Title, a.ID, a.Subtitle, a.Updated, a.Authors)
	}
	if len(a.Entries) != 1 {
		t.Fatalf("Atom entries = %d", len(a.Entries))
	}
	e := a.Entries[0]
	var links, terms []string
	for _, l := range e.Links {
		links = append(links, l.Rel+" "+l.Href+" "+l.Type+" "+l.Length)
	}
	for _, c := range e.Categories {
		terms = append(terms, c.Term)
	}
	achecks := []struct{ what, got, want string }{
		{"id", e.ID, wantID},
		{"title", e.Title, "Launch & more"},
		{"updated", e.Updated, "2026-11-25T09:30:00Z"},
		{"published", e.Published, "2026-11-25T09:30:00Z"},
		{"content type", e.Content.Type, "html"},
		{"content", e.Content.Value, wantHTML},
		{"links", strings.Join(links, " | "), "alternate https://acme.example/launch   | enclosure https://cdn.acme.example/media/door%20photo.png image/png " + strconv.FormatInt(size, 10)},
		{"categories", strings.Join(terms, ","), "news,launch"},
	}
	for _, c := range achecks {
		if c.got != c.want {
			t.Errorf("Atom %s = %q, want %q", c.what, c.got, c.want)
		}
	}
	// A reader that detects the format sees the same item in both files.
	for _, path := range []string{settings["path"], filepath.Join(dir, "feed.atom")} {
		f := parseAny(t, path)
		it := f.Items[0]
		if it.GUID != wantID || it.Title != "Launch & more" || it.Link != "https://acme.example/launch" ||
			it.PublishedParsed == nil || !it.PublishedParsed.Equal(t0) || len(it.Enclosures) != 1 {
			t.Errorf("%s (%s): item = %+v", path, f.FeedType, it)
		}
	}
}

func TestPublishPlainTextNoKeyNoMedia(t *testing.T) {
	dir := t.TempDir()
	p := newPub(t, map[string]string{"path": filepath.Join(dir, "feed.rss")}, clock())
	_, err := p.Publish(context.Background(), publishers.Post{Text: "First <line>\nsecond\n\nthird", Link: "https://acme.example/p"})
	if err != nil {
		t.Fatal(err)
	}
	ri := parseRSS(t, filepath.Join(dir, "feed.rss")).Items[0]
	if ri.Title != "First <line>" || ri.GUID.Value != "https://acme.example/p" || ri.GUID.IsPermalink != "true" ||
		ri.Description != "<p>First &lt;line&gt;<br>\nsecond</p>\n<p>third</p>\n" || ri.Enclosure != nil {
		t.Errorf("item = title %q guid %+v description %q enclosure %v", ri.Title, ri.GUID, ri.Description, ri.Enclosure)
	}
	a := parseAtom(t, filepath.Join(dir, "feed.atom"))
	if a.ID != "tag:crieur,2026:feed/acme-blog" || a.Authors[0].Name != "acme-blog" {
		t.Errorf("Atom feed id %q author %v", a.ID, a.Authors)
	}
}

func TestEnclosureFileURL(t *testing.T) {
	dir := t.TempDir()
	audio := filepath.Join(dir, "ep1.mp3")
	if err := os.WriteFile(audio, []byte("ID3\x03\x00\x00\x00\x00\x00\x00rest"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPub(t, map[string]string{"path": filepath.Join(dir, "feed.xml")}, clock())
	if _, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Title: "ep", Media: []publishers.Media{{Path: audio}}}); err != nil {
		t.Fatal(err)
	}
	enc := parseRSS(t, filepath.Join(dir, "feed.xml")).Items[0].Enclosure
	if enc.URL != "file://"+filepath.ToSlash(audio) || enc.Type != "audio/mpeg" || enc.Length != "14" {
		t.Errorf("enclosure = %+v", enc)
	}
}

func TestSameKeyReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	p := newPub(t, map[string]string{"path": path}, clock())
	ctx := context.Background()
	first, err := p.Publish(ctx, publishers.Post{IdempotencyKey: "k1", Title: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(ctx, publishers.Post{IdempotencyKey: "k2", Title: "two"}); err != nil {
		t.Fatal(err)
	}
	again, err := p.Publish(ctx, publishers.Post{IdempotencyKey: "k1", Title: "one, retried"})
	if err != nil {
		t.Fatal(err)
	}
	if again.RemoteID != first.RemoteID {
		t.Errorf("retry has id %q, first had %q", again.RemoteID, first.RemoteID)
	}
	for _, f := range []string{path, filepath.Join(dir, "feed.atom")} {
		var got []string
		for _, it := range parseAny(t, f).Items {
			got = append(got, it.GUID+"="+it.Title)
		}
		want := []string{"tag:crieur,2026:k1=one, retried", "tag:crieur,2026:k2=two"}
		if !slices.Equal(got, want) {
			t.Errorf("%s items = %v, want %v", f, got, want)
		}
	}
}

func TestMaxItems(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	p := newPub(t, map[string]string{"path": path, "max_items": "3"}, clock())
	for i := 1; i <= 5; i++ {
		if _, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: fmt.Sprint(i), Title: fmt.Sprint("post ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{path, filepath.Join(dir, "feed.atom")} {
		var got []string
		for _, it := range parseAny(t, f).Items {
			got = append(got, it.Title)
		}
		if want := []string{"post 5", "post 4", "post 3"}; !slices.Equal(got, want) {
			t.Errorf("%s keeps %v, want %v", f, got, want)
		}
	}
}

// TestConcurrent runs two publishers on one file, as two daemons would, and
// a reader that must never see a partial file.
func TestConcurrent(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	settings := map[string]string{"path": path, "max_items": "1000"}
	now := clock()
	a, b := newPub(t, settings, now), newPub(t, settings, now)

	done := make(chan struct{})
	var reads atomic.Int64
	readerErr := make(chan error, 1)
	go func() {
		defer close(readerErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, f := range []string{path, filepath.Join(dir, "feed.atom")} {
				data, err := os.ReadFile(f)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err == nil {
					_, err = gofeed.NewParser().ParseString(string(data))
				}
				if err != nil {
					readerErr <- fmt.Errorf("%s seen partial: %v", f, err)
					return
				}
				reads.Add(1)
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for w, p := range []*Publisher{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := fmt.Sprintf("w%d-%d", w, i)
				if _, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: key, Title: key}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-readerErr; err != nil {
		t.Error(err)
	}
	if reads.Load() == 0 {
		t.Error("the reader never read the file")
	}
	for _, f := range []string{path, filepath.Join(dir, "feed.atom")} {
		items := parseAny(t, f).Items
		seen := map[string]bool{}
		for _, it := range items {
			seen[it.Title] = true
		}
		if len(items) != 100 || len(seen) != 100 {
			t.Errorf("%s holds %d items (%d distinct), want 100", f, len(items), len(seen))
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestRefusesForeignFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.html")
	orig := []byte("<!DOCTYPE html><html><body>my site</body></html>")
	if err := os.WriteFile(path, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPub(t, map[string]string{"path": path}, clock())
	_, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Title: "t"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("Publish over a web page = %v (%v), want a permanent refusal", err, class)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, orig) {
		t.Error("the foreign file was changed")
	}
	if _, err := p.Check(context.Background()); err == nil {
		t.Error("Check accepted a foreign file")
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	p := newPub(t, map[string]string{"path": filepath.Join(dir, "missing", "feed.xml")}, clock())
	_, err := p.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Title: "t"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Errorf("missing folder: %v (%v), want permanent", err, class)
	}
	if _, err := p.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Check with a missing folder = %v", err)
	}
	ok := newPub(t, map[string]string{"path": filepath.Join(dir, "feed.xml")}, clock())
	if msg, err := ok.Check(context.Background()); err != nil || !strings.Contains(msg, "0 of at most 50 items") {
		t.Errorf("Check = %q, %v", msg, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = ok.Publish(ctx, publishers.Post{IdempotencyKey: "k", Title: "t"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Errorf("canceled context: %v (%v), want transient", err, class)
	}
	if _, err := os.Stat(filepath.Join(dir, "feed.xml")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a canceled publish wrote the feed")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	p := newPub(t, map[string]string{"path": filepath.Join(dir, "feed.xml")}, clock())
	cases := []struct {
		post publishers.Post
		want []string
	}{
		{publishers.Post{Title: "t"}, nil},
		{publishers.Post{Text: "body"}, nil},
		{publishers.Post{Text: " "}, []string{"text"}},
		{publishers.Post{Title: "t", Media: []publishers.Media{{Path: dir}, {Path: filepath.Join(dir, "gone.png")}}}, []string{"media[0]", "media[1]"}},
	}
	for _, c := range cases {
		var got []string
		for _, pr := range p.Validate(c.post) {
			got = append(got, pr.Field)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Validate(%+v) = %v, want %v", c.post, got, c.want)
		}
		if c.want != nil {
			if _, err := p.Publish(context.Background(), c.post); err == nil {
				t.Errorf("Publish(%+v) succeeded", c.post)
			}
		}
	}
}

func TestPreview(t *testing.T) {
	p := newPub(t, map[string]string{"path": filepath.Join(t.TempDir(), "feed.xml")}, clock())
	pv := p.Preview(publishers.Post{Title: "Hello", Text: "Some *words*.", Markdown: true})
	if len(pv.Parts) != 1 || pv.Parts[0] != "Hello\n\nSome words." || pv.Extra != "<p>Some <em>words</em>.</p>\n" {
		t.Errorf("preview = %+v", pv)
	}
}
