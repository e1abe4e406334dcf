package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const hookPath = "/services/T000/B000/SECRETxyz"

// fakeSlack is an incoming webhook that checks each message as Slack
// documents it, answers "ok" or Slack's plain-text error codes, and records
// what it accepted.
type fakeSlack struct {
	t    *testing.T
	mu   sync.Mutex
	msgs []message
}

func (f *fakeSlack) recorded() []message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]message(nil), f.msgs...)
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if r.Method != http.MethodPost || r.URL.Path != hookPath {
		t.Errorf("%s %s, want POST on the webhook", r.Method, r.URL.Path)
		http.Error(w, "no_service", http.StatusNotFound)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var m message
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Errorf("body: %v", err)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if m.Text == "" && len(m.Blocks) == 0 {
		http.Error(w, "no_text", http.StatusBadRequest)
		return
	}
	for i, b := range m.Blocks {
		switch b.Type {
		case "section":
			if b.Text == nil || b.Text.Type != "mrkdwn" || b.Text.Text == "" || utf8.RuneCountInString(b.Text.Text) > 3000 {
				t.Errorf("block %d: bad section %+v", i, b.Text)
				http.Error(w, "invalid_blocks", http.StatusBadRequest)
				return
			}
		case "image":
			if !strings.HasPrefix(b.ImageURL, "https://") || b.AltText == "" {
				t.Errorf("block %d: image needs an https image_url and alt_text: %+v", i, b)
				http.Error(w, "invalid_blocks", http.StatusBadRequest)
				return
			}
		default:
			t.Errorf("block %d: type %q", i, b.Type)
		}
	}
	f.mu.Lock()
	f.msgs = append(f.msgs, m)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/html")
	_, _ = w.Write([]byte("ok"))
}

func config(base string) publishers.Config {
	return publishers.Config{
		Channel: "sl",
		Secrets: map[string]string{"webhook_url": base + hookPath},
		Now:     func() time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC) },
	}
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network:   "slack",
		Handler:   func(t *testing.T) http.Handler { return &fakeSlack{t: t} },
		Configure: config,
		Post: publishers.Post{
			IdempotencyKey: "delivery-7-key",
			Text:           "Our spring issue is out.",
			Link:           "https://example.org/spring?utm_campaign=spring&utm_medium=social&utm_source=slack",
			Media:          []publishers.Media{{Path: "https://cdn.example.org/cover.png", Alt: "A cover in green"}},
		},
		Alt: true,
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, m := range h.(*fakeSlack).recorded() {
				a := publishertest.Arrived{Text: m.Text}
				for _, b := range m.Blocks {
					switch {
					case b.Type == "image":
						a.Media = append(a.Media, publishertest.Media{Name: b.ImageURL, Alt: b.AltText})
					case b.Text != nil:
						a.Text += "\n" + b.Text.Text
					}
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "delivery-7-key" || r.RemoteURL != "" {
				t.Errorf("result = %+v, want the idempotency key and no URL", r)
			}
			if !r.PublishedAt.Equal(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)) {
				t.Errorf("PublishedAt = %v, want the injected clock", r.PublishedAt)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "30"}, Body: "rate_limited"},
		RateLimitWait: 30 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 404, Body: "no_service"},
		Invalid:       publishertest.Fault{Status: 400, Body: "invalid_payload"},
		InvalidText:   "invalid_payload",
		ServerError:   publishertest.Fault{Status: 500, Body: "rollup_error"},
	})
}

func newPublisher(t *testing.T, h http.Handler) *Publisher {
	t.Helper()
	return publishertest.Start(t, h, New, config, nil).(*Publisher)
}

func TestPublish(t *testing.T) {
	long := strings.Repeat("Words go here and on. ", 170) // 3,740 characters: two sections
	cases := []struct {
		name     string
		post     publishers.Post
		text     string   // the fallback text; "*" skips
		sections []string // "*" skips one
		images   []block
	}{
		{"plain text is escaped", publishers.Post{Text: "Q&A <today> *not bold*"},
			"Q&amp;A &lt;today&gt; *not bold*", []string{"Q&amp;A &lt;today&gt; *not bold*"}, nil},
		{"markdown becomes mrkdwn", publishers.Post{Markdown: true, Text: "# News\n**Big** and *small* ~~old~~, [read it](https://example.org/a?x=1&y=2) ![a map](https://x.org/m.png)\n* item *one*"},
			"*", []string{"*News*\n*Big* and _small_ ~old~, <https://example.org/a?x=1&amp;y=2|read it> <https://x.org/m.png|a map>\n* item _one_"}, nil},
		{"long text is two sections", publishers.Post{Text: long}, "*", []string{"*", "*"}, nil},
		{"thread parts are paragraphs", publishers.Post{Text: "One", Thread: []string{"Two"}}, "One\n\nTwo", []string{"One\n\nTwo"}, nil},
		{"link appended", publishers.Post{Text: "Read", Link: "https://example.org/x"}, "*", []string{"Read\n\nhttps://example.org/x"}, nil},
		{"images", publishers.Post{Text: "Look", Media: []publishers.Media{{Path: "https://cdn.example.org/a.png", Alt: "A red door"}, {Path: "https://cdn.example.org/b.jpg", Alt: "A blue door"}}},
			"Look", []string{"Look"}, []block{{Type: "image", ImageURL: "https://cdn.example.org/a.png", AltText: "A red door"}, {Type: "image", ImageURL: "https://cdn.example.org/b.jpg", AltText: "A blue door"}}},
		{"image alone", publishers.Post{Media: []publishers.Media{{Path: "https://cdn.example.org/a.png", Alt: "A red door"}}},
			"A red door", nil, []block{{Type: "image", ImageURL: "https://cdn.example.org/a.png", AltText: "A red door"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeSlack{t: t}
			pub := newPublisher(t, fake)
			if _, err := pub.Publish(context.Background(), c.post); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			msgs := fake.recorded()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if c.text != "*" && m.Text != c.text {
				t.Errorf("text = %q, want %q", m.Text, c.text)
			}
			var sections []string
			var images []block
			for _, b := range m.Blocks {
				if b.Type == "section" {
					sections = append(sections, b.Text.Text)
				} else {
					images = append(images, b)
				}
			}
			if len(sections) != len(c.sections) {
				t.Fatalf("sections = %q, want %d", sections, len(c.sections))
			}
			for i, want := range c.sections {
				if want != "*" && sections[i] != want {
					t.Errorf("section %d = %q\nwant        %q", i, sections[i], want)
				}
			}
			if len(images) != len(c.images) {
				t.Fatalf("images = %+v, want %+v", images, c.images)
			}
			for i := range images {
				if images[i].ImageURL != c.images[i].ImageURL || images[i].AltText != c.images[i].AltText {
					t.Errorf("image %d = %+v, want %+v", i, images[i], c.images[i])
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cases := []publishertest.ErrorCase{
		{Name: "revoked", Status: 404, Body: "no_service", Class: publishers.Auth, Text: "revoked"},
		{Name: "404 page", Status: 404, Body: "<html>Not Found</html>", Class: publishers.Auth, Text: "webhook is gone"},
		{Name: "bad token", Status: 403, Body: "invalid_token", Class: publishers.Auth, Text: "invalid_token"},
		{Name: "prohibited", Status: 403, Body: "action_prohibited", Class: publishers.Permanent, Text: "admin restricted"},
		{Name: "archived", Status: 410, Body: "channel_is_archived", Class: publishers.Permanent, Text: "archived"},
		{Name: "no text", Status: 400, Body: "no_text", Class: publishers.Permanent, Text: "no_text"},
		{Name: "rate limited with Retry-After", Status: 429, Header: map[string]string{"Retry-After": "12"}, Body: "rate_limited", Class: publishers.RateLimited, Wait: 12 * time.Second, Text: "rate_limited"},
		{Name: "rate limited without", Status: 429, Body: "rate_limited", Class: publishers.RateLimited, Wait: time.Second, Text: "rate_limited"},
		{Name: "outage", Status: 503, Body: "<html>down</html>", Class: publishers.Transient, Text: "Service Unavailable"},
		{Name: "200 but not ok", Status: 200, Body: "<html>portal</html>", Class: publishers.Permanent, Text: "unexpected answer"},
	}
	publishertest.CheckErrors(t, cases, func(t *testing.T, h http.Handler) error {
		_, err := newPublisher(t, h).Publish(context.Background(), publishers.Post{Text: "Hi"})
		return err
	})
}

func TestWebhookNeverInErrors(t *testing.T) {
	base := publishertest.ClosedURL()
	pub, err := New(config(base))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pub.Publish(context.Background(), publishers.Post{Text: "Hi"})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error leaks the webhook: %v", err)
	}
	echo := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad path "+r.URL.Path, http.StatusBadRequest)
	}))
	if _, err := echo.Publish(context.Background(), publishers.Post{Text: "Hi"}); err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("error = %v", err)
	}
}

func TestValidate(t *testing.T) {
	img := publishers.Media{Path: "https://cdn.example.org/a.png", Alt: "A door"}
	cases := []struct {
		name   string
		post   publishers.Post
		fields []string
	}{
		{"fine", publishers.Post{Text: "Hi", Media: []publishers.Media{img}}, nil},
		{"nothing", publishers.Post{Text: " "}, []string{"text"}},
		{"over 4,000 characters", publishers.Post{Text: strings.Repeat("word ", 801)}, []string{"text"}},
		{"escapes count", publishers.Post{Text: strings.Repeat("&", 801)}, []string{"text"}},
		{"local file", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: "/tmp/a.png", Alt: "x"}}}, []string{"media[0]"}},
		{"no alt text", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: img.Path}}}, []string{"media[0]"}},
		{"alt too long", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: img.Path, Alt: strings.Repeat("a", 2001)}}}, []string{"media[0]"}},
	}
	pub := &Publisher{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			publishertest.CheckProblems(t, pub.Validate(c.post), c.fields)
		})
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name, hook string
		ok         bool
	}{
		{"webhook", "https://hooks.slack.com/services/T1/B1/SECRET", true},
		{"missing", "", false},
		{"not a webhook", "https://hooks.slack.com/triggers/T1/SECRET", false},
		{"not a URL", "hooks.slack.com/services/SECRET", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Secrets: map[string]string{"webhook_url": c.hook}})
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the webhook: %v", err)
			}
		})
	}
	pub, _ := New(config("https://hooks.slack.com"))
	if _, ok := pub.(publishers.Checker); ok {
		t.Errorf("slack cannot check a webhook without posting, yet implements Checker")
	}
}

func TestPreview(t *testing.T) {
	pv := (&Publisher{}).Preview(publishers.Post{Text: "Hi <3", Media: []publishers.Media{{Path: "https://x.org/a.png", Alt: "A"}}})
	if len(pv.Parts) != 1 || pv.Parts[0] != "Hi &lt;3" || pv.Count[0] != 8 || pv.Limit != 3000 {
		t.Errorf("preview = %+v", pv)
	}
	if !strings.Contains(pv.Extra, `"image_url": "https://x.org/a.png"`) {
		t.Errorf("Extra does not show the payload: %s", pv.Extra)
	}
}
