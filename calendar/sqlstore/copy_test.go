package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"

	calendar "github.com/crieur/crieur/calendar"
)

// Every table of the schema is known to the copier, copied or left out for
// a reason: a new migration's table fails here until copyTables names it.
func TestCopyKnowsEveryTable(t *testing.T) {
	s := newEngineStore(t, "sqlite", time.Now())
	checkCopyTables(t, tableNames(t, s, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`))
}

// tableNames reads the first column of q's rows.
func tableNames(t *testing.T, s *Store, q string) []string {
	t.Helper()
	var names []string
	eachRow(t, s, q, func(_ []string, v []any) { names = append(names, fmt.Sprint(v[0])) })
	return names
}

func checkCopyTables(t *testing.T, schema []string) {
	t.Helper()
	known := map[string]bool{}
	for _, c := range copyTables {
		if known[c.name] {
			t.Errorf("copyTables names %s twice", c.name)
		}
		known[c.name] = true
	}
	for _, n := range schema {
		if !known[n] {
			t.Errorf("table %s is in the schema but not in copyTables: `crieur db copy` would leave it behind", n)
		}
	}
	for _, c := range copyTables {
		if !slices.Contains(schema, c.name) {
			t.Errorf("copyTables names %s, which the schema does not have", c.name)
		}
	}
}

// fillCalendar puts a row in every copied table through the store's own
// operations: channels (one with a stored secret), a slot, a campaign,
// posts with variants, media, notes, deliveries (one published as a thread
// of two parts), a blackout, the kill switch, and their history.
func fillCalendar(t *testing.T, s calendar.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	acme := calendar.Channel{Name: "acme", Network: "log", Settings: map[string]string{"path": "/tmp/x.log"}}
	must(s.AddChannelWithSecrets(ctx, &acme, nil))
	masto := calendar.Channel{Name: "toot", Network: "mastodon", Settings: map[string]string{"instance": "https://example.invalid"},
		Secrets: map[string]string{"token": "stored:toot/token"}}
	must(s.AddChannelWithSecrets(ctx, &masto, map[string]string{"toot/token": "s3cret-token"}))
	_, err := s.AddSlot(ctx, "acme", "weekdays 09:00")
	must(err)
	camp := calendar.Campaign{Name: "launch", UTM: map[string]string{"utm_campaign": "launch"}}
	must(s.AddCampaign(ctx, &camp))
	for i := range 3 {
		at := now.Add(time.Duration(i+1) * time.Hour)
		p := calendar.Post{Slug: fmt.Sprintf("p%d", i), Body: "Body " + fmt.Sprint(i), Channels: []string{"acme", "toot"}, Campaign: "launch",
			Status: calendar.StatusScheduled, PublishAt: &at, Tags: []string{"a", "b"}, Variants: map[string]string{"toot": "short"},
			Media: []calendar.Media{{Path: "img.png", Alt: "an image"}}}
		must(s.CreatePost(ctx, &p))
		_, err := s.AddNote(ctx, p.Slug, "note on "+p.Slug)
		must(err)
	}
	// An evergreen library filling a category slot.
	must(s.AddCategory(ctx, &calendar.Category{Name: "tips", Order: "fifo"}))
	must(s.CreatePost(ctx, &calendar.Post{Slug: "tip", Body: "A tip", Category: "tips"}))
	_, err = s.AddCategorySlot(ctx, "acme", "daily 10:00", "tips")
	must(err)
	rep, err := s.FillCategories(ctx, calendar.FillOptions{Now: now, Horizon: 48 * time.Hour})
	must(err)
	if len(rep.Filled) == 0 {
		t.Fatalf("the fill filled nothing: %+v", rep)
	}
	must(s.AddBlackout(ctx, &calendar.Blackout{StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(50 * time.Hour), Reason: "holiday"}))
	// Publish p0 on acme as a thread of two parts.
	res, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "copy-test", Now: now.Add(time.Hour), Lease: time.Minute, Limit: 1})
	must(err)
	if len(res.Claimed) != 1 {
		t.Fatalf("claimed %d, want 1", len(res.Claimed))
	}
	d := res.Claimed[0]
	pub := now.Add(time.Hour)
	must(s.RecordPart(ctx, d, "copy-test", calendar.DeliveryPart{Index: 0, RemoteID: "r0", RemoteURL: "https://x/r0", PublishedAt: &pub}))
	must(s.RecordPart(ctx, d, "copy-test", calendar.DeliveryPart{Index: 1, RemoteID: "r1", RemoteURL: "https://x/r1", PublishedAt: &pub}))
	must(s.RecordOutcome(ctx, d, "copy-test", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r0", RemoteURL: "https://x/r0", PublishedAt: pub}))
	must(s.RecordSnapshot(ctx, calendar.Snapshot{DeliveryID: d.ID, Offset: time.Hour, TakenAt: pub.Add(time.Hour), State: calendar.SnapshotOK,
		Counts: map[string]int64{"likes": 3}}))
	must(s.PauseAll(ctx, "copy test"))
	must(s.BeatDaemon(ctx, calendar.DaemonRow{Owner: "h:1", Host: "h", PID: 1, Started: now, Beat: now}))
	_, err = s.Lead(ctx, calendar.LeaderMaintenance, "h:1", now, time.Minute)
	must(err)
	_, err = s.CalendarID(ctx)
	must(err)
}

// dumpTables reads every copied table as text rows, sorted; the sealed
// columns of secrets are left out (they differ by design).
func dumpTables(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, c := range copyTables {
		if c.skip != "" {
			continue
		}
		eachRow(t, s, `SELECT * FROM `+c.name, func(cols []string, vals []any) {
			var b strings.Builder
			for i, v := range vals {
				if c.resealed && (cols[i] == "nonce" || cols[i] == "ciphertext" || cols[i] == "key_id") {
					continue
				}
				fmt.Fprintf(&b, "%s=%v|", cols[i], v)
			}
			out[c.name] = append(out[c.name], b.String())
		})
		sort.Strings(out[c.name])
	}
	return out
}

func TestCopySQLiteToSQLite(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srcKey, dstKey := testKey(t), testKey(t)
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.db"), Options{Create: true, Keys: keysOf(srcKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Now = func() time.Time { return now }
	fillCalendar(t, src, now)
	want := dumpTables(t, src)
	for _, c := range copyTables {
		if c.skip == "" && len(want[c.name]) == 0 {
			t.Fatalf("the source has no %s rows: the test would not show they are copied", c.name)
		}
	}

	dstPath := filepath.Join(t.TempDir(), "dst.db")
	dst, err := Open(ctx, dstPath, Options{Create: true, Keys: keysOf(dstKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	dst.Now = func() time.Time { return now.Add(time.Hour) }
	if _, err := dst.CalendarID(ctx); err != nil { // an opened calendar may have made its id: still empty
		t.Fatal(err)
	}
	rep, err := Copy(ctx, src, dst, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := dumpTables(t, dst)
	for _, c := range copyTables {
		if c.skip != "" {
			continue
		}
		if !slices.Equal(got[c.name], want[c.name]) {
			t.Errorf("%s copied as\n%s\nwant\n%s", c.name, strings.Join(got[c.name], "\n"), strings.Join(want[c.name], "\n"))
		}
	}
	for _, ct := range rep.Tables {
		if ct.Skipped == "" && (ct.Source != int64(len(want[ct.Table])) || ct.Target != ct.Source) {
			t.Errorf("report %+v, want %d on both sides", ct, len(want[ct.Table]))
		}
		if ct.Skipped != "" && ct.Target != 0 {
			t.Errorf("report %+v: a skipped table counted in the target", ct)
		}
	}
	if rep.Resealed != 1 || rep.KeyID != dstKey.ID() {
		t.Errorf("resealed %d under %s, want 1 under %s", rep.Resealed, rep.KeyID, dstKey.ID())
	}
	for _, skipped := range []string{"daemons", "leaders"} {
		if n, _ := countRows(ctx, dst.db, skipped); n != 0 {
			t.Errorf("%d %s rows copied: they belong to the source's processes", n, skipped)
		}
	}
	// The secret opens with the target's key only, to the same value.
	if v, err := dst.Credentials("toot").Get("token"); err != nil || v != "s3cret-token" {
		t.Errorf("the copied secret reads %q, %v", v, err)
	}
	if ids, err := dst.SealedKeyIDs(ctx); err != nil || !slices.Equal(ids, []string{dstKey.ID()}) {
		t.Errorf("target sealed with %v (%v), want only %s", ids, err, dstKey.ID())
	}
	withSrcKey, err := Open(ctx, dstPath, Options{Keys: keysOf(srcKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer withSrcKey.Close()
	if _, err := withSrcKey.Credentials("toot").Get("token"); !errors.Is(err, calendar.ErrWrongKey) {
		t.Errorf("the source's key opens the copied secret: %v", err)
	}
	// The same calendar: its id, and new rows numbered after the copied ones.
	srcID, _ := src.CalendarID(ctx)
	if id, _ := dst.CalendarID(ctx); id != srcID {
		t.Errorf("calendar id %s after the copy, want the source's %s", id, srcID)
	}
	at := now.Add(5 * time.Hour)
	p := calendar.Post{Slug: "after", Body: "x", Channels: []string{"acme"}, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := dst.CreatePost(ctx, &p); err != nil {
		t.Fatalf("a post made after the copy: %v", err)
	}
	var last int64
	if err := src.db.QueryRow(`SELECT max(id) FROM posts`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if p.ID != last+1 {
		t.Errorf("the post made after the copy has id %d, want %d", p.ID, last+1)
	}

	// A target holding anything is refused, with nothing changed…
	before := dumpTables(t, dst)
	if _, err := Copy(ctx, src, dst, CopyOptions{}); !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--replace") {
		t.Fatalf("copy into a calendar in use: %v, want a conflict naming --replace", err)
	}
	if after := dumpTables(t, dst); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a refused copy changed the target")
	}
	// …unless asked to replace it: then it is the source again.
	if _, err := Copy(ctx, src, dst, CopyOptions{Replace: true}); err != nil {
		t.Fatal(err)
	}
	got = dumpTables(t, dst)
	for _, c := range copyTables {
		if c.skip == "" && !slices.Equal(got[c.name], want[c.name]) {
			t.Errorf("%s after --replace differs from the source", c.name)
		}
	}
}

// A secret the source's key does not open stops the copy with nothing written.
func TestCopyWrongSourceKeyWritesNothing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "src.db")
	src, err := Open(ctx, path, Options{Create: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	src.Now = func() time.Time { return now }
	fillCalendar(t, src, now)
	src.Close()
	wrong, err := Open(ctx, path, Options{Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close()
	dst := newTestStore(t, now)
	if _, err := Copy(ctx, wrong, dst, CopyOptions{}); !errors.Is(err, calendar.ErrWrongKey) || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("copy with the wrong source key: %v, want ErrWrongKey (and no secret in it)", err)
	}
	for _, c := range copyTables {
		if n, _ := countRows(ctx, dst.db, c.name); n != 0 {
			t.Errorf("%d %s rows written by a failed copy", n, c.name)
		}
	}
}

// The PostgreSQL schema has the same tables, every one known to the copier.
func TestCopyKnowsEveryPostgresTable(t *testing.T) {
	url := testsvc.Postgres(t)
	s, err := OpenURL(context.Background(), url, Options{Create: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkCopyTables(t, tableNames(t, s, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`))
}

// SQLite → PostgreSQL → SQLite: every row arrives as it was, ids kept (and
// PostgreSQL numbers new rows after them), the secret sealed with each
// target's key in turn.
func TestCopySQLiteToPostgresAndBack(t *testing.T) {
	url := testsvc.Postgres(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	srcKey, pgKey, backKey := testKey(t), testKey(t), testKey(t)
	src, err := Open(ctx, filepath.Join(t.TempDir(), "src.db"), Options{Create: true, Keys: keysOf(srcKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.Now = func() time.Time { return now }
	fillCalendar(t, src, now)
	want := dumpTables(t, src)

	pg, err := OpenURL(ctx, url, Options{Create: true, Keys: keysOf(pgKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	pg.Now = func() time.Time { return now.Add(time.Hour) }
	rep, err := Copy(ctx, src, pg, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Resealed != 1 || rep.KeyID != pgKey.ID() {
		t.Errorf("resealed %d under %s, want 1 under %s", rep.Resealed, rep.KeyID, pgKey.ID())
	}
	same := func(what string, got map[string][]string) {
		t.Helper()
		for _, c := range copyTables {
			if c.skip == "" && !slices.Equal(got[c.name], want[c.name]) {
				t.Errorf("%s: %s is\n%s\nwant\n%s", what, c.name, strings.Join(got[c.name], "\n"), strings.Join(want[c.name], "\n"))
			}
		}
	}
	same("on PostgreSQL", dumpTables(t, pg))
	if v, err := pg.Credentials("toot").Get("token"); err != nil || v != "s3cret-token" {
		t.Errorf("the copied secret reads %q, %v on PostgreSQL", v, err)
	}
	if _, err := Copy(ctx, src, pg, CopyOptions{}); !errors.Is(err, calendar.ErrConflict) {
		t.Errorf("a second copy into PostgreSQL: %v, want a conflict", err)
	}

	back, err := Open(ctx, filepath.Join(t.TempDir(), "back.db"), Options{Create: true, Keys: keysOf(backKey)})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if _, err := Copy(ctx, pg, back, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	same("back on SQLite", dumpTables(t, back))
	if v, err := back.Credentials("toot").Get("token"); err != nil || v != "s3cret-token" {
		t.Errorf("the secret copied back reads %q, %v", v, err)
	}

	// PostgreSQL numbers what is made after the copy past the copied ids.
	at := now.Add(5 * time.Hour)
	p := calendar.Post{Slug: "after", Body: "x", Channels: []string{"acme"}, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := pg.CreatePost(ctx, &p); err != nil {
		t.Fatalf("a post made on PostgreSQL after the copy: %v", err)
	}
	var last int64
	if err := src.db.QueryRow(`SELECT max(id) FROM posts`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if p.ID != last+1 {
		t.Errorf("the post made after the copy has id %d, want %d", p.ID, last+1)
	}
	if _, err := pg.AddNote(ctx, "after", "n"); err != nil {
		t.Errorf("a note after the copy: %v", err)
	}
}

// --replace over a calendar daemons are running on is refused: they would
// publish again whatever the copy brings back unpublished. A daemon that
// stopped, or went silent, does not hold it back.
func TestCopyReplaceRefusesRunningDaemons(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	src := newTestStore(t, now)
	fillCalendar(t, src, now)
	dst := newTestStore(t, now)
	stopped := now.Add(-time.Second)
	for _, d := range []calendar.DaemonRow{
		{Owner: "gone", Host: "h", PID: 1, Started: now.Add(-time.Hour), Beat: now.Add(-10 * time.Minute)},
		{Owner: "done", Host: "h", PID: 2, Started: now.Add(-time.Hour), Beat: stopped, Stopped: &stopped},
	} {
		if err := dst.BeatDaemon(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Copy(ctx, src, dst, CopyOptions{Replace: true}); err != nil {
		t.Fatalf("replace with no daemon running: %v", err)
	}
	if err := dst.BeatDaemon(ctx, calendar.DaemonRow{Owner: "live", Host: "h", PID: 3, Started: now.Add(-time.Hour), Beat: now.Add(-5 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	_, err := Copy(ctx, src, dst, CopyOptions{Replace: true})
	if !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "1 daemon") {
		t.Fatalf("replace under a running daemon: %v, want a conflict naming it", err)
	}
}
