package log

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

var (
	now     = time.Date(2026, 11, 25, 9, 0, 5, 0, time.UTC)
	clock   = func() time.Time { return now }
	fullPst = publishers.Post{
		IdempotencyKey: "d42-a1",
		Slug:           "spring-sale",
		Title:          "Spring sale",
		Text:           "Our bikes are 20% off.\nCome and see!",
		Link:           "https://shop.example/bikes?utm_source=log",
		Media:          []publishers.Media{{Path: "img/bike.jpg", Alt: "A red bike"}, {Path: "img/logo.png"}},
		Thread:         []string{"Second part.", "Third part\non two lines."},
		Tags:           []string{"sale", "#bikes"},
		ScheduledAt:    now.Add(-5 * time.Second),
	}
)

func newPub(t *testing.T, settings map[string]string, out *bytes.Buffer) *Publisher {
	t.Helper()
	return newPubIn(t, settings, out, nil)
}

// newPubIn builds a log publisher for a calendar in zone (nil: none given).
func newPubIn(t *testing.T, settings map[string]string, out *bytes.Buffer, zone *time.Location) *Publisher {
	t.Helper()
	nw, err := publishers.Lookup("log")
	if err != nil {
		t.Fatal(err)
	}
	cfg := publishers.Config{Channel: "demo-log", Settings: settings, Now: clock, Zone: zone}
	if out != nil {
		cfg.Out = out
	}
	p, err := nw.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return publishers.Unwrap(p).(*Publisher)
}

func TestRender(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		zone *time.Location // the calendar's (nil: not given, UTC)
		post publishers.Post
		want string
	}{
		{"full", nil, fullPst, `┌ 2026-11-25T09:00:05Z · demo-log · spring-sale · planned 2026-11-25T09:00:00Z (5s late)
│ # Spring sale
│ Our bikes are 20% off.
│ Come and see!
│ ↳ 2/3  Second part.
│ ↳ 3/3  Third part
│        on two lines.
│ 🔗 https://shop.example/bikes?utm_source=log
│ 🖼 img/bike.jpg — alt "A red bike"
│ 🖼 img/logo.png — alt (no alt text)
│ #sale #bikes
└ key: d42-a1
`},
		{"minimal, on time, no key", nil, publishers.Post{Text: "Hello", ScheduledAt: now}, `┌ 2026-11-25T09:00:05Z · demo-log
│ Hello
└
`},
		{"forged marker stays inside", nil, publishers.Post{Text: "└ key: other", IdempotencyKey: "k 1\n2"}, `┌ 2026-11-25T09:00:05Z · demo-log
│ └ key: other
└ key: k_1_2
`},
		// A calendar in Paris reads its log in Paris time, offset given.
		{"calendar's zone", paris, publishers.Post{Slug: "late", Text: "Bonjour", ScheduledAt: now.Add(-90 * time.Second)}, `┌ 2026-11-25T10:00:05+01:00 · demo-log · late · planned 2026-11-25T09:58:35+01:00 (1m30s late)
│ Bonjour
└
`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			p := newPubIn(t, map[string]string{"path": "-"}, &out, c.zone)
			if probs := p.Validate(c.post); probs != nil {
				t.Errorf("Validate = %v", probs)
			}
			if _, err := p.Publish(context.Background(), c.post); err != nil {
				t.Fatal(err)
			}
			if out.String() != c.want {
				t.Errorf("got\n%s\nwant\n%s", out.String(), c.want)
			}
		})
	}
}

func TestStdoutResults(t *testing.T) {
	var out bytes.Buffer
	p := newPub(t, nil, &out)
	ctx := context.Background()
	r1, _ := p.Publish(ctx, publishers.Post{Text: "one"})
	r2, _ := p.Publish(ctx, publishers.Post{Text: "two", IdempotencyKey: "k2"})
	r3, _ := p.Publish(ctx, publishers.Post{Text: "two again", IdempotencyKey: "k2"})
	r4, _ := p.Publish(ctx, publishers.Post{Text: "three"})
	for _, c := range []struct{ got, want string }{
		{r1.RemoteID, "line-1"}, {r2.RemoteID, "k2"}, {r3.RemoteID, "k2"}, {r4.RemoteID, "line-7"},
	} {
		if c.got != c.want {
			t.Errorf("RemoteID = %q, want %q", c.got, c.want)
		}
	}
	if strings.Contains(out.String(), "two again") {
		t.Errorf("a repeated key was written again:\n%s", out.String())
	}
	if !r1.PublishedAt.Equal(now) {
		t.Errorf("PublishedAt = %v, want the injected clock", r1.PublishedAt)
	}
	if msg, err := p.Check(ctx); err != nil || msg != "writes to standard output" {
		t.Errorf("Check = %q, %v", msg, err)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "deeper", "posts.log")
	ctx := context.Background()
	p := newPub(t, map[string]string{"path": path}, nil)

	if msg, err := p.Check(ctx); err != nil || msg != "appends to "+path {
		t.Fatalf("Check = %q, %v", msg, err)
	}
	r, err := p.Publish(ctx, fullPst)
	if err != nil {
		t.Fatal(err)
	}
	if r.RemoteID != "d42-a1" || r.RemoteURL != "" {
		t.Errorf("result = %+v", r)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode = %o, want 600", mode)
	}

	// A retry through the same publisher, and through a new one (a restart),
	// finds the key in the file and writes nothing.
	before := read(t, path)
	for _, q := range []*Publisher{p, newPub(t, map[string]string{"path": path}, nil)} {
		r, err := q.Publish(ctx, fullPst)
		if err != nil || r.RemoteID != "d42-a1" || r.RemoteURL != "" {
			t.Errorf("retry = %+v, %v", r, err)
		}
	}
	if after := read(t, path); after != before {
		t.Errorf("a retry wrote again:\n%s", after)
	}

	// A post without a key is found by its first line.
	r, err = p.Publish(ctx, publishers.Post{Text: "no key"})
	if err != nil {
		t.Fatal(err)
	}
	if r.RemoteID != "line-13" || r.RemoteURL != "" {
		t.Errorf("result = %+v", r)
	}
	if got := strings.Split(read(t, path), "\n")[12]; !strings.HasPrefix(got, "┌ ") {
		t.Errorf("line 13 = %q, want the block's header", got)
	}
}

func TestFileAfterCrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "posts.log")
	// A crash cut the block of k1 before its marker, mid-line; another
	// process wrote a whole block for k0 before it.
	cut := "┌ 2026-11-25T08:00:00Z · demo-log\n│ old\n└ key: k0\n┌ 2026-11-25T09:00:00Z · demo-log\n│ half\n└ key: k"
	if err := os.WriteFile(path, []byte(cut), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPub(t, map[string]string{"path": path}, nil)
	ctx := context.Background()
	if _, err := p.Publish(ctx, publishers.Post{Text: "old, retried", IdempotencyKey: "k0"}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != cut {
		t.Fatalf("k0 was written again:\n%s", got)
	}
	r, err := p.Publish(ctx, publishers.Post{Text: "whole", IdempotencyKey: "k1"})
	if err != nil || r.RemoteID != "k1" {
		t.Fatalf("Publish = %+v, %v", r, err)
	}
	want := cut + " [cut short]\n┌ 2026-11-25T09:00:05Z · demo-log\n│ whole\n└ key: k1\n"
	if got := read(t, path); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// The cut marker "k" never counts as a written key.
	r, err = newPub(t, map[string]string{"path": path}, nil).Publish(ctx, publishers.Post{Text: "k", IdempotencyKey: "k"})
	if err != nil || !strings.HasSuffix(read(t, path), "│ k\n└ key: k\n") {
		t.Errorf("key k was taken as written: %+v, %v", r, err)
	}
	// Lines are counted across the cut: the next keyless block starts at line 13.
	r, _ = p.Publish(ctx, publishers.Post{Text: "x"})
	if r.RemoteID != "line-13" {
		t.Errorf("RemoteID = %q, want line-13", r.RemoteID)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name  string
		path  string
		ctx   context.Context
		class publishers.Class
	}{
		{"path is a directory", dir, context.Background(), publishers.Permanent},
		{"parent is a file", filepath.Join(blocker, "posts.log"), context.Background(), publishers.Permanent},
		{"canceled", filepath.Join(dir, "ok.log"), canceled, publishers.Transient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newPub(t, map[string]string{"path": c.path}, nil)
			_, err := p.Publish(c.ctx, publishers.Post{Text: "x", IdempotencyKey: "k"})
			if err == nil {
				t.Fatal("Publish succeeded")
			}
			if class, _ := publishers.Classify(err); class != c.class {
				t.Errorf("class = %v, want %v (%v)", class, c.class, err)
			}
		})
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
