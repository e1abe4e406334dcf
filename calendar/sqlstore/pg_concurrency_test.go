package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// On PostgreSQL the per-delivery hot path holds the write lock shared: an
// outcome is recorded while another is in flight, but an ordinary
// (exclusive) write waits for both.
func TestPostgresOutcomesRunSideBySide(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	a, b, c := pgStore(t, url), pgStore(t, url), pgStore(t, url)
	claimChannel(t, a, "x", nil)
	claimPost(t, a, "one", c0.Add(-time.Minute), "x")
	claimPost(t, a, "two", c0.Add(-time.Minute), "x")
	r := claim(t, b, "d-b", c0, 10)
	if len(r.Claimed) != 2 {
		t.Fatalf("claimed %d, want 2", len(r.Claimed))
	}
	release := make(chan struct{})
	held := make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- a.txDelivery(ctx, func(tx *sql.Tx) error {
			close(held)
			select {
			case <-release:
				return nil
			case <-time.After(20 * time.Second):
				return errors.New("never released")
			}
		})
	}()
	<-held
	// An outcome beside the shared holder: it must not wait for it.
	done := make(chan error, 1)
	go func() {
		done <- b.RecordOutcome(ctx, r.Claimed[0], "d-b", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", PublishedAt: c0})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("an outcome waited for another delivery's transaction: outcomes are serialised")
	}
	// An exclusive write waits until the shared holder ends.
	excl := make(chan error, 1)
	go func() {
		excl <- c.tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES ('probe', '1', 0)`)
			return err
		})
	}()
	select {
	case err := <-excl:
		close(release)
		t.Fatalf("an exclusive write ran beside a shared holder (err %v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if err := <-excl; err != nil {
		t.Fatal(err)
	}
}

// N daemons (stores of their own) claim and publish at once over posts of
// several channels while a person edits the same posts: each delivery is
// claimed once, each post ends published with one post.published event,
// each delivery has its attempt and published events, and no edit that
// succeeded is lost.
func TestPostgresConcurrentClaimersAndPublishers(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	chans := []string{"a", "b", "c"}
	for _, c := range chans {
		claimChannel(t, setup, c, nil)
	}
	const posts = 30
	var ids []int64
	for i := range posts {
		p := claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Minute), chans...)
		ids = append(ids, p.ID)
	}
	const daemons = 5
	errs := make(chan error, 1000)
	race := startClaimers(ctx, t, url, daemons, 4, errs, func(s *Store, owner string, claimed []calendar.Delivery) {
		var pub sync.WaitGroup
		for _, d := range claimed {
			pub.Add(1)
			go func() {
				defer pub.Done()
				if err := s.RecordOutcome(ctx, d, owner, calendar.Outcome{Kind: calendar.OutcomePublished,
					RemoteID: fmt.Sprintf("r%d", d.ID), PublishedAt: c0}); err != nil {
					errs <- fmt.Errorf("%s: outcome of %d: %w", owner, d.ID, err)
				}
			}()
		}
		pub.Wait()
	})
	// A person edits the posts meanwhile (exclusive writes racing the
	// outcomes): a stale copy is refused with ErrConflict and edited again.
	editor := pgStore(t, url)
	edited := map[int64]string{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range ids {
			id := ids[len(ids)-1-i] // from the end: the daemons claim from the start
			for try := 0; try < 50; try++ {
				p, err := editor.Post(ctx, fmt.Sprint(id))
				if err != nil {
					errs <- err
					return
				}
				if p.Status == calendar.StatusPublished {
					break // out: not editable
				}
				p.Body = fmt.Sprintf("edited %d", id)
				err = editor.UpdatePost(ctx, &p)
				if errors.Is(err, calendar.ErrConflict) {
					continue
				}
				if err == nil {
					edited[id] = p.Body
				}
				if err != nil {
					errs <- fmt.Errorf("editing post %d: %w", id, err)
				}
				break
			}
		}
	}()
	wg.Wait()
	seen, dup := race.wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(dup) > 0 {
		t.Fatalf("claimed twice: %v", dup)
	}
	if len(seen) != posts*len(chans) {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), posts*len(chans))
	}
	for _, id := range ids {
		p, err := setup.Post(ctx, fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != calendar.StatusPublished {
			t.Errorf("post %s: status %s, want published", p.Slug, p.Status)
		}
		if want, ok := edited[id]; ok && p.Body != want {
			t.Errorf("post %s: body %q, want the edit %q (lost update)", p.Slug, p.Body, want)
		}
		var n int
		if err := setup.db.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE post_id=? AND kind='post.published'`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("post %s: %d post.published events, want 1", p.Slug, n)
		}
	}
	rows, err := setup.db.QueryContext(ctx, `SELECT d.id, d.status,
		(SELECT count(*) FROM events e WHERE e.delivery_id = d.id AND e.kind = 'delivery.attempt'),
		(SELECT count(*) FROM events e WHERE e.delivery_id = d.id AND e.kind = 'delivery.published') FROM deliveries d`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		var st string
		var attempts, published int
		if err := rows.Scan(&id, &st, &attempts, &published); err != nil {
			t.Fatal(err)
		}
		n++
		if st != calendar.DeliveryPublished || attempts != 1 || published != 1 {
			t.Errorf("delivery %d: %s, %d attempt and %d published events, want published, 1 and 1", id, st, attempts, published)
		}
	}
	if n != posts*len(chans) {
		t.Fatalf("%d deliveries, want %d", n, posts*len(chans))
	}
	t.Logf("%d of %d posts edited while the daemons ran", len(edited), posts)
}

// Claims on a rate-limited channel run one at a time (the claim lock):
// claimers racing over it never take more than its limit between them.
func TestPostgresConcurrentClaimsKeepRateLimit(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "slow", func(c *calendar.Channel) { c.RatePerMinute = 5 })
	claimChannel(t, setup, "free", nil)
	for i := range 20 {
		claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Minute), "slow", "free")
	}
	const claimers = 6
	var wg sync.WaitGroup
	counts := make([]map[string]int, claimers)
	errs := make([]error, claimers)
	start := make(chan struct{})
	for i := range claimers {
		s := pgStore(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			counts[i] = map[string]int{}
			for range 3 {
				r, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: fmt.Sprintf("d%d", i), Now: c0, Lease: time.Minute, Limit: 4})
				if err != nil {
					errs[i] = err
					return
				}
				for _, d := range r.Claimed {
					counts[i][d.Channel]++
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	total := map[string]int{}
	for i := range claimers {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for ch, n := range counts[i] {
			total[ch] += n
		}
	}
	if total["slow"] != 5 {
		t.Fatalf("%d claims on the channel limited to 5 a minute, want 5 (all: %v)", total["slow"], total)
	}
	if total["free"] == 0 {
		t.Fatalf("no claim on the unlimited channel: %v", total)
	}
}
