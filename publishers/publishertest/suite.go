// Package publishertest is the conformance kit every HTTP adapter passes: its
// fake network checks each request as the network documents it, and the suite
// drives every error class through it. Fake, beside it, is a scriptable
// publisher for the scheduler's tests.
package publishertest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Fault is one canned answer the suite's server gives instead of the fake network.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	// Delay holds the answer back; longer than the client's timeout, it is a timeout.
	Delay time.Duration
}

// Suite describes one network for Run.
type Suite struct {
	Network string
	// Handler builds the fake network: it checks every request exactly (method,
	// path, auth header, body fields) with t.Errorf, and answers as the network does.
	Handler func(t *testing.T) http.Handler
	// Configure returns the channel's config pointing at the fake's base URL.
	Configure func(baseURL string) publishers.Config
	// Post is a representative post: link, image with alt text, thread where the network has one.
	Post publishers.Post
	// CheckResult checks what a successful publish returned (remote id and URL).
	CheckResult func(t *testing.T, r publishers.Result)
	// How the network says each failure. Zero Status means the default shown.
	RateLimited   Fault         // e.g. 429 with Retry-After
	RateLimitWait time.Duration // the wait the adapter must report for RateLimited
	Unauthorized  Fault         // default 401
	Invalid       Fault         // a 4xx validation error
	InvalidText   string        // words of the network's message the error must carry
	ServerError   Fault         // default 500

	// Received reads back what the fake built by Handler created, in order
	// (see Arrived): the suite checks that the post arrives as the network
	// expects, and that an uncertain attempt never makes it twice.
	Received func(h http.Handler) []Arrived
	// IgnoreKeys, for a fake that deduplicates on idempotency keys as its
	// network does, makes it ignore them (as some servers do). Nil: the
	// fake never deduplicates.
	IgnoreKeys func(h http.Handler)
	// Titles: the network shows the post's title, which must arrive.
	Titles bool
	// Alt: the network carries alt text with media, which must arrive.
	Alt bool
	// KeyContract, for a network whose receiver is the user's own code
	// bound by contract to deduplicate on the key it is sent (webhook), says
	// so: with a receiver that breaks it, the suite checks only that a retry
	// carries the same key.
	KeyContract string
}

// Run publishes the suite's post against the fake, then drives each error class.
func Run(t *testing.T, s Suite) {
	t.Helper()
	nw, err := publishers.Lookup(s.Network)
	if err != nil {
		t.Fatal(err)
	}
	newPub := func(t *testing.T, h http.Handler, timeout time.Duration) publishers.Publisher {
		srv := Server(t, h)
		cfg := s.Configure(srv.URL)
		cfg.HTTP = &http.Client{Timeout: timeout}
		p, err := nw.New(cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return p
	}

	t.Run("validate", func(t *testing.T) {
		p := newPub(t, http.NotFoundHandler(), time.Second)
		if probs := p.Validate(s.Post); len(probs) != 0 {
			t.Fatalf("the suite's post should be valid, got %v", probs)
		}
	})

	t.Run("arrives", func(t *testing.T) { checkArrival(t, s, newPub) })
	t.Run("uncertain", func(t *testing.T) { checkUncertain(t, s, nw, newPub) })

	t.Run("publish", func(t *testing.T) {
		p := newPub(t, s.Handler(t), 5*time.Second)
		res, err := p.Publish(context.Background(), s.Post)
		if err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if res.RemoteID == "" {
			t.Errorf("Publish returned no remote id")
		}
		if s.CheckResult != nil {
			s.CheckResult(t, res)
		}
	})

	cases := []struct {
		name  string
		fault Fault
		class publishers.Class
		wait  time.Duration
		text  string
	}{
		{"timeout", Fault{Status: 200, Delay: 2 * time.Second}, publishers.Transient, 0, ""},
		{"server-error", withDefault(s.ServerError, 500), publishers.Transient, 0, ""},
		{"rate-limited", withDefault(s.RateLimited, 429), publishers.RateLimited, s.RateLimitWait, ""},
		{"unauthorized", withDefault(s.Unauthorized, 401), publishers.Auth, 0, ""},
		{"invalid", withDefault(s.Invalid, 422), publishers.Permanent, 0, s.InvalidText},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &faulty{fault: c.fault, next: s.Handler(t)}
			timeout := 5 * time.Second
			if c.fault.Delay > 0 {
				timeout = 300 * time.Millisecond
			}
			p := newPub(t, h, timeout)
			_, err := p.Publish(context.Background(), s.Post)
			if err == nil {
				t.Fatalf("Publish succeeded through a %s fault", c.name)
			}
			class, wait := publishers.Classify(err)
			var pe *publishers.Error
			if !errors.As(err, &pe) {
				t.Errorf("error is not a *publishers.Error: %T %v", err, err)
			}
			if class != c.class {
				t.Errorf("class = %v, want %v (error: %v)", class, c.class, err)
			}
			if c.class == publishers.RateLimited {
				if c.wait > 0 && (wait < c.wait-time.Second || wait > c.wait+time.Second) {
					t.Errorf("wait = %v, want about %v", wait, c.wait)
				}
				if wait <= 0 {
					t.Errorf("rate limit with no wait")
				}
			}
			if c.text != "" && !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not carry the network's message %q", err, c.text)
			}
		})
	}
	t.Run("security", func(t *testing.T) { Security(t, s) })
}

func withDefault(f Fault, status int) Fault {
	if f.Status == 0 {
		f.Status = status
	}
	return f
}

// faulty answers the first request with its fault, then hands over to next.
type faulty struct {
	mu    sync.Mutex
	used  bool
	fault Fault
	next  http.Handler
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	first := !f.used
	f.used = true
	f.mu.Unlock()
	if !first {
		f.next.ServeHTTP(w, r)
		return
	}
	if f.fault.Delay > 0 {
		select {
		case <-time.After(f.fault.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range f.fault.Header {
		w.Header().Set(k, v)
	}
	if strings.HasPrefix(strings.TrimSpace(f.fault.Body), "{") {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(f.fault.Status)
	_, _ = w.Write([]byte(f.fault.Body))
}
