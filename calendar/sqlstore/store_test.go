package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// newTestStore opens a fresh calendar with a fixed clock: SQLite, or
// PostgreSQL with CRIEUR_TEST_ENGINE=postgres (every white-box test then
// runs on it: `make test` does so once for the store's own tests).
func newTestStore(t *testing.T, now time.Time) *Store {
	t.Helper()
	engine := "sqlite"
	if os.Getenv("CRIEUR_TEST_ENGINE") == "postgres" {
		engine = "postgres"
	}
	return newEngineStore(t, engine, now)
}

// engines are the two the white-box tests that matter for both run on.
var engines = []string{"sqlite", "postgres"}

// newEngineStore is newTestStore on engine: a SQLite file, or a new
// PostgreSQL database (PostgresForTest).
func newEngineStore(t *testing.T, engine string, now time.Time) *Store {
	t.Helper()
	target := filepath.Join(t.TempDir(), "c.db")
	if engine == "postgres" {
		target = PostgresForTest(t)
	}
	s, err := OpenURL(context.Background(), target, Options{Create: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return now }
	s.Actor = "tester"
	return s
}

func addChannel(t *testing.T, s *Store, name, tz string, approval bool) calendar.Channel {
	t.Helper()
	c := &calendar.Channel{Name: name, Network: "log", TZ: tz, RequireApproval: approval}
	if err := s.AddChannel(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return *c
}

func runAt(t *testing.T, s *Store, postID int64) []*int64 {
	t.Helper()
	rows, err := s.db.Query(`SELECT run_at FROM deliveries WHERE post_id=? ORDER BY channel_id`, postID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []*int64
	for rows.Next() {
		var v *int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestOpenCreatesPrivateFilesAndIsRepeatable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "c.db")
	if _, err := Open(context.Background(), path, Options{}); !errors.Is(err, ErrNoDatabase) {
		t.Fatalf("Open without Create = %v, want ErrNoDatabase", err)
	}
	key := testKey(t)
	for i := 0; i < 2; i++ {
		s, err := Open(context.Background(), path, Options{Create: true, Keys: keysOf(key)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StoreSecret("c/token", "s3cret"); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	if _, err := os.Stat(calendar.SecretsPath(path)); err == nil {
		t.Errorf("a secrets file was written beside the database")
	}
	for _, p := range []string{path} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	b, _ := os.ReadFile(path)
	if strings.Contains(string(b), "s3cret") {
		t.Error("a stored secret is in the database file")
	}
}

func TestSecretsResolveWithoutLeaking(t *testing.T) {
	s := newTestStore(t, t0)
	ref, value, err := calendar.NormalizeSecretRef("acme/token", "hunter2")
	if err != nil || ref != "stored:acme/token" || value != "hunter2" {
		t.Fatalf("NormalizeSecretRef = %q, %q, %v", ref, value, err)
	}
	if _, err := s.StoreSecret("acme/token", value); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CRIEUR_TEST_TOKEN", "from-env")
	file := filepath.Join(t.TempDir(), "tok")
	os.WriteFile(file, []byte("from-file\n"), 0o600)
	got, err := s.ResolveSecrets(map[string]string{"a": ref, "b": "env:CRIEUR_TEST_TOKEN", "c": "file:" + file})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"a": "hunter2", "b": "from-env", "c": "from-file"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	_, err = s.ResolveSecrets(map[string]string{"a": "env:CRIEUR_TEST_UNSET"})
	if err == nil || !strings.Contains(err.Error(), "CRIEUR_TEST_UNSET is not set") {
		t.Errorf("unset env: %v", err)
	}
	if red := calendar.RedactedSecrets(map[string]string{"a": ref, "b": "env:X"}); red["a"] != calendar.Redacted || red["b"] != "env:X" {
		t.Errorf("RedactedSecrets = %v", red)
	}
}

func TestPostLifecycleDrivesRunnableDeliveries(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	addChannel(t, s, "b", "", false)
	at := t0.Add(time.Hour)
	p := &calendar.Post{Body: "hello", Channels: []string{"a", "b"}}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.Status != calendar.StatusDraft {
		t.Fatalf("status %s, want draft", p.Status)
	}
	for _, r := range runAt(t, s, p.ID) {
		if r != nil {
			t.Fatal("a draft's delivery is runnable")
		}
	}
	got, err := s.SchedulePost(ctx, p.Slug, &at, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != calendar.StatusScheduled || len(got.Deliveries) != 2 {
		t.Fatalf("after schedule: %s with %d deliveries", got.Status, len(got.Deliveries))
	}
	for _, r := range runAt(t, s, p.ID) {
		if r == nil || *r != at.UnixMilli() {
			t.Fatalf("run_at %v, want %v", r, at.UnixMilli())
		}
	}
	// A re-time moves every pending delivery at once: no stale time remains.
	later := at.Add(24 * time.Hour)
	if _, err := s.SchedulePost(ctx, p.Slug, &later, false); err != nil {
		t.Fatal(err)
	}
	for _, r := range runAt(t, s, p.ID) {
		if r == nil || *r != later.UnixMilli() {
			t.Fatalf("after re-time run_at %v, want %v", r, later.UnixMilli())
		}
	}
	// Cancel: nothing runnable, deliveries canceled.
	c, err := s.CancelPost(ctx, p.Slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range c.Deliveries {
		if d.Status != calendar.DeliveryCanceled {
			t.Errorf("delivery on %s is %s after cancel", d.Channel, d.Status)
		}
	}
	for _, r := range runAt(t, s, p.ID) {
		if r != nil {
			t.Fatal("a canceled post's delivery is runnable")
		}
	}
}

func TestStaleEditIsRefused(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	p := &calendar.Post{Body: "v1", Channels: []string{"a"}}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	mine, _ := s.Post(ctx, p.Slug)
	theirs, _ := s.Post(ctx, p.Slug)
	theirs.Body = "theirs"
	if err := s.UpdatePost(ctx, &theirs); err != nil {
		t.Fatal(err)
	}
	mine.Body = "mine"
	if err := s.UpdatePost(ctx, &mine); !errors.Is(err, calendar.ErrConflict) {
		t.Fatalf("stale update = %v, want ErrConflict", err)
	}
	now, _ := s.Post(ctx, p.Slug)
	if now.Body != "theirs" || now.Version != 2 {
		t.Fatalf("body %q version %d: the stale edit overwrote", now.Body, now.Version)
	}
}

func TestApprovalGatesRunnable(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "gated", "", true)
	at := t0.Add(time.Hour)
	p := &calendar.Post{Body: "needs a yes", Channels: []string{"gated"}, PublishAt: &at, Status: calendar.StatusScheduled}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.Status != calendar.StatusReview {
		t.Fatalf("status %s, want review", p.Status)
	}
	if r := runAt(t, s, p.ID); r[0] != nil {
		t.Fatal("an unapproved delivery is runnable")
	}
}

func TestCreatePostValidation(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	cases := []struct {
		name string
		p    calendar.Post
		want string
	}{
		{"unknown channel", calendar.Post{Body: "x", Channels: []string{"nope"}}, `unknown channel "nope"`},
		{"variant of no channel", calendar.Post{Body: "x", Channels: []string{"a"}, Variants: map[string]string{"b": "y"}}, `variant for "b"`},
		{"bad slug", calendar.Post{Body: "x", Slug: "Bad Slug"}, "not a valid slug"},
		{"numeric slug", calendar.Post{Body: "x", Slug: "123"}, "all digits"},
		{"unknown campaign", calendar.Post{Body: "x", Campaign: "nope"}, `unknown campaign "nope"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.CreatePost(ctx, &c.p)
			var ve *calendar.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a validation error with %q", err, c.want)
			}
		})
	}
}

func TestQueueTakesNextFreeSlotAcrossDST(t *testing.T) {
	ctx := context.Background()
	// The day before spring forward in Paris (2026-03-29).
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC)
	s := newTestStore(t, now)
	addChannel(t, s, "paris", "Europe/Paris", false)
	if _, err := s.AddSlot(ctx, "paris", "daily 02:30"); err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for i := 0; i < 3; i++ {
		p := &calendar.Post{Body: fmt.Sprintf("post %d", i), Channels: []string{"paris"}}
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
		q, err := s.SchedulePost(ctx, p.Slug, nil, true)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, *q.PublishAt)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	want := []time.Time{
		time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), // 02:30 does not exist: 03:00 CEST, just after the gap
		time.Date(2026, 3, 30, 2, 30, 0, 0, paris),
		time.Date(2026, 3, 31, 2, 30, 0, 0, paris),
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("post %d queued at %v, want %v", i, got[i].In(paris), want[i].In(paris))
		}
	}
}

func TestQueueWithoutSlotSaysHow(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	p := &calendar.Post{Body: "x", Channels: []string{"a"}}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	_, err := s.SchedulePost(ctx, p.Slug, nil, true)
	if err == nil || !strings.Contains(err.Error(), "crieur slot add a") {
		t.Fatalf("err = %v", err)
	}
}

// Two stores on one file (a CLI command and a daemon) write at once without
// a busy error reaching anyone.
func TestConcurrentWritersShareTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(ctx, path, Options{Create: true})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	if err := stores[0].AddChannel(ctx, &calendar.Channel{Name: "a", Network: "log"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i, s := range stores {
		wg.Add(1)
		go func(i int, s *Store) {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				if err := s.CreatePost(ctx, &calendar.Post{Slug: fmt.Sprintf("p-%d-%d", i, j), Body: "x", Channels: []string{"a"}}); err != nil {
					errs <- err
				}
			}
		}(i, s)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	posts, err := stores[1].Posts(ctx, calendar.PostFilter{})
	if err != nil || len(posts) != 200 {
		t.Fatalf("%d posts, %v", len(posts), err)
	}
}

// A database made before a migration was added is brought up to date, even
// when the new migration's number is below the newest applied one.
func TestMigrationsAddedLaterAreApplied(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	// Forget one migration, as a database from before it would be.
	if _, err := s.db.Exec(`DELETE FROM goose_db_version WHERE version_id = 100`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DROP INDEX deliveries_claimed; ALTER TABLE deliveries DROP COLUMN claimed_at`); err != nil {
		t.Skip("this SQLite cannot drop the column:", err)
	}
	if _, err := s.db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM pragma_table_info('deliveries') WHERE name = 'claimed_at'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("claimed_at column after reopening: %d, %v", n, err)
	}
}

// A missed delivery put back by `post retry` stays due now when the post's
// text is edited before the daemon claims it: it is not missed again.
func TestEditAfterRetryKeepsTheRetryTime(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	at := t0.Add(-2 * time.Hour) // later than the default max lateness (1h)
	p := &calendar.Post{Slug: "late", Body: "v1", Channels: []string{"a"}, PublishAt: &at, Status: calendar.StatusScheduled}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	res, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "test", Now: t0, Lease: time.Minute, Limit: 10})
	if err != nil || len(res.Missed) != 1 {
		t.Fatalf("claim: %v missed=%d", err, len(res.Missed))
	}
	if _, err := s.RetryDeliveries(ctx, "late", "", false); err != nil {
		t.Fatal(err)
	}
	edited, _ := s.Post(ctx, "late")
	edited.Body = "v2"
	if err := s.UpdatePost(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	res, err = s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "test", Now: t0, Lease: time.Minute, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missed) != 0 || len(res.Claimed) != 1 {
		t.Fatalf("after retry and edit: claimed %d, missed %d; want it claimed", len(res.Claimed), len(res.Missed))
	}
}

// Warm leaves the connections it made open in the pool (idle), for the
// daemon's first calls.
func TestWarmOpensConnections(t *testing.T) {
	s := newTestStore(t, time.Now())
	before := s.db.Stats().OpenConnections
	if err := s.Warm(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	// More than the pool may open: as many as it may, without waiting for
	// itself.
	done := make(chan error, 1)
	go func() { done <- s.Warm(context.Background(), 100) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Warm(100) on a pool of fewer connections did not return")
	}
	if st := s.db.Stats(); st.OpenConnections < 3 || st.OpenConnections < before || st.InUse != 0 {
		t.Errorf("after Warm(3): %d open (%d before), %d in use; want ≥ 3 open, none in use", st.OpenConnections, before, st.InUse)
	}
}

// Every SQLite connection of the pool maps the file for reads and keeps
// the settings the store relies on.
func TestSQLiteConnectionSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(context.Background(), path, Options{Create: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	// Two connections at once: each gets the DSN's pragmas, not only the first.
	for i := 0; i < 2; i++ {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]int64{"mmap_size": 1 << 30, "foreign_keys": 1, "busy_timeout": 15000} {
			var got int64
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("connection %d: PRAGMA %s = %d, want %d", i, pragma, got, want)
			}
		}
	}
}
