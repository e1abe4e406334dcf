package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// countedPGStore is a PostgreSQL store whose statements are counted.
func countedPGStore(t *testing.T, url string) (*Store, *atomic.Int64) {
	t.Helper()
	sent := new(atomic.Int64)
	s, err := openPostgresVia(context.Background(), url, Options{}, func(c driver.Connector) driver.Connector {
		return countingConnector{Connector: c, sent: sent}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return c0 }
	return s, sent
}

// attemptDetails are the details of the delivery.attempt events, by delivery.
func attemptDetails(t *testing.T, s *Store) map[int64][]string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), `SELECT delivery_id, actor, detail FROM events WHERE kind = 'delivery.attempt' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var actor, detail string
		if err := rows.Scan(&id, &actor, &detail); err != nil {
			t.Fatal(err)
		}
		out[id] = append(out[id], actor+" "+detail)
	}
	return out
}

// On PostgreSQL a claim with no rate limit anywhere picks, takes and
// records its deliveries in one statement (after the lock and the claim's
// first read); what it writes is what the claim of several statements
// writes: the oldest first, leased, an attempt counted, one
// delivery.attempt event each with the same detail. A channel with a rate
// limit still goes through the limited claim, which keeps the limit.
func TestPostgresClaimInOneStatement(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "a", func(c *calendar.Channel) { c.MaxLateness = 0 })
	for i := range 5 {
		claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Duration(10-i)*time.Minute), "a")
	}
	s, sent := countedPGStore(t, url)
	owner := `d<1>&"2"` // JSON escapes it: the SQL must write it as Go does
	before := sent.Load()
	r, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: owner, Now: c0, Lease: time.Minute, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if n := sent.Load() - before; n != 3 {
		t.Errorf("the claim sent %d statements besides BEGIN and COMMIT, want 3 (the lock, its first read, the claim)", n)
	}
	if len(r.Claimed) != 3 {
		t.Fatalf("claimed %d, want 3", len(r.Claimed))
	}
	all, err := setup.DueDeliveries(ctx, c0.Add(time.Hour), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("%d left due, want 2", len(all))
	}
	details := attemptDetails(t, s)
	for i, d := range r.Claimed {
		if i > 0 && !r.Claimed[i-1].RunAt.Before(*d.RunAt) {
			t.Errorf("claimed out of order: %v then %v", r.Claimed[i-1].RunAt, d.RunAt)
		}
		if !all[0].RunAt.After(*d.RunAt) {
			t.Errorf("claimed %v while %v, older, is left", d.RunAt, all[0].RunAt)
		}
		if d.Status != calendar.DeliveryPublishing || d.LeaseOwner != owner || d.Attempts != 1 || d.Channel != "a" || d.Network != "log" ||
			d.LeaseExpiresAt == nil || !d.LeaseExpiresAt.Equal(c0.Add(time.Minute)) {
			t.Errorf("claimed %+v", d)
		}
		ev := attemptEvent(d, owner, ms(c0))
		b, _ := json.Marshal(ev.Detail)
		want := ev.Actor + " " + string(b)
		if got := details[d.ID]; len(got) != 1 || got[0] != want {
			t.Errorf("delivery %d's attempt events %q, want [%q]", d.ID, got, want)
		}
	}

	// A rate limit on the channel: the limited claim, which keeps it.
	if _, err := setup.db.ExecContext(ctx, `UPDATE channels SET rate_per_minute = 4`); err != nil {
		t.Fatal(err)
	}
	before = sent.Load()
	r, err = s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "other", Now: c0, Lease: time.Minute, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if n := sent.Load() - before; n <= 3 {
		t.Errorf("the rate-limited claim sent %d statements: it did not count the channel's budget", n)
	}
	if len(r.Claimed) != 1 || r.Deferred != 1 {
		t.Errorf("with 3 of 4 a minute claimed: claimed %d, deferred %d; want 1 and 1", len(r.Claimed), r.Deferred)
	}
}

// N claimers at once, each claiming ahead (Limit, Ahead, Leave): the sets
// the one-statement claim returns are disjoint, every delivery is claimed
// once with one attempt and one event, and no claim takes ahead while
// fewer than Leave would remain.
func TestPostgresClaimInOneStatementConcurrent(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "a", func(c *calendar.Channel) { c.MaxLateness = 0 })
	claimChannel(t, setup, "b", func(c *calendar.Channel) { c.MaxLateness = 0 })
	const posts = 60 // × 2 channels
	for i := range posts {
		claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Minute), "a", "b")
	}
	const claimers, limit, ahead, leave = 6, 2, 3, 4
	var mu sync.Mutex
	seen := map[int64]string{}
	var dup, errs []string
	var wg sync.WaitGroup
	for i := range claimers {
		s := pgStore(t, url)
		owner := fmt.Sprintf("daemon-%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				var left int
				_ = setup.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status='pending'`).Scan(&left)
				r, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: owner, Now: c0, Lease: time.Minute, Limit: limit, Ahead: ahead, Leave: leave})
				mu.Lock()
				if err != nil {
					errs = append(errs, err.Error())
					mu.Unlock()
					return
				}
				if len(r.Claimed) > limit+ahead {
					errs = append(errs, fmt.Sprintf("%s claimed %d, more than %d + %d", owner, len(r.Claimed), limit, ahead))
				}
				if len(r.Claimed) > limit && left-len(r.Claimed) < leave {
					// left was read before the claim: others may only have taken more since.
					errs = append(errs, fmt.Sprintf("%s claimed %d ahead with %d due before its claim (leave %d)", owner, len(r.Claimed)-limit, left, leave))
				}
				for _, d := range r.Claimed {
					if prev, ok := seen[d.ID]; ok {
						dup = append(dup, fmt.Sprintf("delivery %d by %s and %s", d.ID, prev, owner))
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
				if len(r.Claimed) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 || len(dup) > 0 {
		t.Fatalf("errors %v; claimed twice %v", errs, dup)
	}
	if len(seen) != 2*posts {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), 2*posts)
	}
	details := attemptDetails(t, setup)
	var bad int
	if err := setup.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status <> 'publishing' OR attempts <> 1`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d deliveries not publishing with one attempt (%v)", bad, err)
	}
	for id, owner := range seen {
		if got := details[id]; len(got) != 1 || got[0][:len("daemon:"+owner)] != "daemon:"+owner {
			t.Errorf("delivery %d (claimed by %s): attempt events %q", id, owner, got)
		}
	}
}

// The claim and the outcome run their statements with generic plans (set
// for their own transaction only): the rest of the connection's work is
// planned as before, and so are a claim's rate limits.
func TestPostgresHotPathPlansOnce(t *testing.T) {
	ctx := context.Background()
	s := pgStore(t, PostgresForTest(t))
	mode := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) string {
		var m string
		if err := q.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	s.db.SetMaxOpenConns(1) // one connection: what a transaction set must not outlive it
	var inside, rated string
	if err := s.txDelivery(ctx, func(tx *sql.Tx) error {
		inside = mode(tx)
		if err := s.lockRated(ctx, tx); err != nil {
			return err
		}
		rated = mode(tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if inside != "force_generic_plan" || rated != "auto" {
		t.Errorf("plan_cache_mode in the hot path %q, after the rate limits' lock %q; want force_generic_plan, auto", inside, rated)
	}
	if after := mode(s.db); after != "auto" {
		t.Errorf("plan_cache_mode after the transaction %q, want auto", after)
	}
}

// On PostgreSQL an outcome batch writes its publications, its events and
// counts its posts' deliveries in one statement, then its posts and their
// events in one more; the posts come out as the count after the
// publications says, as on SQLite: published (with the latest time) when
// all are, partial with one failed, unchanged while one is still out.
func TestPostgresOutcomesInFewStatements(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	for _, c := range []string{"a", "b", "c"} {
		claimChannel(t, setup, c, func(c *calendar.Channel) { c.MaxLateness = 0 })
	}
	all := claimPost(t, setup, "all", c0.Add(-3*time.Minute), "a", "b", "c")
	some := claimPost(t, setup, "some", c0.Add(-2*time.Minute), "a", "b")
	open := claimPost(t, setup, "open", c0.Add(-time.Minute), "a", "b")
	s, sent := countedPGStore(t, url)
	r := claim(t, s, "me", c0, 10)
	if len(r.Claimed) != 7 {
		t.Fatalf("claimed %d, want 7", len(r.Claimed))
	}
	var recs []calendar.OutcomeRecord
	var latest time.Time // of the post published on all its channels
	for _, d := range r.Claimed {
		if at := c0.Add(time.Duration(d.ID) * time.Second); d.PostID == all.ID && at.After(latest) {
			latest = at
		}
		o := calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprint("r", d.ID), PublishedAt: c0.Add(time.Duration(d.ID) * time.Second)}
		switch {
		case d.PostID == some.ID && d.Channel == "b":
			o = calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"}
		case d.PostID == open.ID && d.Channel == "b":
			continue // still out
		}
		recs = append(recs, calendar.OutcomeRecord{Delivery: d, Outcome: o})
	}
	before := sent.Load()
	errs, err := s.RecordOutcomes(ctx, "me", recs)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		if e != nil {
			t.Fatal(e)
		}
	}
	// The lock, the locking read, the failed one's UPDATE, the publications
	// with the events and the count, the posts with their events.
	if n := sent.Load() - before; n != 5 {
		t.Errorf("the batch sent %d statements besides BEGIN and COMMIT, want 5", n)
	}
	want := map[int64]struct {
		status, detail string
		published      time.Time
	}{
		all.ID:  {calendar.StatusPublished, `{"deliveries":{"published":3},"from":"scheduled"}`, latest},
		some.ID: {calendar.StatusPartial, `{"deliveries":{"failed":1,"published":1},"from":"scheduled"}`, time.Time{}},
		open.ID: {calendar.StatusScheduled, ``, time.Time{}},
	}
	for id, w := range want {
		p, err := s.Post(ctx, fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		var detail string
		err = s.db.QueryRowContext(ctx, `SELECT detail FROM events WHERE post_id = ? AND kind LIKE 'post.%' AND actor = 'daemon:me'`, id).Scan(&detail)
		if err != nil && err != sql.ErrNoRows {
			t.Fatal(err)
		}
		if p.Status != w.status || detail != w.detail || (!w.published.IsZero() && (p.PublishedAt == nil || !p.PublishedAt.Equal(w.published))) {
			t.Errorf("post %s: %s published %v, event %s; want %s, %v, %s", p.Slug, p.Status, p.PublishedAt, detail, w.status, w.published, w.detail)
		}
	}
	var published, events int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status='published' AND remote_id <> '' AND lease_owner = ''`).Scan(&published); err != nil || published != 5 {
		t.Errorf("%d deliveries published (%v), want 5", published, err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE kind IN ('delivery.published','delivery.failed')`).Scan(&events); err != nil || events != 6 {
		t.Errorf("%d outcome events (%v), want 6", events, err)
	}
}

// textsConnector records the text of each statement sent through its
// connections.
type textsConnector struct {
	driver.Connector
	mu    *sync.Mutex
	texts *[]string
}

func (c textsConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return textsConn{pgConn: dc.(*pgConn), c: c}, nil
}

type textsConn struct {
	*pgConn
	c textsConnector
}

func (t textsConn) note(q string) {
	t.c.mu.Lock()
	*t.c.texts = append(*t.c.texts, q)
	t.c.mu.Unlock()
}

func (t textsConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	t.note(query)
	return t.pgConn.QueryContext(ctx, query, args)
}

func (t textsConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	t.note(query)
	return t.pgConn.ExecContext(ctx, query, args)
}

// On PostgreSQL the daemon's reads of a claim's posts and channels, and an
// outcome batch, send the same statements whatever the number of ids (an
// array, not a list of placeholders): each is prepared and planned once
// per connection, not once per length.
func TestPostgresIDListsAreOneStatement(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "a", func(c *calendar.Channel) { c.MaxLateness = 0 })
	claimChannel(t, setup, "b", func(c *calendar.Channel) { c.MaxLateness = 0 })
	var posts []int64
	for i := range 5 {
		posts = append(posts, claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Minute), "a", "b").ID)
	}
	var mu sync.Mutex
	var texts []string
	s, err := openPostgresVia(ctx, url, Options{}, func(c driver.Connector) driver.Connector {
		return textsConnector{Connector: c, mu: &mu, texts: &texts}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Now = func() time.Time { return c0 }
	r := claim(t, s, "me", c0, 10)
	sent := func(do func()) []string {
		mu.Lock()
		texts = nil
		mu.Unlock()
		do()
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), texts...)
	}
	read := func(n int) func() {
		return func() {
			if ps, err := s.PostsByID(ctx, posts[:n]); err != nil || len(ps) != n {
				t.Fatalf("PostsByID: %d posts, %v", len(ps), err)
			}
			if cs, err := s.ChannelsByID(ctx, []int64{r.Claimed[0].ChannelID, r.Claimed[1].ChannelID}[:min(n, 2)]); err != nil || len(cs) != min(n, 2) {
				t.Fatalf("ChannelsByID: %d channels, %v", len(cs), err)
			}
		}
	}
	settle := func(ds []calendar.Delivery) func() {
		return func() {
			var recs []calendar.OutcomeRecord
			for _, d := range ds {
				recs = append(recs, calendar.OutcomeRecord{Delivery: d, Outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r", PublishedAt: c0}})
			}
			if _, err := s.RecordOutcomes(ctx, "me", recs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if one, three := sent(read(1)), sent(read(3)); fmt.Sprint(one) != fmt.Sprint(three) {
		t.Errorf("the reads of 1 and of 3 posts sent different statements:\n%q\n%q", one, three)
	}
	one, three := sent(settle(r.Claimed[:1])), sent(settle(r.Claimed[1:4]))
	if len(one) < 2 || len(three) < 2 || one[1] != three[1] {
		t.Errorf("the outcomes of 1 and of 3 deliveries locked their rows with different statements:\n%q\n%q", one, three)
	}
}

// The hot path finds its rows by key on a calendar of any size. On a
// small one (here 2,000 deliveries), generic plans once joined the rows a
// claim picked, an outcome batch's rows and their posts by reading the
// whole deliveries or posts table into a hash: each claim and each outcome
// cost a pass over the table, the daemons' largest server cost.
func TestPostgresHotPathReadsByKey(t *testing.T) {
	ctx := context.Background()
	s := pgStore(t, PostgresForTest(t))
	names := []string{"a", "b", "c", "d"}
	for _, c := range names {
		claimChannel(t, s, c, func(c *calendar.Channel) { c.MaxLateness = 0 })
	}
	first := claimPost(t, s, "p", c0.Add(-time.Hour), names...)
	// 499 more posts like the first, due a second apart after it.
	for _, q := range []string{
		`INSERT INTO posts (slug, body, status, publish_at, created_at, updated_at)
			SELECT slug || '-' || g, body, status, publish_at + g * 1000, created_at, updated_at
			FROM posts, generate_series(1, 499) AS g WHERE id = $1`,
		`INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
			SELECT p.id, d.channel_id, d.status, p.publish_at, p.publish_at, d.idempotency_key || '-' || p.id, d.updated_at
			FROM posts p JOIN deliveries d ON d.post_id = $1 WHERE p.id <> $1`,
	} {
		if _, err := s.db.ExecContext(ctx, q, first.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Analyze(ctx); err != nil {
		t.Fatal(err)
	}
	s.db.SetMaxOpenConns(1) // the work and the reading of its statistics on one server process
	seqScans := func() (n int64) {
		t.Helper()
		// This process's counts reach the shared statistics when it is next
		// idle, after this statement.
		if _, err := s.db.ExecContext(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
			t.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, `SELECT pg_stat_clear_snapshot(), (SELECT sum(seq_scan) FROM pg_stat_user_tables
			WHERE relname IN ('deliveries', 'posts'))`).Scan(new(any), &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := seqScans()
	for range 5 {
		r := claim(t, s, "me", c0, 8)
		if len(r.Claimed) != 8 {
			t.Fatalf("claimed %d, want 8", len(r.Claimed))
		}
		var recs []calendar.OutcomeRecord
		for i, d := range r.Claimed {
			o := calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprint("r", d.ID)}
			if i == 0 {
				o = calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"}
			}
			recs = append(recs, calendar.OutcomeRecord{Delivery: d, Outcome: o})
		}
		if _, err := s.RecordOutcomes(ctx, "me", recs); err != nil {
			t.Fatal(err)
		}
	}
	if n := seqScans() - before; n != 0 {
		t.Errorf("5 claims and their outcomes read the deliveries or posts table whole %d times, want 0", n)
	}
}
