package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// fill makes the synthetic calendar through the load's write path: n posts
// every D from FROM, each with a runnable pending delivery per channel, in
// as many loads as the load limit asks.
func TestFill(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "big.db")
	st, err := sqlstore.Open(ctx, path, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"bench-1", "bench-2"}
	for _, n := range names {
		if err := st.AddChannel(ctx, &calendar.Channel{Name: n, Network: "log"}); err != nil {
			t.Fatal(err)
		}
	}
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 2500
	if err := fill(ctx, st, n, names, from, 20*time.Minute, 0, ""); err != nil {
		t.Fatal(err)
	}
	// filling the same calendar again is refused, not doubled
	if err := fill(ctx, st, 10, names, from, 20*time.Minute, 0, ""); err == nil {
		t.Error("a second fill of the same posts succeeded")
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last := from.Add((n - 1) * 20 * time.Minute).UnixMilli()
	for q, want := range map[string]string{
		`SELECT count(*) || ' ' || min(publish_at) || ' ' || max(publish_at) || ' ' || group_concat(DISTINCT status) || ' ' || group_concat(DISTINCT tags) FROM posts`: fmt.Sprintf("%d %d %d scheduled [\"bench\"]", n, from.UnixMilli(), last),
		`SELECT count(*) || ' ' || sum(d.status = 'pending' AND d.run_at = d.due_at AND d.due_at = p.publish_at) FROM deliveries d JOIN posts p ON p.id = d.post_id`:   fmt.Sprintf("%d %d", 2*n, 2*n),
		`SELECT slug || '|' || title || '|' || body FROM posts WHERE slug = 'synthetic-2500'`:                                                                          "synthetic-2500|Synthetic post 2500|Body of synthetic post 2500 with a link https://example.com/p/2500",
	} {
		var got string
		if err := db.QueryRow(q).Scan(&got); err != nil || got != want {
			t.Errorf("%s:\n got %q (%v)\nwant %q", q, got, err, want)
		}
	}
}

// The snapshot filler: the n earliest deliveries published at their time,
// 4 snapshots each, their posts in the campaign.
func TestPublishWithSnapshots(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "big.db")
	st, err := sqlstore.Open(ctx, path, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"bench-1", "bench-2"}
	for _, n := range names {
		if err := st.AddChannel(ctx, &calendar.Channel{Name: n, Network: "log", MaxLateness: 1_000_000 * time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddCampaign(ctx, &calendar.Campaign{Name: "c"}); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := fill(ctx, st, 50, names, from, time.Hour, 5, "c"); err != nil {
		t.Fatal(err)
	}
	if err := publishWithSnapshots(ctx, st, 10, from.Add(5*time.Hour)); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Engagement(ctx, calendar.EngagementFilter{Campaign: "c"})
	if err != nil {
		t.Fatal(err)
	}
	snaps := 0
	for _, r := range rows {
		snaps += len(r.Snapshots)
		if !r.PublishedAt.Before(from.Add(5 * time.Hour)) {
			t.Errorf("%s published at %s", r.Slug, r.PublishedAt)
		}
	}
	if len(rows) != 10 || snaps != 40 {
		t.Errorf("%d deliveries published in the campaign with %d snapshots, want 10 and 40", len(rows), snaps)
	}
	st.Close()
}

func TestMain(m *testing.M) {
	code := m.Run()
	testsvc.StopPostgres()
	os.Exit(code)
}

// A postgres:// target is filled in that database (not in a SQLite file in
// a folder named "postgres:"), and an existing SQLite file is refused.
func TestOpenTargets(t *testing.T) {
	ctx := context.Background()
	existing := filepath.Join(t.TempDir(), "there.db")
	if err := os.WriteFile(existing, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := open(ctx, existing); err == nil {
		st.Close()
		t.Errorf("open(%s) of an existing file succeeded", existing)
	}

	url := testsvc.Postgres(t)
	st, err := open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.AddChannel(ctx, &calendar.Channel{Name: "bench-1", Network: "log"}); err != nil {
		t.Fatal(err)
	}
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := fill(ctx, st, 300, []string{"bench-1"}, from, time.Hour, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("postgres:"); err == nil {
		t.Error(`a folder "postgres:" was made`)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var posts, deliveries int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM deliveries WHERE run_at = due_at)`).Scan(&posts, &deliveries); err != nil {
		t.Fatal(err)
	}
	if posts != 300 || deliveries != 300 {
		t.Errorf("PostgreSQL holds %d posts and %d runnable deliveries, want 300 and 300", posts, deliveries)
	}
}
