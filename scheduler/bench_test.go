package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// Benchmarks of the daemon on a real database file with the wall clock.
// Full-size runs (the figures for BENCHMARKS.md):
//
//	CRIEUR_BENCH_FULL=1 go test -run '^$' -bench . -benchtime 1x ./scheduler/
//
// Without CRIEUR_BENCH_FULL the workloads are scaled down in time and size.

func full() bool { return os.Getenv("CRIEUR_BENCH_FULL") != "" }

func benchStore(b *testing.B, channels int, network string) *sqlstore.Store {
	b.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(b.TempDir(), "crieur.db"), sqlstore.Options{Create: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for i := range channels {
		c := calendar.Channel{Name: "c" + strconv.Itoa(i), Network: network}
		if err := st.AddChannel(context.Background(), &c); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

func channelNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "c" + strconv.Itoa(i)
	}
	return out
}

func seed(b *testing.B, st *sqlstore.Store, prefix string, posts int, channels []string, at func(i int) time.Time) {
	b.Helper()
	for i := range posts {
		t := at(i)
		p := calendar.Post{Slug: fmt.Sprintf("%s%06d", prefix, i), Body: "bench", Channels: channels, Status: calendar.StatusScheduled, PublishAt: &t}
		if err := st.CreatePost(context.Background(), &p); err != nil {
			b.Fatal(err)
		}
	}
}

func fakeFactory(f *publishertest.Fake) Factory {
	return Factory{Lookup: func(name string) (publishers.Network, error) {
		return publishers.Network{Name: name, Safety: publishers.RetryIdempotent, New: func(publishers.Config) (publishers.Publisher, error) { return f, nil }}, nil
	}}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// BenchmarkLateness: 1,000 deliveries spread over 60 s (6 s scaled down),
// added while the daemon runs; lateness is when the publisher received each
// one minus its due time.
func BenchmarkLateness(b *testing.B) {
	n, span := 1000, 6*time.Second
	if full() {
		span = 60 * time.Second
	}
	for range b.N {
		st := benchStore(b, 1, "fake")
		var mu sync.Mutex
		var late []time.Duration
		f := &publishertest.Fake{Idempotent: true, OnPublish: func(p publishers.Post) {
			mu.Lock()
			late = append(late, time.Since(p.ScheduledAt))
			mu.Unlock()
		}}
		s := New(st, Options{Concurrency: 4, Factory: fakeFactory(f)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		start := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
		seed(b, st, "l", n, []string{"c0"}, func(i int) time.Time { return start.Add(time.Duration(i) * span / time.Duration(n)) })
		for {
			mu.Lock()
			got := len(late)
			mu.Unlock()
			if got == n {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-done
		slices.Sort(late)
		p50, p99, worst := percentile(late, .5), percentile(late, .99), late[len(late)-1]
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(worst.Microseconds())/1000, "max-ms")
		fmt.Printf("lateness over %d deliveries in %v: p50 %v, p99 %v, max %v\n", n, span, p50, p99, worst)
		if p99 > time.Second {
			b.Errorf("p99 lateness %v is over the 1 s promise", p99)
		}
	}
}

// BenchmarkThroughput: 10,000 deliveries due at once (2,000 scaled down),
// a network answering in 50 ms, concurrency 16.
func BenchmarkThroughput(b *testing.B) {
	posts := 500
	if full() {
		posts = 2500
	}
	const channels = 4
	for range b.N {
		b.StopTimer()
		st := benchStore(b, channels, "fake")
		due := time.Now().Add(-time.Second)
		seed(b, st, "t", posts, channelNames(channels), func(int) time.Time { return due })
		f := &publishertest.Fake{Idempotent: true, Latency: 50 * time.Millisecond}
		s := New(st, Options{Concurrency: 16, Factory: fakeFactory(f)})
		b.StartTimer()
		began := time.Now()
		rep, err := s.RunOnce(context.Background(), 0)
		elapsed := time.Since(began)
		if err != nil {
			b.Fatal(err)
		}
		if rep.Published != posts*channels {
			b.Fatalf("published %d of %d", rep.Published, posts*channels)
		}
		rate := float64(rep.Published) / elapsed.Seconds()
		b.ReportMetric(rate, "deliveries/s")
		fmt.Printf("throughput: %d deliveries, 50 ms network, concurrency 16: %v, %.0f/s (ceiling 16/50ms = 320/s)\n", rep.Published, elapsed.Round(time.Millisecond), rate)
	}
}

// BenchmarkLargeCalendar: one wake (claim of a due delivery + next wake) on
// an empty calendar and on one of 50,000 future deliveries (10,000 scaled
// down): the cost follows what is due, not the calendar's size, and the
// daemon's heap stays small.
func BenchmarkLargeCalendar(b *testing.B) {
	posts := 2000
	if full() {
		posts = 10000
	}
	for _, size := range []int{0, posts} {
		b.Run(fmt.Sprintf("future=%d", size*5), func(b *testing.B) { benchWake(b, size) })
	}
}

func benchWake(b *testing.B, posts int) {
	const channels = 5
	st := benchStore(b, channels, "fake")
	future := time.Now().Add(24 * time.Hour)
	seed(b, st, "f", posts, channelNames(channels), func(i int) time.Time { return future.Add(time.Duration(i) * time.Minute) })
	f := &publishertest.Fake{Idempotent: true}
	s := New(st, Options{Concurrency: 4, Factory: fakeFactory(f)})
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		seed(b, st, "d"+strconv.Itoa(i)+"-", 1, []string{"c0"}, func(int) time.Time { return time.Now().Add(-time.Millisecond) })
		b.StartTimer()
		claimed, _, err := s.claim(ctx, time.Now(), 4, 0)
		if err != nil || len(claimed) != 1 {
			b.Fatalf("claimed %d: %v", len(claimed), err)
		}
		if _, _, err := st.NextWake(ctx, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.deliver(ctx, claimed[0], nil)
		b.StartTimer()
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
	fmt.Printf("calendar of %d future deliveries: per wake (claim+next wake) %v over %d wakes; heap in use %.1f MiB\n",
		posts*channels, b.Elapsed()/time.Duration(b.N), b.N, float64(ms.HeapInuse)/(1<<20))
}
