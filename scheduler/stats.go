package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// StatsStore is what the collector needs of a calendar.
type StatsStore interface {
	calendar.Deliveries
	calendar.Metrics
}

// StatsCollector reads the engagement of published deliveries at the
// points of its schedule (+1h, +24h, +7d, +30d by default) and records it.
// It runs beside publishing, never in its way: the daemon calls Collect
// from its own goroutine (see Run), `crieur stats collect` once.
//
// A channel whose network answers 429 is deferred (nothing recorded, never
// zeros) until the wait it asked for has passed, for as long as the
// collector lives.
type StatsCollector struct {
	Store   StatsStore
	Offsets []time.Duration // nil: calendar.DefaultStatsOffsets
	Factory Factory
	Now     func() time.Time // nil: time.Now
	Log     *slog.Logger     // nil: nothing logged
	// Networks are the networks read; nil: every registered network whose
	// Metrics are set.
	Networks []string
	// Limit bounds the snapshots a run takes (0: 1000); the rest wait for
	// the next run.
	Limit int
	// Publisher, when set, gives a channel's publisher (the daemon passes
	// its scheduler's, so that both share one session with the network);
	// else the collector builds them with Factory and keeps them while the
	// channel is unchanged.
	Publisher func(ctx context.Context, ch calendar.Channel) (publishers.Publisher, error)

	mu       sync.Mutex
	deferred map[string]time.Time // channel → not before
	pubs     map[int64]cachedPub
}

// StatsRun is what one collection did.
type StatsRun struct {
	Due      int               `json:"due"`
	Recorded int               `json:"recorded"`
	Deleted  int               `json:"deleted"`
	Revoked  int               `json:"revoked"`
	Deferred map[string]string `json:"deferred,omitempty"` // channel → until when (RFC 3339)
	Failed   map[string]string `json:"failed,omitempty"`   // channel → why
	NoStats  []string          `json:"no_numbers,omitempty"`
}

// defaultStatsLimit is how many snapshots a run takes at most.
const defaultStatsLimit = 1000

// minStatsDefer is the least a rate-limited channel waits, when the network
// did not say how long.
const minStatsDefer = time.Minute

func (c *StatsCollector) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *StatsCollector) networks() []string {
	if c.Networks != nil {
		return c.Networks
	}
	var out []string
	for _, name := range publishers.Names() {
		if nw, err := c.Factory.Network(name); err == nil && len(nw.Metrics) > 0 {
			out = append(out, name)
		}
	}
	return out
}

// Collect takes every snapshot due now (published since since; zero: the
// last offset and a week back) and records it. It is the maintenance job a
// daemon runs (gate it by leadership where several daemons share a
// calendar). Failures of one channel are reported in StatsRun and do not
// stop the others; the error is the store's.
func (c *StatsCollector) Collect(ctx context.Context, since time.Time) (StatsRun, error) {
	run := StatsRun{Deferred: map[string]string{}, Failed: map[string]string{}}
	now := c.now().UTC()
	offsets := c.Offsets
	if len(offsets) == 0 {
		offsets = calendar.DefaultStatsOffsets
	}
	networks, err := c.withNumbers(ctx, c.networks())
	if err != nil {
		return run, err
	}
	if len(networks) == 0 {
		return run, nil
	}
	limit := c.Limit
	if limit <= 0 {
		limit = defaultStatsLimit
	}
	due, err := c.Store.StatsDue(ctx, calendar.StatsQuery{Now: now, Offsets: offsets, Since: since, Networks: networks, Limit: limit})
	if err != nil {
		return run, err
	}
	run.Due = len(due)
	byChannel := map[int64][]calendar.StatsDue{}
	var order []int64
	for _, d := range due {
		if _, ok := byChannel[d.ChannelID]; !ok {
			order = append(order, d.ChannelID)
		}
		byChannel[d.ChannelID] = append(byChannel[d.ChannelID], d)
	}
	for _, id := range order {
		if err := ctx.Err(); err != nil {
			return run, err
		}
		list := byChannel[id]
		name := list[0].Channel
		if until, ok := c.deferredUntil(name); ok && now.Before(until) {
			run.Deferred[name] = until.UTC().Format(time.RFC3339)
			continue
		}
		if err := c.collectChannel(ctx, now, id, list, &run); err != nil {
			return run, err
		}
	}
	return run, nil
}

// StatsNext is the next reading to come: a post on a channel, when, and
// which point after publishing it is.
type StatsNext struct {
	Post    string    `json:"post"`
	Channel string    `json:"channel"`
	At      time.Time `json:"at"`
	After   string    `json:"after"` // 1h, 24h, 7d, 30d
}

// Next is the first reading due after now among the published posts on
// channels that give numbers, or nil when none is left to take (nothing
// published within the last point of the schedule, or every reading taken).
// A reading due now that a run could not take (the network asked to wait,
// or failed) is not "next": the next run takes it.
func (c *StatsCollector) Next(ctx context.Context) (*StatsNext, error) {
	now := c.now().UTC()
	offsets := append([]time.Duration(nil), c.Offsets...)
	if len(offsets) == 0 {
		offsets = append(offsets, calendar.DefaultStatsOffsets...)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	last := offsets[len(offsets)-1]
	networks, err := c.withNumbers(ctx, c.networks())
	if err != nil || len(networks) == 0 {
		return nil, err
	}
	read := map[string]bool{}
	for _, n := range networks {
		read[n] = true
	}
	// A channel set up without numbers (X without stats=on) is left out
	// when the store lists its channels.
	quiet := map[string]bool{}
	if lister, ok := c.Store.(interface {
		Channels(context.Context) ([]calendar.Channel, error)
	}); ok {
		chans, err := lister.Channels(ctx)
		if err != nil {
			return nil, err
		}
		for _, ch := range chans {
			if nw, err := c.Factory.Network(ch.Network); err == nil {
				if m, _ := nw.MetricsFor(ch.Settings); len(m) == 0 {
					quiet[ch.Name] = true
				}
			}
		}
	}
	from := now.Add(-last)
	rows, err := c.Store.Engagement(ctx, calendar.EngagementFilter{From: &from, Latest: true})
	if err != nil {
		return nil, err
	}
	var next *StatsNext
	for _, e := range rows {
		if !read[e.Network] || quiet[e.Channel] {
			continue
		}
		taken, gone := time.Duration(-1), false
		for _, sn := range e.Snapshots {
			taken = max(taken, sn.Offset)
			gone = gone || sn.State == calendar.SnapshotDeleted
		}
		if gone {
			continue
		}
		for _, o := range offsets {
			at := e.PublishedAt.Add(o)
			if o <= taken || !at.After(now) {
				continue
			}
			if next == nil || at.Before(next.At) {
				next = &StatsNext{Post: e.Slug, Channel: e.Channel, At: at, After: calendar.OffsetWords(o)}
			}
			break
		}
	}
	return next, nil
}

// withNumbers leaves out the networks whose every channel gives no numbers
// as it is set up (Network.NoStats: X's billed reads, a read scope asked for
// with stats=on): their posts would take the run's places for nothing. A
// store that does not list its channels leaves them all in.
func (c *StatsCollector) withNumbers(ctx context.Context, names []string) ([]string, error) {
	lister, ok := c.Store.(interface {
		Channels(context.Context) ([]calendar.Channel, error)
	})
	if !ok {
		return names, nil
	}
	var chans []calendar.Channel
	loaded := false
	out := make([]string, 0, len(names))
	for _, name := range names {
		nw, err := c.Factory.Network(name)
		if err != nil || nw.NoStats == nil {
			out = append(out, name)
			continue
		}
		if !loaded {
			if chans, err = lister.Channels(ctx); err != nil {
				return nil, err
			}
			loaded = true
		}
		for _, ch := range chans {
			if m, _ := nw.MetricsFor(ch.Settings); ch.Network == name && len(m) > 0 {
				out = append(out, name)
				break
			}
		}
	}
	return out, nil
}

func (c *StatsCollector) deferredUntil(channel string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.deferred[channel]
	return t, ok
}

func (c *StatsCollector) deferChannel(channel string, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deferred == nil {
		c.deferred = map[string]time.Time{}
	}
	c.deferred[channel] = until
}

// collectChannel reads one channel's due posts; only a store error is
// returned, the network's go into run.
func (c *StatsCollector) collectChannel(ctx context.Context, now time.Time, channelID int64, list []calendar.StatsDue, run *StatsRun) error {
	name := list[0].Channel
	ch, err := c.Store.ChannelByID(ctx, channelID)
	if err != nil {
		return err
	}
	pub, err := c.publisher(ctx, ch)
	if err != nil {
		run.Failed[name] = err.Error()
		return nil
	}
	reader, ok := publishers.StatsOf(pub)
	if !ok {
		run.NoStats = append(run.NoStats, name)
		return nil
	}
	ids := make([]string, 0, len(list))
	byRemote := map[string]calendar.StatsDue{}
	for _, d := range list {
		if _, dup := byRemote[d.RemoteID]; !dup {
			ids = append(ids, d.RemoteID)
		}
		byRemote[d.RemoteID] = d
	}
	got, readErr := reader.Stats(ctx, ids)
	// What the network answered before an error is kept.
	for _, id := range ids {
		st, ok := got[id]
		if !ok {
			continue
		}
		if err := c.record(ctx, now, list, id, st, run); err != nil {
			return err
		}
	}
	if readErr == nil {
		return nil
	}
	class, wait := publishers.Classify(readErr)
	switch {
	case errors.Is(readErr, publishers.ErrNoStats):
		run.NoStats = append(run.NoStats, name)
	case class == publishers.RateLimited:
		until := now.Add(max(wait, minStatsDefer))
		c.deferChannel(name, until)
		run.Deferred[name] = until.Format(time.RFC3339)
		c.log("stats deferred: the network asked to wait", "channel", name, "until", until)
	case class == publishers.Auth:
		for _, id := range ids {
			if _, ok := got[id]; ok {
				continue
			}
			if err := c.record(ctx, now, list, id, publishers.Stat{State: publishers.StatRevoked}, run); err != nil {
				return err
			}
		}
		run.Failed[name] = readErr.Error()
	default:
		run.Failed[name] = readErr.Error()
		c.log("stats read failed; tried again next run", "channel", name, "err", readErr)
	}
	return nil
}

// publisher is the channel's publisher, kept while the channel is unchanged:
// a network session (Bluesky's createSession is rate limited) is opened once,
// not at every run.
func (c *StatsCollector) publisher(ctx context.Context, ch calendar.Channel) (publishers.Publisher, error) {
	if c.Publisher != nil {
		return c.Publisher(ctx, ch)
	}
	c.mu.Lock()
	cp, ok := c.pubs[ch.ID]
	c.mu.Unlock()
	if ok && cp.updated.Equal(ch.UpdatedAt) {
		return cp.pub, nil
	}
	pub, nw, err := c.Factory.Publisher(ctx, c.Store, ch)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.pubs == nil {
		c.pubs = map[int64]cachedPub{}
	}
	c.pubs[ch.ID] = cachedPub{updated: ch.UpdatedAt, pub: pub, nw: nw}
	c.mu.Unlock()
	return pub, nil
}

// record keeps st for every due delivery with remote id id.
func (c *StatsCollector) record(ctx context.Context, now time.Time, list []calendar.StatsDue, id string, st publishers.Stat, run *StatsRun) error {
	for _, d := range list {
		if d.RemoteID != id {
			continue
		}
		state := string(st.State)
		switch st.State {
		case publishers.StatDeleted:
			run.Deleted++
		case publishers.StatRevoked:
			run.Revoked++
		case publishers.StatOK:
		default:
			state = calendar.SnapshotOK
		}
		sn := calendar.Snapshot{DeliveryID: d.DeliveryID, Offset: d.Offset, TakenAt: now, State: state}
		if st.State == publishers.StatOK || st.State == "" {
			sn.Counts = map[string]int64(st.Counts)
		}
		if err := c.Store.RecordSnapshot(ctx, sn); err != nil {
			return err
		}
		run.Recorded++
	}
	return nil
}

func (c *StatsCollector) log(msg string, args ...any) {
	if c.Log != nil {
		c.Log.Info(msg, args...)
	}
}

// Run calls Collect every interval until ctx ends (the daemon's job); gate,
// when set, is asked before each run (e.g. whether this daemon holds the
// maintenance lease) and a run is skipped when it says no.
func (c *StatsCollector) Run(ctx context.Context, every time.Duration, after func(time.Duration) <-chan time.Time, gate func(context.Context) bool) {
	for {
		wait := every
		if gate != nil && !gate(ctx) {
			// Not leading (yet: a daemon takes the lead as it starts): look
			// again soon rather than a whole period later.
			wait = min(every, gateRetry)
		} else {
			run, err := c.Collect(ctx, time.Time{})
			switch {
			case err != nil && ctx.Err() == nil:
				if c.Log != nil {
					c.Log.Error("stats", "err", err)
				}
			case run.Recorded > 0 || len(run.Failed) > 0:
				failed := make([]string, 0, len(run.Failed))
				for ch := range run.Failed {
					failed = append(failed, ch)
				}
				sort.Strings(failed)
				c.log("stats collected", "snapshots", run.Recorded, "deleted", run.Deleted, "revoked", run.Revoked, "failed", failed)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
	}
}

// gateRetry is how soon a collector that may not run (another daemon
// leads) asks again.
const gateRetry = 2 * time.Second
