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

// On PostgreSQL a new post is written under the write lock shared and the
// create lock: beside the daemons' claims and outcomes (a busy writer does
// not stall them), but one at a time among writers of new posts, and never
// beside an exclusive writer.
func TestPostgresCreatePostLocks(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "x", nil)
	claimPost(t, setup, "due", c0.Add(-time.Minute), "x")
	n := 0
	newPost := func(s *Store) error {
		n++
		at := c0.Add(time.Hour)
		p := calendar.Post{Slug: fmt.Sprintf("new-%d", n), Body: "b", Channels: []string{"x"}, Status: calendar.StatusScheduled, PublishAt: &at}
		return s.CreatePost(ctx, &p)
	}
	tests := []struct {
		name string
		// hold runs fn in a transaction held open by the kind of writer named.
		hold func(s *Store, fn func(*sql.Tx) error) error
		// probe is the write tried while hold's transaction is open.
		probe func(s *Store) error
		runs  bool // the probe completes while the holder holds
	}{
		{"a new post beside a claim or an outcome in flight", (*Store).holdDelivery, newPost, true},
		{"a claim beside a new post being written", (*Store).holdCreate, func(s *Store) error {
			_, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "d", Now: c0, Lease: time.Minute, Limit: 1})
			return err
		}, true},
		{"a new post waits for another", (*Store).holdCreate, newPost, false},
		{"a new post waits for an exclusive writer", (*Store).holdExclusive, newPost, false},
		{"an exclusive writer waits for a new post", (*Store).holdCreate, func(s *Store) error {
			return s.tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?, '1', 0)`, fmt.Sprintf("probe-%d", time.Now().UnixNano()))
				return err
			})
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			holder, prober := pgStore(t, url), pgStore(t, url)
			release, held := make(chan struct{}), make(chan struct{})
			holding := make(chan error, 1)
			go func() {
				holding <- tc.hold(holder, func(*sql.Tx) error {
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
			probed := make(chan error, 1)
			go func() { probed <- tc.probe(prober) }()
			wait := 500 * time.Millisecond
			if tc.runs {
				wait = 10 * time.Second
			}
			select {
			case err := <-probed:
				close(release)
				if !tc.runs {
					t.Fatalf("ran while the holder held its lock (err %v), want it to wait", err)
				}
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(wait):
				close(release)
				if tc.runs {
					t.Fatal("waited for the holder, want it to run beside it")
				}
				if err := <-probed; err != nil {
					t.Fatal(err)
				}
			}
			if err := <-holding; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func (s *Store) holdDelivery(fn func(*sql.Tx) error) error {
	return s.txDelivery(context.Background(), fn)
}

func (s *Store) holdCreate(fn func(*sql.Tx) error) error {
	return s.txCreate(context.Background(), fn)
}

func (s *Store) holdExclusive(fn func(*sql.Tx) error) error {
	return s.tx(context.Background(), fn)
}

// Writers create posts due now while daemons (stores of their own) claim
// and publish: each delivery is claimed and published once, each post ends
// published with its events once, and writers racing for one slug or one
// title end as one writer at a time would (one post per slug: the second
// is refused with ErrConflict; a title's posts each get a slug of their own).
func TestPostgresCreatePostsWhileDaemonsClaim(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	chans := []string{"a", "b"}
	for _, c := range chans {
		claimChannel(t, setup, c, nil)
	}
	errs := make(chan error, 1000)
	var writing sync.WaitGroup
	var mu sync.Mutex
	created := map[int64]string{}
	conflicts := 0
	const writers, perWriter = 3, 15
	for w := range writers {
		s := pgStore(t, url)
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range perWriter {
				at := c0.Add(-time.Minute)
				// Every writer writes the same slugs and the same titles.
				p := calendar.Post{Slug: fmt.Sprintf("s%d", i), Body: "b", Channels: chans, Status: calendar.StatusScheduled, PublishAt: &at}
				if i%3 == 0 {
					p.Slug, p.Title = "", fmt.Sprintf("Title %d", i)
				}
				err := s.CreatePost(ctx, &p)
				mu.Lock()
				switch {
				case err == nil:
					created[p.ID] = p.Slug
				case p.Slug != "" && errors.Is(err, calendar.ErrConflict) && i%3 != 0:
					conflicts++
				default:
					errs <- fmt.Errorf("writer %d, post %d: %w", w, i, err)
				}
				mu.Unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { writing.Wait(); close(done) }()
	seen := map[int64]string{}
	var dup []string
	var claiming sync.WaitGroup
	for i := range 4 {
		s := pgStore(t, url)
		owner := fmt.Sprintf("daemon-%d", i)
		claiming.Add(1)
		go func() {
			defer claiming.Done()
			for {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				res, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: owner, Now: c0, Lease: time.Minute, Limit: 2})
				if err != nil {
					errs <- fmt.Errorf("%s: claim: %w", owner, err)
					return
				}
				mu.Lock()
				for _, d := range res.Claimed {
					if prev, ok := seen[d.ID]; ok {
						dup = append(dup, fmt.Sprintf("delivery %d by %s and %s", d.ID, prev, owner))
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
				for _, d := range res.Claimed {
					if err := s.RecordOutcome(ctx, d, owner, calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprintf("r%d", d.ID), PublishedAt: c0}); err != nil {
						errs <- fmt.Errorf("%s: outcome of %d: %w", owner, d.ID, err)
					}
				}
				if len(res.Claimed) == 0 {
					if finished {
						return // nothing due after the last write
					}
					time.Sleep(2 * time.Millisecond)
				}
			}
		}()
	}
	claiming.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(dup) > 0 {
		t.Fatalf("claimed twice: %v", dup)
	}
	// Per index i: one post for a slug (the others refused), one per
	// writer for a title.
	want := 0
	for i := range perWriter {
		if i%3 == 0 {
			want += writers
		} else {
			want++
		}
	}
	if len(created) != want || conflicts != writers*perWriter-want {
		t.Fatalf("%d posts created and %d refused as conflicts, want %d and %d", len(created), conflicts, want, writers*perWriter-want)
	}
	slugs := map[string]bool{}
	for _, slug := range created {
		if slugs[slug] {
			t.Errorf("slug %s given twice", slug)
		}
		slugs[slug] = true
	}
	if len(seen) != len(created)*len(chans) {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), len(created)*len(chans))
	}
	for id := range created {
		p, err := setup.Post(ctx, fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != calendar.StatusPublished {
			t.Errorf("post %s: status %s, want published", p.Slug, p.Status)
		}
		var events, attempts int
		if err := setup.db.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM events WHERE post_id=? AND kind IN ('post.created','post.published')),
			(SELECT count(*) FROM events WHERE post_id=? AND kind='delivery.attempt')`, id, id).Scan(&events, &attempts); err != nil {
			t.Fatal(err)
		}
		if events != 2 || attempts != len(chans) {
			t.Errorf("post %s: %d created/published events and %d attempts, want 2 and %d", p.Slug, events, attempts, len(chans))
		}
	}
}
