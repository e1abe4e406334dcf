package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
)

// A process that dies mid-call leaves its delivery 'publishing'. Once the
// lease expires it is retried only where the network makes that safe.
func TestLeaseRecovery(t *testing.T) {
	tests := []struct {
		network    string
		reached    bool // the dead process's call reached the network
		expire     bool
		wantStatus string
		wantPosts  int
		wantEvent  string
	}{
		{"fake", true, true, calendar.DeliveryPublished, 1, "delivery.recovered"},
		{"fake", false, true, calendar.DeliveryPublished, 1, "delivery.recovered"},
		{"fake-lookup", true, true, calendar.DeliveryPublished, 1, "delivery.published"},
		{"fake-lookup", false, true, calendar.DeliveryPublished, 1, "delivery.recovered"},
		{"fake-unsafe", true, true, calendar.DeliveryHeld, 1, "delivery.held"},
		{"fake-unsafe", false, true, calendar.DeliveryHeld, 0, "delivery.held"},
		{"fake-unsafe", false, false, calendar.DeliveryPublishing, 0, "delivery.attempt"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s reached=%v expired=%v", tt.network, tt.reached, tt.expire), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.channel("acme", tt.network, nil)
			e.post("p1", t0, "acme")
			res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "dead", Now: t0, Lease: time.Minute, Limit: 10})
			if err != nil || len(res.Claimed) != 1 {
				t.Fatalf("claim: %v %+v", err, res)
			}
			if tt.reached {
				d := res.Claimed[0]
				if _, err := e.fakes[tt.network].Publish(ctx, publishers.Post{DeliveryID: d.ID, IdempotencyKey: d.IdempotencyKey}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.expire {
				e.clock.Advance(time.Minute + time.Second)
			}
			rep, err := e.scheduler(Options{}).RunOnce(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			// Each line of the report (publish --due's table, the daemon's
			// log) names the post, a settled one included: a held delivery
			// is for a person to find.
			for _, r := range rep.Results {
				if r.Post != "p1" {
					t.Errorf("result %s on %s names post %q, want p1", r.Outcome, r.Channel, r.Post)
				}
			}
			d := e.delivery("p1", "acme")
			if d.Status != tt.wantStatus {
				t.Errorf("status %s, want %s (%s)", d.Status, tt.wantStatus, d.LastError)
			}
			if got := len(e.fakes[tt.network].Posts()); got != tt.wantPosts {
				t.Errorf("network has %d posts, want %d", got, tt.wantPosts)
			}
			if tt.wantStatus == calendar.DeliveryHeld && !strings.Contains(d.LastError, "post retry") {
				t.Errorf("held without saying what to do: %q", d.LastError)
			}
			if h := e.history("p1"); !contains(h, tt.wantEvent) {
				t.Errorf("history %v lacks %s", h, tt.wantEvent)
			}
		})
	}
}

// Two daemons on one database file, 1,000 deliveries due: each is published once.
func TestTwoDaemonsOneDatabase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake-unsafe", nil)
	e.channel("b", "fake-unsafe", nil)
	const posts = 500
	for i := range posts {
		e.post(fmt.Sprintf("p%04d", i), t0.Add(-time.Duration(i%60)*time.Second), "a", "b")
	}
	other, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	fake := e.fakes["fake-unsafe"]
	fake.Latency = time.Millisecond
	s1 := e.scheduler(Options{Owner: "one", Concurrency: 8})
	s2 := New(other, Options{Owner: "two", Concurrency: 8, Clock: e.clock, Factory: e.factory()})
	third, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	once := New(third, Options{Owner: "publish-due", Concurrency: 4, Clock: e.clock, Factory: e.factory()})
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range []*Scheduler{s1, s2} {
		wg.Go(func() {
			if err := s.Run(rctx); err != nil {
				t.Error(err)
			}
		})
	}
	// And `publish --due` at the same time, as a cron job would. It ends by
	// itself once nothing is left to claim: it is never canceled (a canceled
	// RunOnce reports context.Canceled, which is not what this test is about).
	onceDone := make(chan struct{})
	go func() {
		defer close(onceDone)
		if _, err := once.RunOnce(ctx, 0); err != nil {
			t.Error(err)
		}
	}()
	eventually(t, "all published", func() bool {
		sum, err := e.st.DeliverySummary(ctx, e.clock.Now())
		return err == nil && sum.Counts[calendar.DeliveryPublished] == 2*posts
	})
	<-onceDone
	cancel()
	wg.Wait()
	got := fake.Posts()
	seen := map[int64]int{}
	for _, p := range got {
		seen[p.DeliveryID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %d published %d times", id, n)
		}
	}
	if len(got) != 2*posts || len(seen) != 2*posts {
		t.Errorf("network received %d posts for %d deliveries, want %d", len(got), len(seen), 2*posts)
	}
	h1, h2, h3 := s1.counts.published.Load(), s2.counts.published.Load(), once.counts.published.Load()
	t.Logf("two daemons and a publish --due: %d deliveries, published %d + %d + %d, each once", 2*posts, h1, h2, h3)
	if h1 == 0 || h2 == 0 {
		t.Logf("note: one daemon did all the work (allowed, but the test then proves less)")
	}
}

// A canceled RunOnce says so, whether the cancellation came before a claim
// or during one: what it published is still reported.
func TestRunOnceCanceled(t *testing.T) {
	for _, tt := range []struct {
		name  string
		after int // cancel once the network has this many posts
	}{{"before any claim", 0}, {"mid-run", 3}} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.channel("acme", "fake", nil)
			for i := range 20 {
				e.post(fmt.Sprintf("p%02d", i), t0, "acme")
			}
			ctx, cancel := context.WithCancel(context.Background())
			fake := e.fakes["fake"]
			if tt.after == 0 {
				cancel()
			} else {
				n := 0 // OnPublish runs under the fake's lock, one call at a time
				fake.OnPublish = func(publishers.Post) {
					if n++; n >= tt.after {
						cancel()
					}
				}
			}
			defer cancel()
			rep, err := e.scheduler(Options{Concurrency: 1}).RunOnce(ctx, 0)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want context.Canceled", err)
			}
			if rep.Published != tt.after || len(fake.Posts()) != tt.after {
				t.Errorf("report says %d published, network has %d, want %d", rep.Published, len(fake.Posts()), tt.after)
			}
		})
	}
}

// The HTTP health check fails when deliveries are overdue and nothing progresses.
func TestHealth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	s := e.scheduler(Options{})
	s.lastProgress.Store(t0.UnixMilli())
	if ok, why := s.Health(ctx); !ok {
		t.Fatalf("idle calendar unhealthy: %s", why)
	}
	e.post("p1", t0, "acme")
	e.clock.Advance(2 * time.Minute)
	if ok, _ := s.Health(ctx); ok {
		t.Fatal("healthy with an overdue delivery and no progress for two minutes")
	}
	if err := e.st.PauseAll(ctx, "crisis"); err != nil {
		t.Fatal(err)
	}
	ok, why := s.Health(ctx)
	if !ok {
		t.Fatalf("unhealthy under the kill switch, which is a person's choice: %s", why)
	}
	if want := "paused: 1 delivery is due but held by the kill switch (pause --all, reason: crisis); `crieur resume --all` to publish"; why != want {
		t.Errorf("health under the kill switch says %q, want %q", why, want)
	}
	// A paused channel's due deliveries are said too.
	if err := e.st.ResumeAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetChannelPaused(ctx, "acme", true, "rebrand"); err != nil {
		t.Fatal(err)
	}
	if ok, why := s.Health(ctx); !ok || !strings.Contains(why, "1 delivery is due but held: channel acme is paused (reason: rebrand)") {
		t.Errorf("health with a paused channel: %v %q", ok, why)
	}
}

func TestWatchSeesOtherConnections(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	w, err := e.st.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if changed, _ := w.Changed(ctx); changed {
		t.Fatal("changed with no write")
	}
	other, err := sqlstore.Open(ctx, filepath.Clean(e.st.Path()), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.PauseAll(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if changed, _ := w.Changed(ctx); !changed {
		t.Fatal("a commit by another connection was not seen")
	}
}

func TestMetricsAndHealthEndpoints(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	s := e.scheduler(Options{Metrics: NewMetrics()})
	if _, err := s.RunOnce(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/metrics")
	for _, want := range []string{`crieur_deliveries_published_total{network="fake"} 1`, "crieur_delivery_lateness_seconds_count 1", "crieur_queue_overdue"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	// The queue is counted at the scrape (the idle daemon never counts it).
	e.post("p3", t0.Add(time.Hour), "acme")
	if _, body := get("/metrics"); !strings.Contains(body, "crieur_queue_pending 1\n") {
		t.Errorf("/metrics does not count the pending delivery at the scrape:\n%s", grepLines(body, "crieur_queue"))
	}
	s.lastProgress.Store(t0.UnixMilli())
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d, want 200", code)
	}
	e.post("p2", t0, "acme")
	e.clock.Advance(5 * time.Minute)
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz %d %q, want 503 with an overdue delivery and no progress", code, body)
	}
}

// A daemon asked to stop before it has started (SIGINT during start-up)
// stops cleanly: Run returns nil, as for a stop at any later moment, and
// publishes nothing.
func TestRunStoppedBeforeItStarts(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("due", t0, "acme")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.scheduler(Options{Concurrency: 1}).Run(ctx); err != nil {
		t.Fatalf("Run on a stopped context = %v, want nil (a clean stop)", err)
	}
	if n := len(e.fakes["fake"].Posts()); n != 0 {
		t.Errorf("published %d posts after the stop", n)
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
