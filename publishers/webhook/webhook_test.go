package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

var (
	now    = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte("a 24-byte test secret!!!"))
	post   = publishers.Post{
		DeliveryID:     42,
		IdempotencyKey: "d42-7f3a",
		Slug:           "spring-sale",
		Title:          "Spring sale",
		Text:           "Bikes 20% off https://shop.example/bikes?utm_source=hook",
		Link:           "https://shop.example/bikes?utm_campaign=sale&utm_source=hook",
		Media:          []publishers.Media{{Path: "img/bike.jpg", Alt: "A red bike"}},
		Thread:         []string{"More to come."},
		Tags:           []string{"sale"},
		ScheduledAt:    time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
	}
)

// verify checks a delivery exactly as a Standard Webhooks receiver would.
func verify(t *testing.T, r *http.Request, body []byte, secret string) {
	t.Helper()
	id, ts, sigs := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		t.Errorf("missing Standard Webhooks headers: id=%q ts=%q sig=%q", id, ts, sigs)
		return
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || now.Sub(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		t.Errorf("webhook-timestamp %q is not within 5 minutes of %v", ts, now)
	}
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, _ = base64.StdEncoding.DecodeString(rest)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, _ := strings.Cut(s, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if v == "v1" && err == nil && hmac.Equal(got, want) {
			return
		}
	}
	t.Errorf("no valid v1 signature in %q", sigs)
}

// receiver is the fake endpoint: it checks the request and answers reply.
func receiver(t *testing.T, secret string, status int, reply string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/hooks/crieur" {
			t.Errorf("request = %s %s, want POST /hooks/crieur", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if got := r.Header.Get("webhook-id"); got != post.IdempotencyKey {
			t.Errorf("webhook-id = %q, want the idempotency key", got)
		}
		if got := r.Header.Get("Idempotency-Key"); got != post.IdempotencyKey {
			t.Errorf("Idempotency-Key = %q", got)
		}
		if got := r.Header.Get("webhook-timestamp"); got != strconv.FormatInt(now.Unix(), 10) {
			t.Errorf("webhook-timestamp = %q, want the injected clock", got)
		}
		if secret != "" {
			verify(t, r, body, secret)
		} else if sig := r.Header.Get("webhook-signature"); sig != "" {
			t.Errorf("unsigned channel sent a signature %q", sig)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		want := map[string]any{
			"id": 42.0, "idempotency_key": "d42-7f3a", "slug": "spring-sale", "title": "Spring sale",
			"text": post.Text, "link": post.Link,
			"media":        []any{map[string]any{"path": "img/bike.jpg", "alt": "A red bike"}},
			"thread":       []any{"More to come."},
			"tags":         []any{"sale"},
			"scheduled_at": "2026-11-25T09:00:00Z",
		}
		for k, v := range want {
			if g, _ := json.Marshal(got[k]); string(g) != string(must(json.Marshal(v))) {
				t.Errorf("body %s = %s, want %s", k, g, must(json.Marshal(v)))
			}
		}
		if len(got) != len(want) {
			t.Errorf("body has %d fields, want %d: %s", len(got), len(want), body)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reply)
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func config(base, secret string) publishers.Config {
	cfg := publishers.Config{
		Channel:  "ops-hook",
		Settings: map[string]string{},
		Secrets:  map[string]string{"url": base + "/hooks/crieur"},
		Now:      func() time.Time { return now },
	}
	if secret != "" {
		cfg.Secrets["signing_key"] = secret
	}
	return cfg
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network: "webhook",
		Handler: func(t *testing.T) http.Handler {
			return &dedupe{next: receiver(t, secret, 200, `{"id":"evt_123"}`), seen: map[string]bool{}}
		},
		Titles: true,
		Alt:    true,
		Received: func(h http.Handler) []publishertest.Arrived {
			d := h.(*dedupe)
			d.mu.Lock()
			defer d.mu.Unlock()
			return append([]publishertest.Arrived(nil), d.got...)
		},
		IgnoreKeys: func(h http.Handler) {
			d := h.(*dedupe)
			d.mu.Lock()
			d.ignore = true
			d.mu.Unlock()
		},
		KeyContract: "a webhook receiver must deduplicate on webhook-id (Standard Webhooks), as README says",
		Configure:   func(base string) publishers.Config { return config(base, secret) },
		Post:        post,
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "evt_123" {
				t.Errorf("RemoteID = %q, want the receiver's id", r.RemoteID)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"Retry-After": "30"}},
		RateLimitWait: 30 * time.Second,
		Invalid:       publishertest.Fault{Status: 422, Body: `{"error":"slug is not allowed here"}`},
		InvalidText:   "slug is not allowed here",
	})
}

func TestPublish(t *testing.T) {
	cases := []struct {
		name, secret, reply string
		status              int
		id, url             string
	}{
		{"whsec key, string id", secret, `{"id":"evt_1","url":"https://hooks.example/evt_1"}`, 200, "evt_1", "https://hooks.example/evt_1"},
		{"raw key, numeric id", "plain shared secret", `{"id": 981}`, 201, "981", ""},
		{"unsigned, empty answer", "", ``, 204, "d42-7f3a", ""},
		{"text answer", secret, `ok`, 202, "d42-7f3a", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(receiver(t, c.secret, c.status, c.reply))
			defer srv.Close()
			nw, _ := publishers.Lookup("webhook")
			p, err := nw.New(config(srv.URL, c.secret))
			if err != nil {
				t.Fatal(err)
			}
			r, err := p.Publish(context.Background(), post)
			if err != nil {
				t.Fatal(err)
			}
			if r.RemoteID != c.id || r.RemoteURL != c.url || !r.PublishedAt.Equal(now) {
				t.Errorf("result = %+v, want id %q url %q", r, c.id, c.url)
			}
		})
	}
}

func TestErrorsKeepSecretsOut(t *testing.T) {
	nw, _ := publishers.Lookup("webhook")
	cases := []struct {
		name     string
		settings map[string]string
		secret   string
		hidden   string
	}{
		{"bad key", map[string]string{"url": "https://hooks.example/x"}, "whsec_not*base64*TOPSECRET", "TOPSECRET"},
		{"bad url", map[string]string{"url": "hooks.example/TOPSECRET"}, "", "TOPSECRET"},
		{"no url", map[string]string{}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := nw.New(publishers.Config{Settings: c.settings, Secrets: map[string]string{"signing_key": c.secret}})
			if err == nil {
				t.Fatal("New accepted a broken config")
			}
			if c.hidden != "" && strings.Contains(err.Error(), c.hidden) {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}

	// A connection failure does not print the URL, whose path may be a token.
	base := publishertest.ClosedURL()
	p, err := nw.New(publishers.Config{Settings: map[string]string{"url": base + "/TOPSECRET"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Publish(context.Background(), post)
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Fatalf("Publish to a closed port = %v, want a transient error", err)
	}
	if strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("error leaks the URL: %v", err)
	}
}

func TestSignKnownVector(t *testing.T) {
	// From: printf '%s' 'msg_1.1700000000.{"a":1}' | openssl dgst -sha256 -hmac key -binary | base64
	const want = "v1,KSgv0SSgWzG5LPnm9tfWJRfBlWqAqHz+OlObgspQi/g="
	if got := Sign([]byte("key"), "msg_1", "1700000000", []byte(`{"a":1}`)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

// dedupe is a receiver that keeps what it received and, as Standard Webhooks
// asks of receivers, acts once per webhook-id (unless ignore).
type dedupe struct {
	next   http.Handler
	mu     sync.Mutex
	seen   map[string]bool
	ignore bool
	got    []publishertest.Arrived
}

func (d *dedupe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var pl payload
	_ = json.Unmarshal(body, &pl)
	key := r.Header.Get("webhook-id")
	d.mu.Lock()
	if !d.seen[key] || d.ignore {
		d.seen[key] = true
		a := publishertest.Arrived{Text: pl.Text, Title: pl.Title, Link: pl.Link, Key: key}
		for _, m := range pl.Media {
			a.Media = append(a.Media, publishertest.Media{Name: m.Path, Alt: m.Alt})
		}
		d.got = append(d.got, a)
	}
	d.mu.Unlock()
	d.next.ServeHTTP(w, r)
}

func TestURLIsASecretAndAnOldSettingStillWorks(t *testing.T) {
	nw, _ := publishers.Lookup("webhook")
	hit := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit[r.URL.Path]++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		want     string // path that receives the post; "" when New must refuse
		missing  []string
	}{
		{"secret", nil, map[string]string{"url": srv.URL + "/secret"}, "/secret", nil},
		{"old setting", map[string]string{"url": srv.URL + "/setting"}, nil, "/setting", nil},
		{"secret preferred", map[string]string{"url": srv.URL + "/setting"}, map[string]string{"url": srv.URL + "/secret"}, "/secret", nil},
		{"neither", nil, nil, "", []string{"secret url"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := nw.Missing(c.settings, c.secrets); !reflect.DeepEqual(got, c.missing) {
				t.Errorf("Missing = %v, want %v", got, c.missing)
			}
			p, err := nw.New(publishers.Config{Settings: c.settings, Secrets: c.secrets})
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "secret url is required") {
					t.Fatalf("New = %v, want secret url is required", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			before := hit[c.want]
			if _, err := p.Publish(context.Background(), post); err != nil {
				t.Fatal(err)
			}
			if hit[c.want] != before+1 {
				t.Errorf("%s got no post (hits %v)", c.want, hit)
			}
		})
	}
	if got := nw.Deprecated(map[string]string{"url": "https://h.example/x"}); !reflect.DeepEqual(got, []string{"url"}) {
		t.Errorf("Deprecated = %v, want [url]", got)
	}
}
