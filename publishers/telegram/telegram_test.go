package telegram

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

func config(api string) publishers.Config {
	return publishers.Config{
		Channel:  "tg",
		Settings: map[string]string{"chat_id": testChat, "api": api},
		Secrets:  map[string]string{"bot_token": testToken},
		Now:      func() time.Time { return time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC) },
	}
}

// writeFile creates a file of the given content in a test directory.

func TestConformance(t *testing.T) {
	photo := publishertest.WriteFile(t, "cover.jpg", "JPEG DATA")
	publishertest.Run(t, publishertest.Suite{
		Network: "telegram",
		Handler: func(t *testing.T) http.Handler {
			return newFakeBot(t)
		},
		Configure: config,
		Post:      publishertest.ThreadPost(photo),
		// Telegram has no alt text: the image arrives without it.
		Received: func(h http.Handler) []publishertest.Arrived {
			var out []publishertest.Arrived
			for _, c := range h.(*fakeBot).recorded() {
				if !strings.HasPrefix(c.method, "send") {
					continue
				}
				a := publishertest.Arrived{Text: c.fields["text"] + c.fields["caption"]}
				for _, name := range c.names {
					a.Media = append(a.Media, publishertest.Media{Name: name})
				}
				out = append(out, a)
			}
			return out
		},
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "1" || r.RemoteURL != "https://t.me/crieurtest/1" {
				t.Errorf("result = %+v, want message 1 at https://t.me/crieurtest/1", r)
			}
		},
		RateLimited: publishertest.Fault{Status: 429,
			Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 17","parameters":{"retry_after":17}}`},
		RateLimitWait: 17 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`},
		InvalidText:   "chat not found",
		ServerError:   publishertest.Fault{Status: 502, Body: "<html>Bad Gateway</html>"},
	})
}

func newPublisher(t *testing.T, h http.Handler, settings map[string]string) *Publisher {
	t.Helper()
	return publishertest.Start(t, h, New, config, settings).(*Publisher)
}

func TestPublishMessages(t *testing.T) {
	photo := publishertest.WriteFile(t, "a.png", "PNG A")
	video := publishertest.WriteFile(t, "b.mp4", "MP4 B")
	long := strings.Repeat("Words go here and on. ", 250) // 5,500 units: two messages
	caption := strings.Repeat("x", 1500)                  // too long for a caption

	type want struct {
		method  string
		replyTo int64
		text    string // text or caption; "*" skips the check
	}
	cases := []struct {
		name  string
		post  publishers.Post
		want  []want
		check func(t *testing.T, calls []call)
	}{
		{"text only", publishers.Post{Text: "Hello"},
			[]want{{"sendMessage", 0, "Hello"}}, nil},
		{"long text is a reply chain", publishers.Post{Text: long},
			[]want{{"sendMessage", 0, "*"}, {"sendMessage", 1, "*"}},
			func(t *testing.T, calls []call) {
				joined := calls[0].fields["text"] + " " + calls[1].fields["text"]
				if joined != strings.TrimSpace(long) {
					t.Errorf("the parts do not add up to the text")
				}
			}},
		{"explicit thread", publishers.Post{Text: "One", Thread: []string{"Two", "Three"}},
			[]want{{"sendMessage", 0, "One"}, {"sendMessage", 1, "Two"}, {"sendMessage", 2, "Three"}}, nil},
		{"one photo carries the caption", publishers.Post{Text: "Look", Media: []publishers.Media{{Path: photo, Alt: "ignored"}}},
			[]want{{"sendPhoto", 0, "Look"}},
			func(t *testing.T, calls []call) {
				if calls[0].files["photo"] != "PNG A" || calls[0].names["photo"] != "a.png" {
					t.Errorf("photo part = %q named %q", calls[0].files["photo"], calls[0].names["photo"])
				}
				for k, v := range calls[0].fields {
					if strings.Contains(v, "ignored") {
						t.Errorf("alt text was sent in %s", k)
					}
				}
			}},
		{"photo by URL", publishers.Post{Text: "Look", Media: []publishers.Media{{Path: "https://cdn.example.org/p/a.jpg?v=2"}}},
			[]want{{"sendPhoto", 0, "Look"}},
			func(t *testing.T, calls []call) {
				if calls[0].fields["photo"] != "https://cdn.example.org/p/a.jpg?v=2" || len(calls[0].files) != 0 {
					t.Errorf("photo = %q, files %v", calls[0].fields["photo"], calls[0].files)
				}
			}},
		{"one video", publishers.Post{Media: []publishers.Media{{Path: video}}},
			[]want{{"sendVideo", 0, ""}},
			func(t *testing.T, calls []call) {
				if calls[0].files["video"] != "MP4 B" {
					t.Errorf("video part = %q", calls[0].files["video"])
				}
			}},
		{"album", publishers.Post{Text: "Both", Thread: []string{"More"}, Media: []publishers.Media{{Path: photo}, {Path: video}}},
			[]want{{"sendMediaGroup", 0, "*"}, {"sendMessage", 1, "More"}},
			func(t *testing.T, calls []call) {
				media := calls[0].fields["media"]
				wantMedia := `[{"type":"photo","media":"attach://file0","caption":"Both"},{"type":"video","media":"attach://file1"}]`
				if media != wantMedia {
					t.Errorf("media = %s\nwant    %s", media, wantMedia)
				}
				if calls[0].files["file0"] != "PNG A" || calls[0].files["file1"] != "MP4 B" {
					t.Errorf("files = %v", calls[0].files)
				}
			}},
		{"text too long for a caption goes first", publishers.Post{Text: caption, Media: []publishers.Media{{Path: photo}}},
			[]want{{"sendMessage", 0, caption}, {"sendPhoto", 1, ""}}, nil},
		{"link appended", publishers.Post{Text: "Read it", Link: "https://example.org/a"},
			[]want{{"sendMessage", 0, "Read it\n\nhttps://example.org/a"}}, nil},
		{"tagged link already there", publishers.Post{Text: "Read https://example.org/a?utm_source=tg", Link: "https://example.org/a"},
			[]want{{"sendMessage", 0, "Read https://example.org/a?utm_source=tg"}}, nil},
		{"markdown becomes plain text", publishers.Post{Markdown: true, Text: "**Big** news: [read](https://example.org/n)"},
			[]want{{"sendMessage", 0, "Big news: read (https://example.org/n)"}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := newFakeBot(t)
			pub := newPublisher(t, fake, nil)
			res, err := pub.Publish(context.Background(), c.post)
			if err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if res.RemoteID != "1" {
				t.Errorf("RemoteID = %q, want the first message", res.RemoteID)
			}
			calls := fake.recorded()
			if len(calls) != len(c.want) {
				t.Fatalf("%d calls, want %d: %+v", len(calls), len(c.want), calls)
			}
			for i, w := range c.want {
				got := calls[i]
				text := got.fields["text"]
				if got.method != "sendMessage" {
					text = got.fields["caption"]
				}
				if got.method != w.method || got.replyTo != w.replyTo || (w.text != "*" && text != w.text) {
					t.Errorf("call %d = %s reply to %d %q, want %s reply to %d %q", i, got.method, got.replyTo, text, w.method, w.replyTo, w.text)
				}
				if _, ok := got.fields["parse_mode"]; ok {
					t.Errorf("call %d sent a parse_mode for plain text", i)
				}
			}
			if c.check != nil {
				c.check(t, calls)
			}
		})
	}
}

func TestParseModeIsSent(t *testing.T) {
	fake := newFakeBot(t)
	pub := newPublisher(t, fake, map[string]string{"parse_mode": "HTML"})
	if _, err := pub.Publish(context.Background(), publishers.Post{Markdown: true, Text: "<b>bold</b> **kept**"}); err != nil {
		t.Fatal(err)
	}
	c := fake.recorded()[0]
	if c.fields["parse_mode"] != "HTML" || c.fields["text"] != "<b>bold</b> **kept**" {
		t.Errorf("fields = %v", c.fields)
	}
}

func TestResultURL(t *testing.T) {
	cases := []struct {
		name, chatID, chatType, username, want string
	}{
		{"public channel", testChat, "channel", "crieurtest", "https://t.me/crieurtest/1"},
		{"numeric id of a public supergroup", "-1001", "supergroup", "crieurgroup", "https://t.me/crieurgroup/1"},
		{"private group", "-1001", "group", "", ""},
		{"private chat with a username", "777", "private", "someone", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pub := &Publisher{chatID: c.chatID}
			m := message{MessageID: 1, Date: 1767225600, Chat: chat{Type: c.chatType, Username: c.username}}
			res := pub.result(m)
			if res.RemoteURL != c.want {
				t.Errorf("URL = %q, want %q", res.RemoteURL, c.want)
			}
			if !res.PublishedAt.Equal(time.Unix(1767225600, 0)) {
				t.Errorf("PublishedAt = %v, want the message date", res.PublishedAt)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	cases := []publishertest.ErrorCase{
		{Name: "flood wait", Status: 429, Body: `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}`, Class: publishers.RateLimited, Wait: 5 * time.Second, Text: "Too Many Requests"},
		{Name: "kicked", Status: 403, Body: `{"ok":false,"error_code":403,"description":"Forbidden: bot was kicked from the channel chat"}`, Class: publishers.Auth, Text: "kicked"},
		{Name: "unknown token", Status: 404, Body: `{"ok":false,"error_code":404,"description":"Not Found"}`, Class: publishers.Auth, Text: "bot_token"},
		{Name: "bad request", Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: message is too long"}`, Class: publishers.Permanent, Text: "message is too long"},
		{Name: "migrated group", Status: 400, Body: `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009}}`, Class: publishers.Permanent, Text: "set chat_id to -1009"},
		{Name: "server down", Status: 503, Body: `Service Unavailable`, Class: publishers.Transient, Text: "Service Unavailable"},
		{Name: "ok but unreadable", Status: 200, Body: `<html>`, Class: publishers.Permanent, Text: "unexpected answer"},
	}
	publishertest.CheckErrors(t, cases, func(t *testing.T, h http.Handler) error {
		_, err := newPublisher(t, h, nil).Publish(context.Background(), publishers.Post{Text: "Hi"})
		if err != nil && !strings.Contains(err.Error(), "sendMessage: ") {
			t.Errorf("error %q should name sendMessage", err)
		}
		return err
	})
}

func TestTokenNeverInErrors(t *testing.T) {
	base := publishertest.ClosedURL()
	pub, err := New(config(base))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func() error{
		"publish": func() error { _, err := pub.Publish(context.Background(), publishers.Post{Text: "Hi"}); return err },
		"check":   func() error { _, err := pub.(publishers.Checker).Check(context.Background()); return err },
	}
	for name, run := range checks {
		err := run()
		if err == nil {
			t.Fatalf("%s: no error from a closed server", name)
		}
		if class, _ := publishers.Classify(err); class != publishers.Transient {
			t.Errorf("%s: class %v, want transient", name, class)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("%s: error leaks the token: %v", name, err)
		}
	}
}

func TestPartialThreadIsNotRetried(t *testing.T) {
	fake := newFakeBot(t)
	n := 0
	pub := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		if n == 2 {
			answerError(w, 429, "Too Many Requests: retry after 3", `{"retry_after":3}`)
			return
		}
		fake.ServeHTTP(w, r)
	}), nil)
	res, err := pub.Publish(context.Background(), publishers.Post{Text: "One", Thread: []string{"Two"}})
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	if res.RemoteID != "1" {
		t.Errorf("RemoteID = %q, want the message that went out", res.RemoteID)
	}
	if !strings.Contains(err.Error(), "only 1 of 2") {
		t.Errorf("error %q does not say what was published", err)
	}
}

func TestValidate(t *testing.T) {
	photo := publishertest.WriteFile(t, "a.jpg", "JPEG")
	big := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, maxPhoto+1); err != nil {
		t.Fatal(err)
	}
	eleven := make([]publishers.Media, 11)
	for i := range eleven {
		eleven[i] = publishers.Media{Path: photo}
	}
	cases := []struct {
		name   string
		post   publishers.Post
		fields []string
	}{
		{"fine", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: photo}}}, nil},
		{"long text is split, not refused", publishers.Post{Text: strings.Repeat("a b ", 3000)}, nil},
		{"emoji count twice", publishers.Post{Text: "x", Thread: []string{strings.Repeat("😀", 2049)}}, []string{"thread[0]"}},
		{"empty", publishers.Post{Text: "  "}, []string{"text"}},
		{"too many media", publishers.Post{Text: "Hi", Media: eleven}, []string{"media"}},
		{"gif", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: "/x/anim.gif"}}}, []string{"media[0]"}},
		{"missing file", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: "/nonexistent/a.jpg"}}}, []string{"media[0]"}},
		{"photo over 10 MB", publishers.Post{Text: "Hi", Media: []publishers.Media{{Path: photo}, {Path: big}}}, []string{"media[1]"}},
	}
	pub := &Publisher{chatID: testChat}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			publishertest.CheckProblems(t, pub.Validate(c.post), c.fields)
		})
	}
}

func TestCheck(t *testing.T) {
	fake := newFakeBot(t)
	pub := newPublisher(t, fake, nil)
	got, err := pub.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != `bot @crieur_bot reaches channel "Crieur news"` {
		t.Errorf("Check = %q", got)
	}
	for _, c := range fake.recorded() {
		if strings.HasPrefix(c.method, "send") {
			t.Errorf("Check posted: %s", c.method)
		}
	}

	denied := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answerError(w, 401, "Unauthorized", "")
	}), nil)
	if _, err := denied.Check(context.Background()); err == nil {
		t.Fatal("Check passed with a refused token")
	} else if class, _ := publishers.Classify(err); class != publishers.Auth {
		t.Errorf("class = %v, want auth", class)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		token    string
		ok       bool
	}{
		{"defaults", map[string]string{"chat_id": "@c"}, testToken, true},
		{"no chat", map[string]string{}, testToken, false},
		{"no token", map[string]string{"chat_id": "@c"}, "", false},
		{"token with a slash", map[string]string{"chat_id": "@c"}, "1:a/b", false},
		{"unknown parse mode", map[string]string{"chat_id": "@c", "parse_mode": "markdown2"}, testToken, false},
		{"api not a URL", map[string]string{"chat_id": "@c", "api": "api.telegram.org"}, testToken, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(publishers.Config{Settings: c.settings, Secrets: map[string]string{"bot_token": c.token}})
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil && c.token != "" && strings.Contains(err.Error(), c.token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
	n, err := publishers.Lookup("telegram")
	if err != nil || n.Safety != publishers.RetryUnsafe || n.Setting(nil, "api") != defaultAPI {
		t.Errorf("registration = %+v, %v", n, err)
	}
}

func TestPreview(t *testing.T) {
	photo := publishertest.WriteFile(t, "a.jpg", "JPEG")
	pub := &Publisher{chatID: testChat}
	pv := pub.Preview(publishers.Post{Text: "Look 😀", Thread: []string{"More"}, Media: []publishers.Media{{Path: photo}}})
	if len(pv.Parts) != 2 || pv.Parts[0] != "Look 😀" || pv.Count[0] != 7 || pv.Limit != 4096 {
		t.Errorf("preview = %+v", pv)
	}
	wantExtra := "message 1: 1 media, caption 7/1024\nmessage 2: text, reply to message 1"
	if pv.Extra != wantExtra {
		t.Errorf("Extra = %q, want %q", pv.Extra, wantExtra)
	}
}
