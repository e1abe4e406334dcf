package scheduler

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// statsNet publishes at the test's clock and answers Stats as told.
type statsNet struct {
	now func() time.Time
	// built counts the publishers the network's New built.
	built int

	mu    sync.Mutex
	seq   int
	reads [][]string
	// answer gives one post's stat; err, when set, fails the read.
	answer func(id string) (publishers.Stat, bool)
	err    error
}

func (n *statsNet) Validate(publishers.Post) []publishers.Problem { return nil }

func (n *statsNet) Publish(_ context.Context, p publishers.Post) (publishers.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seq++
	return publishers.Result{RemoteID: fmt.Sprintf("r%d", n.seq), PublishedAt: n.now()}, nil
}

func (n *statsNet) Stats(_ context.Context, ids []string) (map[string]publishers.Stat, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.reads = append(n.reads, ids)
	if n.err != nil {
		return nil, n.err
	}
	out := map[string]publishers.Stat{}
	for _, id := range ids {
		if st, ok := n.answer(id); ok {
			out[id] = st
		}
	}
	return out, nil
}

func (n *statsNet) set(answer func(string) (publishers.Stat, bool), err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.answer, n.err = answer, err
}

func (n *statsNet) readCount() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.reads)
}

// statsEnv is an env whose channels acme (network "numbers") and quiet
// (network "fake": no Stats) each published one post at t0.
func statsEnv(t *testing.T) (*env, *statsNet, *StatsCollector) {
	e := newEnv(t)
	net := &statsNet{now: e.clock.Now}
	likes := int64(0)
	net.answer = func(string) (publishers.Stat, bool) {
		likes++
		return publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"likes": likes}}, true
	}
	f := e.factory()
	inner := f.Lookup
	f.Lookup = func(name string) (publishers.Network, error) {
		if name == "numbers" {
			return publishers.Network{Name: name, Safety: publishers.RetryIdempotent, Metrics: []string{"likes"},
				New: func(publishers.Config) (publishers.Publisher, error) {
					net.mu.Lock()
					net.built++
					net.mu.Unlock()
					return net, nil
				}}, nil
		}
		return inner(name)
	}
	e.channel("acme", "numbers", nil)
	e.channel("quiet", "fake", nil)
	e.post("p1", t0, "acme", "quiet")
	s := e.scheduler(Options{Factory: f})
	if _, err := s.RunOnce(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublished {
		t.Fatalf("delivery %s", d.Status)
	}
	return e, net, &StatsCollector{Store: e.st, Factory: f, Now: e.clock.Now, Networks: []string{"numbers"}}
}

func (e *env) snapshots(channel string) []calendar.Snapshot {
	e.t.Helper()
	rows, err := e.st.Engagement(context.Background(), calendar.EngagementFilter{Channel: channel})
	if err != nil || len(rows) != 1 {
		e.t.Fatalf("engagement of %s: %v, %d rows", channel, err, len(rows))
	}
	return rows[0].Snapshots
}

func TestStatsSchedule(t *testing.T) {
	e, net, c := statsEnv(t)
	ctx := context.Background()
	step := func(to time.Duration, want int) {
		t.Helper()
		e.clock.Advance(t0.Add(to).Sub(e.clock.Now()))
		run, err := c.Collect(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if run.Recorded != want {
			t.Errorf("at +%v: %d snapshots, want %d (%+v)", to, run.Recorded, want, run)
		}
	}
	step(59*time.Minute, 0)
	step(time.Hour, 1)
	step(2*time.Hour, 0)
	step(24*time.Hour, 1)
	step(6*24*time.Hour, 0)
	// The daemon was down past +7d and +30d: the +30d point stands, once.
	step(31*24*time.Hour, 1)
	step(60*24*time.Hour, 0)
	var got []string
	for _, sn := range e.snapshots("acme") {
		got = append(got, fmt.Sprintf("%s@%s=%d", sn.After, sn.TakenAt.Sub(t0), sn.Counts["likes"]))
	}
	want := []string{"1h@1h0m0s=1", "24h@24h0m0s=2", "30d@744h0m0s=3"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("snapshots %v, want %v", got, want)
	}
	if n := net.readCount(); n != 3 {
		t.Errorf("network read %d times, want 3", n)
	}
	if sn := e.snapshots("quiet"); len(sn) != 0 {
		t.Errorf("a network without numbers got snapshots %v", sn)
	}
}

func TestStatsRateLimitDefers(t *testing.T) {
	e, net, c := statsEnv(t)
	ctx := context.Background()
	net.set(nil, &publishers.Error{Class: publishers.RateLimited, Status: 429, RetryAfter: 10 * time.Minute})
	e.clock.Advance(time.Hour)
	run, err := c.Collect(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Recorded != 0 || run.Deferred["acme"] == "" {
		t.Fatalf("run %+v, want nothing recorded and acme deferred", run)
	}
	if sn := e.snapshots("acme"); len(sn) != 0 {
		t.Fatalf("a 429 recorded %v (never zeros)", sn)
	}
	// Within the wait the network is not asked again.
	e.clock.Advance(5 * time.Minute)
	if run, _ := c.Collect(ctx, time.Time{}); net.readCount() != 1 || run.Deferred["acme"] == "" {
		t.Errorf("asked %d times within the wait (run %+v)", net.readCount(), run)
	}
	net.set(func(string) (publishers.Stat, bool) {
		return publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"likes": 4}}, true
	}, nil)
	e.clock.Advance(6 * time.Minute)
	if run, err := c.Collect(ctx, time.Time{}); err != nil || run.Recorded != 1 {
		t.Fatalf("after the wait: %+v, %v", run, err)
	}
	if sn := e.snapshots("acme"); len(sn) != 1 || sn[0].After != "1h" || sn[0].Counts["likes"] != 4 {
		t.Errorf("snapshots %+v", sn)
	}
}

func TestStatsDeletedAndRevoked(t *testing.T) {
	e, net, c := statsEnv(t)
	ctx := context.Background()
	net.set(func(string) (publishers.Stat, bool) { return publishers.Stat{State: publishers.StatDeleted}, true }, nil)
	e.clock.Advance(time.Hour)
	if run, err := c.Collect(ctx, time.Time{}); err != nil || run.Deleted != 1 {
		t.Fatalf("run %+v, %v", run, err)
	}
	// A deleted post is read no more.
	e.clock.Advance(24 * time.Hour)
	if run, _ := c.Collect(ctx, time.Time{}); run.Due != 0 || net.readCount() != 1 {
		t.Errorf("a deleted post is still read: %+v", run)
	}
	if sn := e.snapshots("acme"); len(sn) != 1 || sn[0].State != calendar.SnapshotDeleted || sn[0].Counts != nil {
		t.Errorf("snapshots %+v, want one deleted without counts", sn)
	}

	e2, net2, c2 := statsEnv(t)
	net2.set(nil, &publishers.Error{Class: publishers.Auth, Status: 401, Message: "The access token was revoked"})
	e2.clock.Advance(time.Hour)
	run, err := c2.Collect(ctx, time.Time{})
	if err != nil || run.Revoked != 1 || run.Failed["acme"] == "" {
		t.Fatalf("run %+v, %v", run, err)
	}
	if sn := e2.snapshots("acme"); len(sn) != 1 || sn[0].State != calendar.SnapshotRevoked {
		t.Errorf("snapshots %+v, want revoked", sn)
	}
}

// The collector keeps a channel's publisher from run to run (one network
// session, not one per run) until the channel changes.
func TestStatsKeepsThePublisher(t *testing.T) {
	e, net, c := statsEnv(t)
	ctx := context.Background()
	net.mu.Lock()
	before := net.built
	net.mu.Unlock()
	for _, step := range []time.Duration{time.Hour, 23 * time.Hour} {
		e.clock.Advance(step)
		if run, err := c.Collect(ctx, time.Time{}); err != nil || run.Recorded != 1 {
			t.Fatalf("run %+v, %v", run, err)
		}
	}
	net.mu.Lock()
	defer net.mu.Unlock()
	if built := net.built - before; built != 1 {
		t.Errorf("%d publishers built for two runs, want 1", built)
	}
}

// A collector that may not run yet (its daemon does not lead) asks again
// within seconds, not a whole period later, and collects once it may.
func TestStatsGateRetriesSoon(t *testing.T) {
	_, _, c := statsEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	calls := 0
	gate := func(context.Context) bool { calls++; return calls > 1 }
	after := func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		if len(waits) == 2 {
			cancel()
		}
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}
	c.Run(ctx, 5*time.Minute, after, gate)
	if len(waits) < 2 || waits[0] != gateRetry || waits[1] != 5*time.Minute {
		t.Errorf("waits %v, want [%s 5m0s]: soon while not leading, then the period", waits, gateRetry)
	}
}

// A network whose channels give no numbers until they enable them (X's
// billed reads: Network.NoStats) is not read while none does: its posts
// take no place in the run; once a channel enables them, they are read.
func TestStatsSkipsChannelsWithoutNumbers(t *testing.T) {
	e, net, c := statsEnv(t)
	inner := c.Factory.Lookup
	c.Factory.Lookup = func(name string) (publishers.Network, error) {
		nw, err := inner(name)
		if name == "numbers" {
			nw.NoStats = func(settings map[string]string) string {
				if settings["stats"] != "on" {
					return "billed: set stats=on"
				}
				return ""
			}
		}
		return nw, err
	}
	ctx := context.Background()
	e.clock.Advance(t0.Add(time.Hour).Sub(e.clock.Now()))
	run, err := c.Collect(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Due != 0 || net.readCount() != 0 {
		t.Errorf("stats off: %d due, %d reads; want none", run.Due, net.readCount())
	}
	ch, err := e.st.Channel(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ch.Settings = map[string]string{"stats": "on"}
	if err := e.st.UpdateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if run, err = c.Collect(ctx, time.Time{}); err != nil || run.Recorded != 1 {
		t.Errorf("stats on: %+v, %v; want the post read", run, err)
	}
}

// TestStatsNext: after each run, the next reading to come is the post's
// next point after publishing (never one due now that a run left), on the
// channel that gives numbers; none once every point is taken or the post
// was deleted.
func TestStatsNext(t *testing.T) {
	e, _, c := statsEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		at   time.Duration // after t0, when collect runs
		want string        // after:at-t0, or "" for none
	}{
		{0, "1h:1h0m0s"},
		{59 * time.Minute, "1h:1h0m0s"},
		{time.Hour, "24h:24h0m0s"},
		{3 * time.Hour, "24h:24h0m0s"},
		{24 * time.Hour, "7d:168h0m0s"},
		{20 * 24 * time.Hour, "30d:720h0m0s"},
		{30 * 24 * time.Hour, ""},
	} {
		e.clock.Advance(t0.Add(tc.at).Sub(e.clock.Now()))
		if _, err := c.Collect(ctx, time.Time{}); err != nil {
			t.Fatal(err)
		}
		next, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if next != nil {
			got = next.After + ":" + next.At.Sub(t0).String()
			if next.Post != "p1" || next.Channel != "acme" {
				t.Errorf("at +%v: next %+v, want p1 on acme", tc.at, next)
			}
		}
		if got != tc.want {
			t.Errorf("at +%v: next %q, want %q", tc.at, got, tc.want)
		}
	}

	// A post the network deleted has no reading to come.
	e2, net2, c2 := statsEnv(t)
	net2.set(func(string) (publishers.Stat, bool) { return publishers.Stat{State: publishers.StatDeleted}, true }, nil)
	e2.clock.Advance(t0.Add(time.Hour).Sub(e2.clock.Now()))
	if _, err := c2.Collect(ctx, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if next, err := c2.Next(ctx); err != nil || next != nil {
		t.Errorf("deleted post: next %+v, %v; want none", next, err)
	}
}
