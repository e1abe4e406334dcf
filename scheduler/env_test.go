package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// fakeClock is a clock the test advances by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a calendar on disk with fake networks:
// "fake" (idempotent), "fake-unsafe" (no idempotency), "fake-lookup" (Finder).
type env struct {
	t     *testing.T
	st    *sqlstore.Store
	clock *fakeClock
	fakes map[string]*publishertest.Fake // by network
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "crieur.db"), sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clock: newFakeClock(t0), fakes: map[string]*publishertest.Fake{
		"fake":        {Idempotent: true},
		"fake-unsafe": {},
		"fake-lookup": {},
	}}
	st.Now = e.clock.Now
	return e
}

func (e *env) factory() Factory {
	safety := map[string]publishers.RetrySafety{"fake": publishers.RetryIdempotent, "fake-unsafe": publishers.RetryUnsafe, "fake-lookup": publishers.RetryLookup}
	return Factory{Lookup: func(name string) (publishers.Network, error) {
		f, ok := e.fakes[name]
		if !ok {
			return publishers.Network{}, fmt.Errorf("unknown network %q", name)
		}
		return publishers.Network{Name: name, Safety: safety[name], New: func(publishers.Config) (publishers.Publisher, error) { return f, nil }}, nil
	}}
}

func (e *env) scheduler(o Options) *Scheduler {
	if o.Clock == nil {
		o.Clock = e.clock
	}
	if o.Factory.Lookup == nil {
		o.Factory = e.factory()
	}
	if o.Backoff.Rand == nil {
		o.Backoff.Rand = func() float64 { return 0 }
	}
	return New(e.st, o)
}

func (e *env) channel(name, network string, edit func(*calendar.Channel)) calendar.Channel {
	e.t.Helper()
	c := calendar.Channel{Name: name, Network: network}
	if edit != nil {
		edit(&c)
	}
	if err := e.st.AddChannel(context.Background(), &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// post schedules a post at `at` on channels.
func (e *env) post(slug string, at time.Time, channels ...string) calendar.Post {
	e.t.Helper()
	p := calendar.Post{Slug: slug, Body: "Hello from " + slug, Channels: channels, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := e.st.CreatePost(context.Background(), &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) get(ref string) calendar.Post {
	e.t.Helper()
	p, err := e.st.Post(context.Background(), ref)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) delivery(ref, channel string) calendar.Delivery {
	e.t.Helper()
	for _, d := range e.get(ref).Deliveries {
		if d.Channel == channel {
			return d
		}
	}
	e.t.Fatalf("post %s has no delivery on %s", ref, channel)
	return calendar.Delivery{}
}

func (e *env) history(ref string) []string {
	e.t.Helper()
	evs, err := e.st.PostHistory(context.Background(), e.get(ref).ID)
	if err != nil {
		e.t.Fatal(err)
	}
	kinds := make([]string, len(evs))
	for i, ev := range evs {
		kinds[i] = ev.Kind
	}
	return kinds
}

// eventually polls cond (real time) until it holds: for waiting on a running
// daemon's effect, never for a schedule (the clock is fake). The deadline is
// generous: under -race on two busy cores, a thousand deliveries take a minute.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// network is a local HTTP fake network (httptest on 127.0.0.1): it records
// every post it accepts and, when idempotent, answers a repeated
// Idempotency-Key with the first post instead of posting again.
type network struct {
	Idempotent bool
	// Fault, if set, answers instead of posting (status, headers, body).
	Fault func(key string, n int) (int, http.Header, string)

	mu    sync.Mutex
	posts map[string]int // idempotency key → posts made
	calls map[string]int // idempotency key → requests received
	seq   int
	srv   *httptest.Server
}

func newNetwork(t testing.TB, idempotent bool) *network {
	n := &network{Idempotent: idempotent, posts: map[string]int{}, calls: map[string]int{}}
	n.srv = httptest.NewServer(http.HandlerFunc(n.serve))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *network) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet { // lookup: GET /posts/KEY
		key := r.URL.Path[len("/posts/"):]
		n.mu.Lock()
		made := n.posts[key]
		n.mu.Unlock()
		if made == 0 {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"id":%q}`, key)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	n.mu.Lock()
	n.calls[key]++
	calls := n.calls[key]
	n.mu.Unlock()
	if n.Fault != nil {
		if status, h, body := n.Fault(key, calls); status != 0 {
			for k, v := range h {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
	}
	n.mu.Lock()
	if !n.Idempotent || n.posts[key] == 0 {
		n.posts[key]++
		n.seq++
	}
	n.mu.Unlock()
	fmt.Fprintf(w, `{"id":%q}`, key)
}

// counts returns how many posts the network made per key.
func (n *network) counts() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]int, len(n.posts))
	for k, v := range n.posts {
		out[k] = v
	}
	return out
}

// httpPublisher is a minimal adapter for the local network: JSON POST with
// an Idempotency-Key header, errors classified by publishers.FromResponse.
type httpPublisher struct {
	base   string
	client *http.Client
	now    func() time.Time
}

func (p *httpPublisher) Validate(publishers.Post) []publishers.Problem { return nil }

func (p *httpPublisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	body, _ := json.Marshal(map[string]string{"text": post.Text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/posts", bytes.NewReader(body))
	if err != nil {
		return publishers.Result{}, err
	}
	req.Header.Set("Idempotency-Key", post.IdempotencyKey)
	resp, err := p.client.Do(req)
	if err != nil {
		return publishers.Result{}, publishers.Transport(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return publishers.Result{}, publishers.FromResponse(resp, string(b), p.now())
	}
	var out struct{ ID string }
	_ = json.Unmarshal(b, &out)
	return publishers.Result{RemoteID: out.ID, RemoteURL: p.base + "/posts/" + out.ID, PublishedAt: p.now()}, nil
}

func (p *httpPublisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/posts/"+post.IdempotencyKey, nil)
	resp, err := p.client.Do(req)
	if err != nil {
		return publishers.Result{}, false, publishers.Transport(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return publishers.Result{}, false, nil
	}
	return publishers.Result{RemoteID: post.IdempotencyKey}, true, nil
}

// httpNetwork registers base as a network for a Factory.
func httpNetwork(name, base string, safety publishers.RetrySafety, timeout time.Duration) publishers.Network {
	return publishers.Network{Name: name, Safety: safety, New: func(cfg publishers.Config) (publishers.Publisher, error) {
		return &httpPublisher{base: base, client: &http.Client{Timeout: timeout}, now: cfg.Clock}, nil
	}}
}

// runDaemon runs s's daemon loop in the background until the returned stop,
// which cancels it, waits for it to return and reports its error.
func runDaemon(t testing.TB, s *Scheduler) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
