package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/testsvc"
)

func TestRebind(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`SELECT * FROM t WHERE a = ? AND b IN (?,?)`, `SELECT * FROM t WHERE a = $1 AND b IN ($2,$3)`},
		{`SELECT '?', 'it''s ?', ? FROM t`, `SELECT '?', 'it''s ?', $1 FROM t`},
		{`SELECT "we?ird" FROM t WHERE x = ?`, `SELECT "we?ird" FROM t WHERE x = $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{`SELECT /* a ? b */ ?`, `SELECT /* a ? b */ $1`},
		{`DO $$ BEGIN PERFORM '?'; END $$; SELECT ?`, `DO $$ BEGIN PERFORM '?'; END $$; SELECT $1`},
		{`SELECT $fn$ ? $fn$, ?`, `SELECT $fn$ ? $fn$, $1`},
		{`SELECT $1, ?`, `SELECT $1, $1`}, // mixing is the caller's mistake: ? counts from 1
		{`SELECT 'unterminated ?`, `SELECT 'unterminated ?`},
	} {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// OpenURL tells engines apart by scheme; an unknown scheme is refused,
// without a file made and without its password in the error.
func TestOpenURLSchemes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, target := range []string{
		filepath.Join(dir, "plain.db"),
		"sqlite:" + filepath.Join(dir, "s.db"),
		"file:" + filepath.Join(dir, "f.db"),
		"sqlite://" + filepath.Join(dir, "s2.db"),
	} {
		s, err := OpenURL(ctx, target, Options{Create: true})
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		if s.dia.pg {
			t.Errorf("%s opened as PostgreSQL", target)
		}
		if _, err := os.Stat(s.Path()); err != nil {
			t.Errorf("%s: no SQLite file at %s: %v", target, s.Path(), err)
		}
		s.Close()
	}
	for _, target := range []string{"mysql://me:s3cret@h/db", "Redis://h", "http://me:s3cret@x/y"} {
		_, err := OpenURL(ctx, target, Options{Create: true})
		if !errors.Is(err, ErrUnknownScheme) {
			t.Errorf("%s: err %v, want ErrUnknownScheme", target, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", target, err)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"postgres://me:s3cret@h/db", "postgres://me:xxxxx@h/db"},
		{"postgres://me@h/db?password=s3cret&sslmode=disable", "postgres://me@h/db?password=xxxxx&sslmode=disable"},
		{"postgresql://h/db", "postgresql://h/db"},
	} {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if !IsPostgresURL("PostgreSQL://h/db") || IsPostgresURL("sqlite:x") || IsPostgresURL("/tmp/postgres://x") {
		t.Error("IsPostgresURL")
	}
}

// A bad password never shows in the error of a failed open.
func TestPostgresOpenErrorHidesPassword(t *testing.T) {
	url := testsvc.Postgres(t)
	bad := strings.Replace(url, "postgres@", "nosuchrole:s3cret@", 1)
	_, err := OpenURL(context.Background(), bad, Options{Create: true})
	if err == nil {
		t.Fatal("opened with a role that does not exist")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("the error shows the password: %v", err)
	}
}

// Several processes opening a new database at once migrate it once; a
// database without the tables is no calendar until `init` (Create).
func TestPostgresMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	url := testsvc.Postgres(t)
	if _, err := OpenURL(ctx, url, Options{}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("open without Create on an empty database: %v, want ErrNoDatabase", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := OpenURL(ctx, url, Options{Create: true})
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("opener %d: %v", i, err)
		}
	}
	s, err := OpenURL(ctx, url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want, _ := postgresSchemaVersion()
	var applied, distinct int64
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != want || distinct != want {
		t.Fatalf("%d migration rows (%d versions), want %d once each", applied, distinct, want)
	}
}

// pgStore opens a store on a new migrated database.
func pgStore(t *testing.T, url string) *Store {
	t.Helper()
	s, err := OpenURL(context.Background(), url, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return c0 }
	return s
}

// N daemons claiming at once, each with its own pool: every due delivery
// is claimed exactly once.
func TestPostgresConcurrentClaims(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	setup := pgStore(t, url)
	claimChannel(t, setup, "a", nil)
	claimChannel(t, setup, "b", nil)
	const posts = 40 // × 2 channels
	for i := range posts {
		claimPost(t, setup, fmt.Sprintf("p%d", i), c0.Add(-time.Minute), "a", "b")
	}
	const claimers = 8
	errs := make(chan error, claimers)
	race := startClaimers(ctx, t, url, claimers, 3, errs, nil)
	seen, dup := race.wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(dup) > 0 {
		t.Fatalf("claimed twice: %v", dup)
	}
	if len(seen) != 2*posts {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), 2*posts)
	}
	var publishing int
	if err := setup.db.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE status='publishing'`).Scan(&publishing); err != nil {
		t.Fatal(err)
	}
	if publishing != 2*posts {
		t.Fatalf("%d deliveries publishing, want %d", publishing, 2*posts)
	}
}

// claimRace is n claimers, each a store of its own, claiming at once
// until nothing is due: startClaimers starts them, wait waits for them.
type claimRace struct {
	mu   sync.Mutex
	seen map[int64]string // delivery → the claimer that took it
	dup  []string         // deliveries claimed twice
	wg   sync.WaitGroup
}

// startClaimers starts n claimers on url, each claiming limit at a time;
// after (when not nil) runs on each claim's deliveries before the next
// claim. Errors go to errs.
func startClaimers(ctx context.Context, t *testing.T, url string, n, limit int, errs chan<- error, after func(s *Store, owner string, claimed []calendar.Delivery)) *claimRace {
	r := &claimRace{seen: map[int64]string{}}
	for i := range n {
		s := pgStore(t, url)
		owner := fmt.Sprintf("daemon-%d", i)
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				res, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: owner, Now: c0, Lease: time.Minute, Limit: limit})
				if err != nil {
					errs <- fmt.Errorf("%s: claim: %w", owner, err)
					return
				}
				if len(res.Claimed) == 0 {
					return
				}
				r.mu.Lock()
				for _, d := range res.Claimed {
					if prev, ok := r.seen[d.ID]; ok {
						r.dup = append(r.dup, fmt.Sprintf("delivery %d by %s and %s", d.ID, prev, owner))
					}
					r.seen[d.ID] = owner
				}
				r.mu.Unlock()
				if after != nil {
					after(s, owner, res.Claimed)
				}
			}
		}()
	}
	return r
}

func (r *claimRace) wait() (seen map[int64]string, dup []string) {
	r.wg.Wait()
	return r.seen, r.dup
}

// forceSerializationFailure makes PostgreSQL abort tx as a serializable
// conflict would (SQLSTATE 40001).
func forceSerializationFailure(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'forced conflict' USING ERRCODE = '40001'; END $$`)
	return err
}

// A transaction aborted for a serialization failure or a deadlock runs
// again, a bounded number of times; what an aborted run wrote is gone.
func TestPostgresTxRetries(t *testing.T) {
	ctx := context.Background()
	s := pgStore(t, PostgresForTest(t))
	runs := 0
	err := s.tx(ctx, func(tx *sql.Tx) error {
		runs++
		if _, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES (?,?,0)`, fmt.Sprintf("run%d", runs), "x"); err != nil {
			return err
		}
		if runs < 3 {
			return forceSerializationFailure(ctx, tx)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("tx: %v", err)
	}
	if runs != 3 {
		t.Fatalf("fn ran %d times, want 3", runs)
	}
	keys, err := queryNames(ctx, s.db, `SELECT key FROM state WHERE key LIKE 'run%' ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "run3" {
		t.Fatalf("rows written %v, want only the last run's", keys)
	}

	// Always aborted: it gives up after the bound, with the server's error.
	runs = 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		runs++
		return forceSerializationFailure(ctx, tx)
	})
	if pgCode(err) != "40001" {
		t.Fatalf("err %v, want the 40001 error", err)
	}
	if runs != pgTxRetries+1 {
		t.Fatalf("fn ran %d times, want %d", runs, pgTxRetries+1)
	}
	// A deadlock is retried the same way.
	runs = 0
	err = s.tx(ctx, func(tx *sql.Tx) error {
		runs++
		if runs == 1 {
			_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'forced deadlock' USING ERRCODE = '40P01'; END $$`)
			return err
		}
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("after a deadlock: err %v, %d runs, want nil and 2", err, runs)
	}
}

// The server ends the connection in the middle of a write transaction:
// nothing of it is written, the error says so, and the store goes on.
func TestPostgresConnectionLossMidTransaction(t *testing.T) {
	ctx := context.Background()
	url := PostgresForTest(t)
	s := pgStore(t, url)
	claimChannel(t, s, "a", nil)
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET paused=1, pause_reason='half' WHERE name='a'`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO state (key, value, updated_at) VALUES ('half', 'written', 0)`); err != nil {
			return err
		}
		var pid int
		if err := tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE channels SET pause_reason='more' WHERE name='a'`)
		return err
	})
	if err == nil {
		t.Fatal("the transaction succeeded on a terminated connection")
	}
	if !strings.Contains(err.Error(), "connection to PostgreSQL was lost: nothing of this change was written") {
		t.Fatalf("error %q does not say the connection was lost and nothing was written", err)
	}
	c, err := s.Channel(ctx, "a")
	if err != nil {
		t.Fatalf("the store does not go on after the lost connection: %v", err)
	}
	if c.Paused || c.PauseReason != "" {
		t.Fatalf("half a transaction was written: channel %+v", c)
	}
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM state WHERE key='half'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("half a transaction was written: %d state rows (err %v)", n, err)
	}
}

// init on a database that does not exist yet creates it, when the role may.
func TestPostgresInitCreatesDatabase(t *testing.T) {
	ctx := context.Background()
	url := testsvc.Postgres(t)
	name := fmt.Sprintf("t_new_%d", time.Now().UnixNano())
	fresh := url[:strings.LastIndex(url, "/")+1] + name + url[strings.Index(url, "?"):]
	if _, err := OpenURL(ctx, fresh, Options{}); err == nil {
		t.Fatal("opened a database that does not exist without Create")
	}
	s, err := OpenURL(ctx, fresh, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if c, err := pgx.Connect(ctx, url); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	if _, err := s.Channels(ctx); err != nil {
		t.Fatalf("the new calendar cannot be read: %v", err)
	}
}

// Each engine's migrations live in its own folder, version for version: a
// migration left in migrations/ itself would never run, and a SQLite
// version without its PostgreSQL translation leaves the engines apart.
func TestMigrationsLayout(t *testing.T) {
	loose, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if len(loose) > 0 {
		t.Errorf("%v: move them to migrations/sqlite/ (and translate them into migrations/postgres/)", loose)
	}
	versions := func(engine string) map[string]bool {
		files, err := filepath.Glob(filepath.Join("migrations", engine, "*.sql"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no migrations for %s (%v)", engine, err)
		}
		out := map[string]bool{}
		for _, f := range files {
			out[strings.SplitN(filepath.Base(f), "_", 2)[0]] = true
		}
		return out
	}
	lite, pg := versions("sqlite"), versions("postgres")
	for v := range lite {
		if !pg[v] {
			t.Errorf("migration %s has no PostgreSQL translation in migrations/postgres/", v)
		}
	}
	for v := range pg {
		if !lite[v] {
			t.Errorf("migration %s is in migrations/postgres/ only", v)
		}
	}
}

// A daemon wakes on the signal of PostgreSQL's watch. Writes that make
// something due (a post scheduled, an approval, a retry, a channel
// resumed) signal; a daemon's own claims and outcomes, which make nothing
// due, do not (each daemon's commit would wake all the others), but still
// count as changes for Changed.
func TestPostgresWatchSignalsWhatMayBeDue(t *testing.T) {
	if testing.Short() {
		t.Skip("needs PostgreSQL")
	}
	ctx := context.Background()
	url := testsvc.Postgres(t)
	st, other := pgStore(t, url), pgStore(t, url)
	if err := other.AddChannel(ctx, &calendar.Channel{Name: "open", Network: "log"}); err != nil {
		t.Fatal(err)
	}
	if err := other.AddChannel(ctx, &calendar.Channel{Name: "gated", Network: "log", RequireApproval: true}); err != nil {
		t.Fatal(err)
	}
	w, err := st.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	sig := w.(calendar.ChangeSignal).Signal()
	// settle drains what came so far (a notification arrives after its
	// commit, asynchronously).
	settle := func() {
		time.Sleep(300 * time.Millisecond)
		for {
			select {
			case <-sig:
				continue
			default:
			}
			break
		}
		_, _ = w.Changed(ctx)
	}
	expect := func(step string, signal bool) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for changed := false; !changed; {
			select {
			case <-deadline:
				t.Fatalf("%s: no change reported", step)
			case <-time.After(10 * time.Millisecond):
			}
			changed, _ = w.Changed(ctx)
		}
		got := false
		select {
		case <-sig:
			got = true
		case <-time.After(200 * time.Millisecond):
		}
		if got != signal {
			t.Errorf("%s: signal %v, want %v", step, got, signal)
		}
		settle()
	}
	settle()
	now := time.Now().Add(-time.Second)
	if err := other.CreatePost(ctx, &calendar.Post{Slug: "due", Body: "b", Channels: []string{"open"}, Status: calendar.StatusScheduled, PublishAt: &now}); err != nil {
		t.Fatal(err)
	}
	expect("a post scheduled due now", true)
	res, err := other.ClaimDue(ctx, calendar.ClaimOptions{Owner: "d2", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %v", err, res.Claimed)
	}
	expect("another daemon's claim", false)
	if err := other.RecordOutcome(ctx, res.Claimed[0], "d2", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "1"}); err != nil {
		t.Fatal(err)
	}
	expect("another daemon's publication", false)
	if err := other.CreatePost(ctx, &calendar.Post{Slug: "retry", Body: "b", Channels: []string{"open"}, Status: calendar.StatusScheduled, PublishAt: &now}); err != nil {
		t.Fatal(err)
	}
	expect("a second post", true)
	res, err = other.ClaimDue(ctx, calendar.ClaimOptions{Owner: "d2", Now: time.Now(), Lease: time.Minute, Limit: 10})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claim: %v %v", err, res.Claimed)
	}
	settle()
	if err := other.RecordOutcome(ctx, res.Claimed[0], "d2", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: time.Now(), Error: "502"}); err != nil {
		t.Fatal(err)
	}
	expect("a retry put back pending", true)
	if err := other.CreatePost(ctx, &calendar.Post{Slug: "gated", Body: "b", Channels: []string{"gated"}, Status: calendar.StatusScheduled, PublishAt: &now}); err != nil {
		t.Fatal(err)
	}
	settle()
	if _, err := other.ApprovePost(ctx, "gated", ""); err != nil {
		t.Fatal(err)
	}
	expect("an approval", true)
	if err := other.SetChannelPaused(ctx, "open", true, "x"); err != nil {
		t.Fatal(err)
	}
	settle()
	if err := other.SetChannelPaused(ctx, "open", false, ""); err != nil {
		t.Fatal(err)
	}
	expect("a channel resumed", true)
}
