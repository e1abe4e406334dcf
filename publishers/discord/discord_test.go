package discord

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

func config(base string) publishers.Config {
	return publishers.Config{
		Channel:  "dc",
		Settings: map[string]string{},
		Secrets:  map[string]string{"webhook_url": base + hookPath},
		Now:      func() time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC) },
	}
}

func TestConformance(t *testing.T) {
	photo := publishertest.WriteFile(t, "cover.png", "PNG DATA")
	publishertest.Run(t, publishertest.Suite{
		Network:   "discord",
		Handler:   func(t *testing.T) http.Handler { return &fakeDiscord{t: t} },
		Configure: config,
		Post:      publishertest.ThreadPost(photo),
		Alt:       true,
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, run := range h.(*fakeDiscord).recorded() {
				a := publishertest.Arrived{Text: run.payload.Content}
				for _, at := range run.payload.Attachments {
					a.Media = append(a.Media, publishertest.Media{Name: at.Filename, Alt: at.Description})
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "1001" || r.RemoteURL != "https://discord.com/channels/777/555/1001" {
				t.Errorf("result = %+v", r)
			}
			if !r.PublishedAt.Equal(time.Date(2026, 1, 1, 9, 0, 0, 123e6, time.UTC)) {
				t.Errorf("PublishedAt = %v, want the message timestamp", r.PublishedAt)
			}
		},
		RateLimited: publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "3"},
			Body: `{"message":"You are being rate limited.","retry_after":2.5,"global":false}`},
		RateLimitWait: 2500 * time.Millisecond,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"message":"401: Unauthorized","code":0}`},
		Invalid: publishertest.Fault{Status: 400,
			Body: `{"message":"Invalid Form Body","code":50035,"errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}}`},
		InvalidText: "content: Must be 2000 or fewer in length.",
		ServerError: publishertest.Fault{Status: 502, Body: "error code: 502"},
	})
}

func newPublisher(t *testing.T, h http.Handler, settings map[string]string) *Publisher {
	t.Helper()
	return publishertest.Start(t, h, New, config, settings).(*Publisher)
}

func TestPublish(t *testing.T) {
	a := publishertest.WriteFile(t, "a.png", "PNG A")
	b := publishertest.WriteFile(t, "b.mp4", "MP4 B")
	long := strings.Repeat("Words go here and on. ", 100) // 2,200 characters: two messages
	cases := []struct {
		name     string
		post     publishers.Post
		settings map[string]string
		contents []string // "*": not checked
		check    func(t *testing.T, runs []execution)
	}{
		{"text", publishers.Post{Text: "Hello **world**"}, nil, []string{"Hello **world**"}, nil},
		{"long text is several messages", publishers.Post{Text: long}, nil, []string{"*", "*"},
			func(t *testing.T, runs []execution) {
				if runs[0].payload.Content+" "+runs[1].payload.Content != strings.TrimSpace(long) {
					t.Errorf("the messages do not add up to the text")
				}
			}},
		{"thread", publishers.Post{Text: "One", Thread: []string{"Two"}}, nil, []string{"One", "Two"}, nil},
		{"files with alt text on the first message", publishers.Post{Text: "Look", Thread: []string{"More"},
			Media: []publishers.Media{{Path: a, Alt: "A red door"}, {Path: b}}}, nil, []string{"Look", "More"},
			func(t *testing.T, runs []execution) {
				want := []attachment{{0, "a.png", "A red door"}, {1, "b.mp4", ""}}
				got := runs[0].payload.Attachments
				if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
					t.Errorf("attachments = %+v, want %+v", got, want)
				}
				if runs[0].files["files[0]"] != "PNG A" || runs[0].files["files[1]"] != "MP4 B" {
					t.Errorf("files = %v", runs[0].files)
				}
				if len(runs[1].files) != 0 {
					t.Errorf("the second message re-sent files")
				}
			}},
		{"media alone", publishers.Post{Media: []publishers.Media{{Path: a}}}, nil, []string{""}, nil},
		{"link appended", publishers.Post{Text: "Read", Link: "https://example.org/x"}, nil, []string{"Read\n\nhttps://example.org/x"}, nil},
		{"no pings by default", publishers.Post{Text: "@everyone hi"}, nil, []string{"@everyone hi"},
			func(t *testing.T, runs []execution) {
				if p := runs[0].payload.AllowedMentions.Parse; len(p) != 0 {
					t.Errorf("allowed_mentions.parse = %v, want empty", p)
				}
			}},
		{"pings allowed by setting", publishers.Post{Text: "<@&42> hi"}, map[string]string{"mentions": "roles, users"}, []string{"<@&42> hi"},
			func(t *testing.T, runs []execution) {
				if p := runs[0].payload.AllowedMentions.Parse; strings.Join(p, ",") != "roles,users" {
					t.Errorf("allowed_mentions.parse = %v", p)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeDiscord{t: t}
			pub := newPublisher(t, fake, c.settings)
			res, err := pub.Publish(context.Background(), c.post)
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if res.RemoteID != "1001" {
				t.Errorf("RemoteID = %q, want the first message", res.RemoteID)
			}
			runs := fake.recorded()
			if len(runs) != len(c.contents) {
				t.Fatalf("%d messages, want %d", len(runs), len(c.contents))
			}
			for i, want := range c.contents {
				if want != "*" && runs[i].payload.Content != want {
					t.Errorf("message %d = %q, want %q", i, runs[i].payload.Content, want)
				}
			}
			if c.check != nil {
				c.check(t, runs)
			}
		})
	}
}

func TestGuildIsReadOnce(t *testing.T) {
	fake := &fakeDiscord{t: t}
	pub := newPublisher(t, fake, nil)
	for range 2 {
		res, err := pub.Publish(context.Background(), publishers.Post{Text: "Hi"})
		if err != nil || !strings.HasPrefix(res.RemoteURL, "https://discord.com/channels/777/555/") {
			t.Fatalf("res = %+v, err = %v", res, err)
		}
	}
	if fake.reads != 1 {
		t.Errorf("the webhook was read %d times, want once", fake.reads)
	}
}

func TestErrors(t *testing.T) {
	cases := []publishertest.ErrorCase{
		{Name: "rate limit from the body", Status: 429, Body: `{"message":"You are being rate limited.","retry_after":0.75,"global":true}`, Class: publishers.RateLimited, Wait: 750 * time.Millisecond, Text: "rate limited"},
		{Name: "rate limit from the header", Status: 429, Header: map[string]string{"Retry-After": "9"}, Body: `<html>banned</html>`, Class: publishers.RateLimited, Wait: 9 * time.Second, Text: "Too Many Requests"},
		{Name: "deleted webhook", Status: 404, Body: `{"message":"Unknown Webhook","code":10015}`, Class: publishers.Auth, Text: "webhook was deleted"},
		{Name: "bad token", Status: 401, Body: `{"message":"Invalid Webhook Token","code":50027}`, Class: publishers.Auth, Text: "Invalid Webhook Token"},
		{Name: "missing permissions", Status: 403, Body: `{"message":"Missing Permissions","code":50013}`, Class: publishers.Auth, Text: "Missing Permissions"},
		{Name: "too large", Status: 413, Body: `{"message":"Request entity too large","code":40005}`, Class: publishers.Permanent, Text: "too large"},
		{Name: "nested form errors", Status: 400, Body: `{"code":50035,"message":"Invalid Form Body","errors":{"attachments":{"0":{"description":{"_errors":[{"message":"Too long."}]}}}}}`, Class: publishers.Permanent, Text: "attachments.0.description: Too long."},
		{Name: "outage", Status: 503, Body: `upstream connect error`, Class: publishers.Transient, Text: "upstream"},
	}
	publishertest.CheckErrors(t, cases, func(t *testing.T, h http.Handler) error {
		_, err := newPublisher(t, h, nil).Publish(context.Background(), publishers.Post{Text: "Hi"})
		return err
	})
}

func TestPartialIsNotRetried(t *testing.T) {
	fake := &fakeDiscord{t: t}
	posts := 0
	pub := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts++
			if posts == 2 {
				w.WriteHeader(500)
				return
			}
		}
		fake.ServeHTTP(w, r)
	}), nil)
	res, err := pub.Publish(context.Background(), publishers.Post{Text: "One", Thread: []string{"Two"}})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Fatalf("err = %v, want permanent", err)
	}
	if res.RemoteID != "1001" || !strings.Contains(err.Error(), "only 1 of 2") {
		t.Errorf("res = %+v, err = %v", res, err)
	}
}

func TestWebhookNeverInErrors(t *testing.T) {
	base := publishertest.ClosedURL()
	pub, err := New(config(base))
	if err != nil {
		t.Fatal(err)
	}
	_, perr := pub.Publish(context.Background(), publishers.Post{Text: "Hi"})
	_, cerr := pub.(publishers.Checker).Check(context.Background())
	for _, err := range []error{perr, cerr} {
		if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
			t.Fatalf("err = %v, want transient", err)
		}
		if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "webhooks/") {
			t.Errorf("error leaks the webhook: %v", err)
		}
	}

	// An answer echoing the URL is redacted too.
	echo := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, 400, map[string]any{"message": "bad request to " + r.URL.Path})
	}), nil)
	_, err = echo.Publish(context.Background(), publishers.Post{Text: "Hi"})
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	a := publishertest.WriteFile(t, "a.png", "PNG")
	big := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 3<<20); err != nil {
		t.Fatal(err)
	}
	eleven := make([]publishers.Media, 11)
	for i := range eleven {
		eleven[i] = publishers.Media{Path: a}
	}
	cases := []struct {
		name     string
		settings map[string]string
		post     publishers.Post
		fields   []string
	}{
		{"fine", nil, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: a, Alt: "x"}}}, nil},
		{"long text is split", nil, publishers.Post{Text: strings.Repeat("a b ", 1000)}, nil},
		{"long thread part", nil, publishers.Post{Text: "x", Thread: []string{strings.Repeat("é", 2001)}}, []string{"thread[0]"}},
		{"nothing", nil, publishers.Post{}, []string{"text"}},
		{"eleven files", nil, publishers.Post{Text: "Hi", Media: eleven}, []string{"media"}},
		{"remote image", nil, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: "https://x.org/a.png"}}}, []string{"media[0]"}},
		{"long alt", nil, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: a, Alt: strings.Repeat("a", 1025)}}}, []string{"media[0]"}},
		{"over the upload limit", map[string]string{"max_upload_mb": "2"}, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: big}}}, []string{"media[0]"}},
		{"within a boosted limit", map[string]string{"max_upload_mb": "50"}, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: big}}}, nil},
		{"missing file", nil, publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: "/nonexistent.png"}}}, []string{"media[0]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config("https://discord.com")
			for k, v := range c.settings {
				cfg.Settings[k] = v
			}
			pub, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			publishertest.CheckProblems(t, pub.Validate(c.post), c.fields)
		})
	}
}

func TestCheck(t *testing.T) {
	fake := &fakeDiscord{t: t}
	pub := newPublisher(t, fake, nil)
	got, err := pub.Check(context.Background())
	if err != nil || got != `webhook "Crieur" posts to channel 555` {
		t.Fatalf("Check = %q, %v", got, err)
	}
	if len(fake.recorded()) != 0 {
		t.Errorf("Check posted a message")
	}
	gone := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(w, 404, map[string]any{"message": "Unknown Webhook", "code": 10015})
	}), nil)
	if _, err := gone.Check(context.Background()); err == nil {
		t.Fatal("Check passed on a deleted webhook")
	} else if class, _ := publishers.Classify(err); class != publishers.Auth {
		t.Errorf("class = %v, want auth", class)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		hook     string
		settings map[string]string
		ok       bool
	}{
		{"webhook", "https://discord.com/api/webhooks/1/SECRETTOKEN", nil, true},
		{"thread query kept", "https://discord.com/api/webhooks/1/SECRETTOKEN?thread_id=9", nil, true},
		{"missing", "", nil, false},
		{"not a webhook", "https://discord.com/channels/1/SECRETTOKEN", nil, false},
		{"bad mention kind", "https://discord.com/api/webhooks/1/SECRETTOKEN", map[string]string{"mentions": "here"}, false},
		{"bad upload limit", "https://discord.com/api/webhooks/1/SECRETTOKEN", map[string]string{"max_upload_mb": "lots"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Settings: c.settings, Secrets: map[string]string{"webhook_url": c.hook}})
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the webhook: %v", err)
			}
		})
	}
}

func TestThreadQueryIsKept(t *testing.T) {
	fake := &fakeDiscord{t: t}
	var query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			query = r.URL.RawQuery
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	cfg := config(srv.URL)
	cfg.Secrets["webhook_url"] += "?thread_id=99"
	pub, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(context.Background(), publishers.Post{Text: "Hi"}); err != nil {
		t.Fatal(err)
	}
	if query != "thread_id=99&wait=true" {
		t.Errorf("query = %q, want thread_id kept and wait added", query)
	}
}

func TestPreview(t *testing.T) {
	pub := &Publisher{maxUpload: defaultUploadMB << 20}
	pv := pub.Preview(publishers.Post{Text: "Hi ☕", Thread: []string{"Two"}})
	if len(pv.Parts) != 2 || pv.Count[0] != 4 || pv.Limit != 2000 || len(pv.Problems) != 0 {
		t.Errorf("preview = %+v", pv)
	}
}
