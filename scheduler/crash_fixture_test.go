package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// What the crash tests share (crash_test.go: one daemon killed and started
// again; crash_cluster_test.go: three daemons killed at random).

// crashChannel is a channel of a crash test, on a local network of its own.
type crashChannel struct {
	name, network string
	idempotent    bool // the network honours idempotency keys
}

// crashCalendar adds chans to st, each on a local network whose calls take
// 0–30 ms (so kills land mid-call as well as between), and posts on all of
// them, spaced over window from start. It returns the networks by channel.
func crashCalendar(t *testing.T, st calendar.Store, chans []crashChannel, posts int, start time.Time, window time.Duration, body string) map[string]*network {
	t.Helper()
	ctx := context.Background()
	nets := map[string]*network{}
	var names []string
	for _, c := range chans {
		n := newNetwork(t, c.idempotent)
		n.Fault = func(string, int) (int, http.Header, string) {
			time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
			return 0, nil, ""
		}
		nets[c.name] = n
		names = append(names, c.name)
		if err := st.AddChannel(ctx, &calendar.Channel{Name: c.name, Network: c.network}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range posts {
		at := start.Add(time.Duration(i) * window / time.Duration(posts))
		p := calendar.Post{Slug: fmt.Sprintf("p%04d", i), Body: body, Channels: names, Status: calendar.StatusScheduled, PublishAt: &at}
		if err := st.CreatePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	return nets
}

// openDeliveries counts what is still to settle: pending or publishing.
func openDeliveries(t *testing.T, st calendar.Store) int {
	t.Helper()
	sum, err := st.DeliverySummary(context.Background(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sum.Counts[calendar.DeliveryPending] + sum.Counts[calendar.DeliveryPublishing]
}

// crashTally checks every delivery of st against what its network received:
// published exactly once, or held (only on the channel unsafe, whose network
// can neither deduplicate nor be looked up), never published twice, none
// left open.
type crashTally struct {
	byID                              map[int64]calendar.Delivery
	published, held, heldReached, dup int
}

func tallyCrash(t *testing.T, st calendar.Store, nets map[string]*network, unsafe string) crashTally {
	t.Helper()
	made := map[string]map[string]int{}
	for name, n := range nets {
		made[name] = n.counts()
	}
	all, err := st.Posts(context.Background(), calendar.PostFilter{})
	if err != nil {
		t.Fatal(err)
	}
	r := crashTally{byID: map[int64]calendar.Delivery{}}
	for _, p := range all {
		for _, d := range p.Deliveries {
			r.byID[d.ID] = d
			n := made[d.Channel][d.IdempotencyKey]
			if n > 1 {
				r.dup++
				t.Errorf("%s on %s (delivery %d) published %d times", p.Slug, d.Channel, d.ID, n)
			}
			switch d.Status {
			case calendar.DeliveryPublished:
				r.published++
				if n != 1 {
					t.Errorf("%s on %s (delivery %d) recorded published but the network has %d posts", p.Slug, d.Channel, d.ID, n)
				}
			case calendar.DeliveryHeld:
				r.held++
				r.heldReached += n
				if d.Channel != unsafe {
					t.Errorf("%s on %s (delivery %d) held though its network is safe to retry", p.Slug, d.Channel, d.ID)
				}
			default:
				t.Errorf("%s on %s (delivery %d) ended %s", p.Slug, d.Channel, d.ID, d.Status)
			}
		}
	}
	return r
}

// crashDaemon runs a crash test's daemon in a child process (the test
// binary re-run) on st until SIGTERM, publishing to nets (by network name),
// with short leases and quick retries.
func crashDaemon(ctx context.Context, t *testing.T, st calendar.Deliveries, owner string, lease time.Duration, nets map[string]publishers.Network) {
	s := New(st, Options{
		Owner:       owner + "-" + strconv.Itoa(os.Getpid()),
		Concurrency: 4,
		Lease:       lease,
		CallTimeout: time.Second,
		Backoff:     Backoff{Base: 200 * time.Millisecond, Cap: time.Second},
		Poll:        50 * time.Millisecond,
		Factory:     Factory{Lookup: func(n string) (publishers.Network, error) { return nets[n], nil }},
		Log:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
		RecoverSpec: "@every 1s", HeartbeatSpec: "@every 1s",
	})
	if err := s.Run(ctx); err != nil {
		t.Fatal(err)
	}
}
