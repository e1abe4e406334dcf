package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// The same benchmarks on PostgreSQL with three daemons: three schedulers in
// this process, each on its own store (its own pool of connections and its
// own LISTEN connection) on one database, as three hosts would run them.
// The posts are written through a fourth store, as another process would.
// The database is a new one on the test server (internal/testsvc: the
// server of CRIEUR_TEST_POSTGRES, else one started from Debian's
// postgresql); without PostgreSQL they skip, outside CI.
//
//	CRIEUR_BENCH_FULL=1 go test -run '^$' -bench Postgres -benchtime 1x ./scheduler/

const pgDaemons = 3

// pgBenchStores opens n+1 stores on one new database: the first writes the
// posts, the others are the daemons'. The channels are c0…c{channels-1}.
func pgBenchStores(b *testing.B, n, channels int, network string) []*sqlstore.Store {
	b.Helper()
	url := testsvc.Postgres(b)
	ctx := context.Background()
	stores := make([]*sqlstore.Store, n+1)
	for i := range stores {
		st, err := sqlstore.OpenURL(ctx, url, sqlstore.Options{Create: true})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	for i := range channels {
		c := calendar.Channel{Name: "c" + strconv.Itoa(i), Network: network}
		if err := stores[0].AddChannel(ctx, &c); err != nil {
			b.Fatal(err)
		}
	}
	return stores
}

// runDaemons starts one daemon (Run) per store; started receives once per
// daemon as it begins claiming; stop cancels them and waits.
func runDaemons(b *testing.B, stores []*sqlstore.Store, o Options) (started <-chan struct{}, stop func()) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, len(stores))
	up := make(chan struct{}, len(stores))
	for i, st := range stores {
		o := o
		o.Owner = "bench-daemon-" + strconv.Itoa(i+1)
		o.Log = slog.New(startedLog{up})
		s := New(st, o)
		go func() { errs <- s.Run(ctx) }()
	}
	return up, func() {
		cancel()
		for range stores {
			if err := <-errs; err != nil {
				b.Error(err)
			}
		}
	}
}

// startedLog is a daemon's log that says only when it has started (its
// "daemon started" line, logged as its loop begins to claim).
type startedLog struct{ started chan<- struct{} }

func (h startedLog) Enabled(context.Context, slog.Level) bool { return true }
func (h startedLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h startedLog) WithGroup(string) slog.Handler            { return h }
func (h startedLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "daemon started" {
		h.started <- struct{}{}
	}
	return nil
}

// BenchmarkLatenessPostgres: lateness, when the publisher received each
// delivery minus its due time, with three daemons on PostgreSQL. The posts
// are written once the three have started (how long that took is reported
// apart, as start-ms): a post written before a daemon listens measures its
// start, not how it publishes.
//
//   - ahead: 1,000 deliveries spread over 60 s (6 s scaled down), written
//     while the daemons run, each due 2 s after it is written (the daemons'
//     timers wake them); the first is written as the daemons have started.
//   - on-write: 300 deliveries (100 scaled down) written due at once, one
//     every 20 ms: lateness is from the write to the publisher's call, so it
//     measures how fast a write wakes a daemon (LISTEN/NOTIFY), not a timer.
func BenchmarkLatenessPostgres(b *testing.B) {
	b.Run("ahead", func(b *testing.B) {
		n, span := 1000, 6*time.Second
		if full() {
			span = 60 * time.Second
		}
		for range b.N {
			// Each post is written 2 s before it falls due: a calendar being
			// written at the rate it is published. The schedule starts when
			// the first post is written (the stores are opened and the
			// daemons started by then, which took seconds on a busy machine).
			var start time.Time
			due := func(i int) time.Time {
				if start.IsZero() {
					start = time.Now().Add(2 * time.Second).Truncate(time.Millisecond)
				}
				return start.Add(time.Duration(i) * span / time.Duration(n))
			}
			pgLateness(b, n, due, func(i int) time.Duration { return time.Until(due(i).Add(-2 * time.Second)) })
		}
	})
	b.Run("on-write", func(b *testing.B) {
		n := 100
		if full() {
			n = 300
		}
		for range b.N {
			pgLateness(b, n, func(int) time.Time { return time.Now().Truncate(time.Millisecond) }, func(i int) time.Duration {
				if i == 0 {
					return 0
				}
				return 20 * time.Millisecond
			})
		}
	})
}

// pgLateness writes n posts (post i due at(i), called just before it is
// written, after waiting wait(i)) on one channel while three daemons run,
// and reports the lateness percentiles.
func pgLateness(b *testing.B, n int, at func(i int) time.Time, wait func(i int) time.Duration) {
	stores := pgBenchStores(b, pgDaemons, 1, "fake")
	var mu sync.Mutex
	var late []time.Duration
	written := map[string]time.Time{} // when each post's write began
	f := &publishertest.Fake{Idempotent: true, OnPublish: func(p publishers.Post) {
		now := time.Now()
		mu.Lock()
		// Lateness runs from when the post fell due, or from when it was
		// written when that was later (a post cannot go out before it
		// exists: the writer's own delay is not the daemons').
		from := p.ScheduledAt
		if w, ok := written[p.Slug]; ok && w.After(from) {
			from = w
		}
		late = append(late, now.Sub(from))
		mu.Unlock()
	}}
	began := time.Now()
	started, stop := runDaemons(b, stores[1:], Options{Concurrency: 4, Factory: fakeFactory(f)})
	for range pgDaemons {
		select {
		case <-started:
		case <-time.After(time.Minute):
			b.Fatal("the daemons did not start within a minute")
		}
	}
	startup := time.Since(began)
	ctx := context.Background()
	for i := range n {
		if d := wait(i); d > 0 {
			time.Sleep(d)
		}
		t := at(i)
		p := calendar.Post{Slug: fmt.Sprintf("l%06d", i), Body: "bench", Channels: []string{"c0"}, Status: calendar.StatusScheduled, PublishAt: &t}
		mu.Lock()
		written[p.Slug] = time.Now() // the write starts: it exists no earlier
		mu.Unlock()
		if err := stores[0].CreatePost(ctx, &p); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		got := len(late)
		mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries published after 2 minutes", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if got := len(f.Posts()); got != n {
		b.Fatalf("the network received %d posts for %d deliveries", got, n)
	}
	slices.Sort(late)
	p50, p99, worst := percentile(late, .5), percentile(late, .99), late[len(late)-1]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
	b.ReportMetric(float64(startup.Microseconds())/1000, "start-ms")
	fmt.Printf("%s: %d deliveries, %d daemons on PostgreSQL (started in %v): lateness p50 %v, p99 %v, max %v (target p99 ≤ 200 ms)\n",
		b.Name(), n, pgDaemons, startup.Round(time.Millisecond), p50, p99, worst)
}

// BenchmarkThroughputPostgres: 10,000 deliveries due at once (2,000 scaled
// down), three daemons of concurrency 16 on PostgreSQL, a network answering
// in 50 ms: the ceiling is 3 × 16 / 50 ms = 960 publishes/s. Timed from the
// daemons' start to the last publish.
func BenchmarkThroughputPostgres(b *testing.B) {
	posts := 500
	if full() {
		posts = 2500
	}
	const channels, concurrency = 4, 16
	const ceiling = pgDaemons * concurrency / 0.050
	for range b.N {
		b.StopTimer()
		stores := pgBenchStores(b, pgDaemons, channels, "fake")
		due := time.Now().Add(-time.Second)
		seed(b, stores[0], "t", posts, channelNames(channels), func(int) time.Time { return due })
		// Statistics as autovacuum leaves them a minute after a load: a
		// table never analyzed is planned on guesses.
		if err := stores[0].Analyze(context.Background()); err != nil {
			b.Fatal(err)
		}
		want := int64(posts * channels)
		var published atomic.Int64
		var last atomic.Int64  // unix ns of the last publish
		var first atomic.Int64 // unix ns of the first publish
		f := &publishertest.Fake{Idempotent: true, Latency: 50 * time.Millisecond, OnPublish: func(publishers.Post) {
			published.Add(1)
			last.Store(time.Now().UnixNano())
			first.CompareAndSwap(0, time.Now().UnixNano())
		}}
		b.StartTimer()
		began := time.Now()
		_, stop := runDaemons(b, stores[1:], Options{Concurrency: concurrency, Factory: fakeFactory(f)})
		deadline := began.Add(5 * time.Minute)
		for published.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		b.StopTimer()
		stop()
		if got := published.Load(); got != want {
			b.Fatalf("published %d of %d", got, want)
		}
		if got := len(f.Posts()); int64(got) != want {
			b.Fatalf("the network received %d posts for %d deliveries", got, want)
		}
		elapsed := time.Unix(0, last.Load()).Sub(began)
		rate := float64(want) / elapsed.Seconds()
		b.ReportMetric(rate, "deliveries/s")
		b.ReportMetric(100*rate/ceiling, "%-of-ceiling")
		// The daemons' start (connections, the first claims on cold
		// caches) is in the figure; shown apart, as is the first publish.
		firstAt := time.Unix(0, first.Load()).Sub(began)
		b.ReportMetric(float64(firstAt.Milliseconds()), "first-publish-ms")
		fmt.Printf("throughput: %d deliveries, %d daemons × concurrency %d on PostgreSQL, 50 ms network: %v (the first published after %v), %.0f/s = %.0f%% of the %.0f/s ceiling (target ≥ 90%%)\n",
			want, pgDaemons, concurrency, elapsed.Round(time.Millisecond), firstAt.Round(time.Millisecond), rate, 100*rate/ceiling, ceiling)
	}
}
