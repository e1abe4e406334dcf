package bluesky

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

func TestSession(t *testing.T) {
	cases := []struct {
		name string
		// between runs after the first publish and before the second.
		between func(f *fakePDS, c *testClock)
		class   publishers.Class // of the second publish; -1 for success
		creates int              // createSession calls in all
		renews  int              // refreshSession calls in all
	}{
		{"reused across posts", func(*fakePDS, *testClock) {}, -1, 1, 0},
		{"expired token refreshed", func(f *fakePDS, _ *testClock) { f.expireAccess() }, -1, 1, 1},
		{"refreshed by the clock before it expires", func(_ *fakePDS, c *testClock) { c.Advance(2*time.Hour - 30*time.Second) }, -1, 1, 1},
		{"refused refresh token: new session", func(f *fakePDS, _ *testClock) {
			f.expireAccess()
			f.revokeRefresh()
		}, -1, 2, 1},
		{"refresh unavailable is transient, not auth", func(f *fakePDS, _ *testClock) {
			f.expireAccess()
			f.fail("com.atproto.server.refreshSession", fakeFault{status: 503, body: `{"error":"UpstreamFailure","message":"try later"}`})
		}, publishers.Transient, 1, 1},
		{"refresh rate limited", func(f *fakePDS, _ *testClock) {
			f.expireAccess()
			f.fail("com.atproto.server.refreshSession", fakeFault{status: 429, header: map[string]string{"RateLimit-Reset": strconv.FormatInt(epoch.Add(time.Minute).Unix(), 10)}})
		}, publishers.RateLimited, 1, 1},
		{"password changed", func(f *fakePDS, _ *testClock) {
			f.expireAccess()
			f.revokeRefresh()
			f.mu.Lock()
			f.password = "new-password"
			f.mu.Unlock()
		}, publishers.Auth, 2, 1},
		{"invalid token renewed", func(f *fakePDS, _ *testClock) {
			f.fail("com.atproto.repo.createRecord", fakeFault{status: 400, body: `{"error":"InvalidToken","message":"Token could not be verified"}`})
		}, -1, 1, 1},
		{"second factor required", func(f *fakePDS, _ *testClock) {
			f.expireAccess()
			f.revokeRefresh()
			f.fail("com.atproto.server.createSession", fakeFault{status: 401, body: `{"error":"AuthFactorTokenRequired","message":"A sign in code has been sent to your email address"}`})
		}, publishers.Auth, 2, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, pub, clock := setup(t)
			ctx := context.Background()
			if _, err := pub.Publish(ctx, publishers.Post{IdempotencyKey: "one", Text: "first"}); err != nil {
				t.Fatal(err)
			}
			c.between(f, clock)
			_, err := pub.Publish(ctx, publishers.Post{IdempotencyKey: "two", Text: "second"})
			switch {
			case c.class < 0 && err != nil:
				t.Errorf("second publish: %v", err)
			case c.class >= 0:
				if class, _ := publishers.Classify(err); err == nil || class != c.class {
					t.Errorf("second publish: %v, want class %v", err, c.class)
				}
			}
			if err != nil && strings.Contains(err.Error(), "app-pass-1234") {
				t.Errorf("error %q shows the password", err)
			}
			if n := f.count("com.atproto.server.createSession"); n != c.creates {
				t.Errorf("createSession called %d times, want %d", n, c.creates)
			}
			if n := f.count("com.atproto.server.refreshSession"); n != c.renews {
				t.Errorf("refreshSession called %d times, want %d", n, c.renews)
			}
		})
	}
}

// TestConcurrentFirstUse: many posts at once share one createSession.
func TestConcurrentFirstUse(t *testing.T) {
	f, pub, _ := setup(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: fmt.Sprint(i), Text: "hi"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.count("com.atproto.server.createSession"); n != 1 {
		t.Errorf("createSession called %d times, want 1", n)
	}
}

// TestEntryway: the account's PDS named in the session's DID document gets
// every call after createSession, as bsky.social's entryway requires.
func TestEntryway(t *testing.T) {
	clock := &testClock{now: epoch}
	f := newFakePDS(t, clock)
	var mu sync.Mutex
	var atEntry []string
	entry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		atEntry = append(atEntry, strings.TrimPrefix(r.URL.Path, "/xrpc/"))
		mu.Unlock()
		f.ServeHTTP(w, r)
	}))
	t.Cleanup(entry.Close)
	home := httptest.NewServer(f)
	t.Cleanup(home.Close)
	f.didDoc = home.URL
	pub := newPublisher(t, entry.URL, clock, f.password)
	if _, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Text: "hi @bob.test"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(atEntry, ",") != "com.atproto.server.createSession" {
		t.Errorf("calls at the entryway: %v", atEntry)
	}
	if len(f.posts()) != 1 {
		t.Errorf("no post at the account's PDS")
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name    string
		fault   fakeFault
		class   publishers.Class
		wait    time.Duration
		text    string
		lookups int // getRecord calls made to settle an unknown outcome
	}{
		{"rate limited", fakeFault{status: 429, header: map[string]string{"RateLimit-Reset": strconv.FormatInt(epoch.Add(90*time.Second).Unix(), 10)}, body: `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`}, publishers.RateLimited, time.Unix(epoch.Add(90*time.Second).Unix(), 0).Sub(epoch), "Rate Limit Exceeded", 0},
		{"invalid record", fakeFault{status: 400, body: `{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"}`}, publishers.Permanent, 0, "must not be longer than 300 graphemes", 0},
		{"payload too large", fakeFault{status: 413, body: `{"error":"PayloadTooLarge","message":"request entity too large"}`}, publishers.Permanent, 0, "PayloadTooLarge", 0},
		{"server error", fakeFault{status: 500, body: `{"error":"InternalServerError","message":"Internal Server Error"}`}, publishers.Transient, 0, "InternalServerError", 1},
		{"html gateway error", fakeFault{status: 502, body: "<html><body>502 Bad Gateway</body></html>"}, publishers.Transient, 0, "Bad Gateway", 1},
		{"taken down", fakeFault{status: 400, body: `{"error":"AccountTakedown","message":"Account has been taken down"}`}, publishers.Auth, 0, "taken down", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, pub, _ := setup(t)
			f.fail("com.atproto.repo.createRecord", c.fault)
			_, err := pub.Publish(context.Background(), publishers.Post{IdempotencyKey: "k", Text: "hello"})
			if err == nil {
				t.Fatal("no error")
			}
			class, wait := publishers.Classify(err)
			if class != c.class || wait != c.wait {
				t.Errorf("class %v wait %v, want %v %v (%v)", class, wait, c.class, c.wait, err)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q lacks %q", err, c.text)
			}
			if n := f.count("com.atproto.repo.getRecord"); n != c.lookups {
				t.Errorf("%d lookups, want %d", n, c.lookups)
			}
			if len(f.posts()) != 0 {
				t.Errorf("a failed create stored a post")
			}
		})
	}
}

func TestTokenExpiry(t *testing.T) {
	f := newFakePDS(t, &testClock{now: epoch})
	cases := []struct {
		jwt  string
		want time.Time
	}{
		{f.jwt("access", time.Hour), epoch.Add(time.Hour).Truncate(time.Second)},
		{"not-a-jwt", time.Time{}},
		{"a.!!!.c", time.Time{}},
		{"a.e30.c", time.Time{}}, // {} has no exp
	}
	for _, c := range cases {
		if got := tokenExpiry(c.jwt); !got.Equal(c.want) {
			t.Errorf("tokenExpiry(%q) = %v, want %v", c.jwt, got, c.want)
		}
	}
}

func TestPDSEndpoint(t *testing.T) {
	cases := map[string]string{
		``:               "",
		`{"service":[]}`: "",
		`{"service":[{"id":"#atproto_pds","serviceEndpoint":"https://pds.example/"}]}`:           "https://pds.example",
		`{"service":[{"id":"did:plc:x#atproto_pds","serviceEndpoint":"http://127.0.0.1:2583"}]}`: "http://127.0.0.1:2583",
		`{"service":[{"id":"#atproto_pds","serviceEndpoint":"javascript:alert(1)"}]}`:            "",
		`{"service":[{"id":"#bsky_fg","serviceEndpoint":"https://feed.example"}]}`:               "",
	}
	for doc, want := range cases {
		if got := pdsEndpoint([]byte(doc)); got != want {
			t.Errorf("pdsEndpoint(%s) = %q, want %q", doc, got, want)
		}
	}
}
