package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"
	"github.com/crieur/crieur/internal/testsvc"

	calendar "github.com/crieur/crieur/calendar"
)

// campaignRows is one campaign's CSV: n posts (more than a chunk) whose
// bodies start with body.
func campaignRows(n int, body string) string {
	var b strings.Builder
	b.WriteString("slug,at,channels,campaign,body\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "c%d,%s,acme-log,launch,%s %d\n", i, t0.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), body, i)
	}
	return b.String()
}

// loadConcurrently runs two loads of the same campaign at once, each on
// its own handle (two CI jobs), and returns their errors.
func loadConcurrently(t *testing.T, a, b calendar.Store, rowsA, rowsB string) [2]error {
	t.Helper()
	var errs [2]error
	done := make(chan struct{})
	start := make(chan struct{})
	for i, st := range []calendar.Store{a, b} {
		rows := []string{rowsA, rowsB}[i]
		go func() {
			defer func() { done <- struct{}{} }()
			set := formats.ReadCSV([]byte(rows), "launch.csv", formats.ReadOptions{})
			if len(set.Problems) > 0 {
				errs[i] = fmt.Errorf("reading: %v", set.Problems)
				return
			}
			<-start
			_, errs[i] = st.LoadFrom(context.Background(), set.Source(), calendar.LoadOptions{Zone: time.UTC})
		}()
	}
	close(start)
	<-done
	<-done
	return errs
}

// Two loads of the same campaign at once end as one load would: no post
// twice, no post half of one load and half of the other; the second waits
// for the first and then finds its posts unchanged (or updates them
// whole), or fails as a conflict (exit 5), never with another error.
func TestTwoLoadsOfOneCampaignAtOnce(t *testing.T) {
	twoLoadsAtOnce(t, func(t *testing.T) (*Store, *Store) {
		s := loadStore(t)
		other, err := Open(context.Background(), s.path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		other.Now = s.Now
		return s, other
	})
}

// The same on PostgreSQL: two connections, two transactions.
func TestTwoLoadsOfOneCampaignAtOncePostgres(t *testing.T) {
	testsvc.Postgres(t) // skips (or fails under CI) without a server
	twoLoadsAtOnce(t, func(t *testing.T) (*Store, *Store) {
		url := testsvc.Postgres(t)
		open := func() *Store {
			s, err := OpenURL(context.Background(), url, Options{Create: true, Keys: keysOf(testKey(t))})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			s.Now = func() time.Time { return t0 }
			return s
		}
		s := open()
		addChannel(t, s, "acme-log", "", false)
		return s, open()
	})
}

func twoLoadsAtOnce(t *testing.T, open func(t *testing.T) (*Store, *Store)) {
	n := calendar.LoadChunk + 200
	for _, tc := range []struct {
		name, bodyA, bodyB string
		before             string // loaded first, if set: the posts exist, the loads update them
	}{
		{"new-same", "Launch", "Launch", ""},
		{"new-different", "Version A", "Version B", ""},
		{"update-same", "Launch v2", "Launch v2", "Launch v1"},
		{"update-different", "Version A", "Version B", "Version 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s, other := open(t)
			if tc.before != "" {
				mustLoad(t, s, formats.ReadCSV([]byte(campaignRows(n, tc.before)), "launch.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
			}
			errs := loadConcurrently(t, s, other, campaignRows(n, tc.bodyA), campaignRows(n, tc.bodyB))
			ok := 0
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, calendar.ErrConflict):
					t.Logf("load %d: %v", i, err)
				default:
					t.Errorf("load %d failed, neither done nor a conflict: %v", i, err)
				}
			}
			if ok == 0 {
				t.Fatal("neither load went through")
			}
			counts := map[string]string{
				`SELECT count(*) FROM posts`:                                            "posts",
				`SELECT count(DISTINCT slug) FROM posts`:                                "slugs",
				`SELECT count(*) FROM deliveries`:                                       "deliveries",
				`SELECT count(*) FROM events WHERE kind = 'post.created'`:               "creations",
				`SELECT count(*) FROM posts p JOIN campaigns c ON c.id = p.campaign_id`: "posts in the campaign",
			}
			for q, what := range counts {
				var got int
				if err := s.db.QueryRow(q).Scan(&got); err != nil || got != n {
					t.Errorf("%d %s, want %d (%v)", got, what, n, err)
				}
			}
			var camps int
			if err := s.db.QueryRow(`SELECT count(*) FROM campaigns WHERE name = 'launch'`).Scan(&camps); err != nil || camps != 1 {
				t.Errorf("%d campaigns named launch, want 1 (%v)", camps, err)
			}
			// Whole loads only: every post has the body of one and the same load.
			rows, err := s.db.Query(`SELECT body FROM posts`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			seen := map[string]int{}
			for rows.Next() {
				var body string
				if err := rows.Scan(&body); err != nil {
					t.Fatal(err)
				}
				seen[strings.Fields(body)[len(strings.Fields(body))-2]]++
			}
			if len(seen) != 1 {
				t.Errorf("posts mix the two loads: %v", seen)
			}
			// And the calendar is what one load makes: loading the winner's
			// rows again changes nothing.
			var winner string
			for w := range seen {
				winner = w
			}
			body := tc.bodyA
			if strings.HasSuffix(tc.bodyB, winner) {
				body = tc.bodyB
			}
			before := snapshot(t, s)
			res, err := s.Load(ctx, formats.ReadCSV([]byte(campaignRows(n, body)), "launch.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			if after := snapshot(t, s); after != before || res.Created+res.Updated != 0 {
				t.Errorf("loading the winning rows again created %d, updated %d: the two loads did not end as one", res.Created, res.Updated)
			}
		})
	}
}

// A load that loses a race with another writer (a post it updates was
// changed between its plan and its write) fails as a conflict naming the
// row concerned, as every other load problem does, and writes nothing.
func TestLoadLosingARaceNamesTheRow(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := loadStoreOn(t, engine)
			mustLoad(t, s, formats.ReadCSV([]byte(campaignRows(3, "Launch")), "launch.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
			before := snapshot(t, s)

			// The other writer's change, made where the load's write will
			// read it (the load holds the write lock once it has begun).
			ran := false
			beforeLoadWrite = func(ctx context.Context, tx *sql.Tx) error {
				beforeLoadWrite, ran = nil, true
				_, err := tx.ExecContext(ctx, `UPDATE posts SET title='Changed meanwhile', version=version+1 WHERE slug='c2'`)
				return err
			}
			t.Cleanup(func() { beforeLoadWrite = nil })
			set := formats.ReadCSV([]byte(campaignRows(3, "Launch v2")), "launch.csv", formats.ReadOptions{})
			res, err := s.Load(ctx, set, calendar.LoadOptions{Zone: time.UTC})
			if !ran {
				t.Fatal("the other writer never ran")
			}
			var ce *calendar.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, calendar.ErrConflict) {
				t.Fatalf("got %v (%T), want a *ConflictError", err, err)
			}
			if len(ce.Problems) != 1 || ce.Problems[0].File != "launch.csv" || ce.Problems[0].Line != 3 {
				t.Errorf("problems %+v, want one at launch.csv:3 (c2's row)", ce.Problems)
			}
			if msg := err.Error(); !strings.Contains(msg, "launch.csv:3: ") || !strings.Contains(msg, "run the load again") {
				t.Errorf("message %q, want the row's file:line and what to do", msg)
			}
			if len(res.Errors) != 1 || res.Errors[0].Line != 3 || res.Conflicts != 1 || res.Updated != 0 {
				t.Errorf("result %+v, want the conflict in its errors (-o json) and nothing updated", res)
			}
			if got := snapshot(t, s); got != before {
				t.Errorf("the failed load changed the calendar:\n%s\nwant\n%s", got, before)
			}
		})
	}
}

// A load whose new post's slug another writer took meanwhile names that
// post's row too, and writes nothing.
func TestLoadLosingASlugRaceNamesTheRow(t *testing.T) {
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s := loadStoreOn(t, engine)
			want := snapshot(t, s)
			const insert = `INSERT INTO posts (slug, created_at, updated_at) VALUES ('c2', 0, 0)`
			beforeLoadWrite = func(ctx context.Context, tx *sql.Tx) error {
				beforeLoadWrite = nil
				if engine == "sqlite" { // the load holds SQLite's write lock
					_, err := tx.ExecContext(ctx, insert)
					return err
				}
				if _, err := s.db.ExecContext(ctx, insert); err != nil { // another connection, committed
					return err
				}
				want = snapshot(t, s)
				return nil
			}
			t.Cleanup(func() { beforeLoadWrite = nil })
			res, err := s.Load(ctx, formats.ReadCSV([]byte(campaignRows(3, "Launch")), "launch.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
			var ce *calendar.ConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v (%T), want a *ConflictError", err, err)
			}
			if len(ce.Problems) != 1 || ce.Problems[0].File != "launch.csv" || ce.Problems[0].Line != 3 || !strings.Contains(ce.Problems[0].Message, `"c2" was created by someone else`) {
				t.Errorf("problems %+v, want one at launch.csv:3 (c2's row)", ce.Problems)
			}
			if res.Conflicts != 1 || res.Created != 0 {
				t.Errorf("result %+v, want the conflict and nothing created", res)
			}
			if got := snapshot(t, s); got != want {
				t.Errorf("the failed load changed the calendar:\n%s\nwant\n%s", got, want)
			}
		})
	}
}
