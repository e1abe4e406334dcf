package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
)

// TestReportLinkFromBody: a post whose link is only in its body shows the
// body's first URL (tagged as published) in every output of the report,
// where it used to show "-" or nothing.
func TestReportLinkFromBody(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	st, err := sqlstore.Open(ctx, db, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Now = func() time.Time { return now }
	ch := calendar.Channel{Name: "acme-mastodon", Network: "mastodon", Settings: map[string]string{"instance": "https://social.example"}, MaxLateness: 1000 * time.Hour}
	if err := st.AddChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if err := st.AddCampaign(ctx, &calendar.Campaign{Name: "launch", UTM: map[string]string{"utm_medium": "social"}}); err != nil {
		t.Fatal(err)
	}
	at := now.Add(-48 * time.Hour)
	p := calendar.Post{Slug: "body-link", Body: "Our notes (https://acme.example/notes). Also https://acme.example/other", Campaign: "launch",
		Channels: []string{"acme-mastodon"}, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := st.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	res, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "test", Now: now, Lease: time.Hour, Limit: 10})
	if err != nil || len(res.Claimed) != 1 {
		t.Fatalf("claimed %d, %v", len(res.Claimed), err)
	}
	d := res.Claimed[0]
	if err := st.RecordOutcome(ctx, d, "test", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", PublishedAt: *d.DueAt}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordSnapshot(ctx, calendar.Snapshot{DeliveryID: d.ID, Offset: time.Hour, TakenAt: d.DueAt.Add(time.Hour), State: calendar.SnapshotOK, Counts: map[string]int64{"likes": 3}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	const want = "https://acme.example/notes?utm_campaign=launch&utm_medium=social&utm_source=mastodon"
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runAt(func() time.Time { return now }, append([]string{"--db", db, "report"}, args...), &out, &errOut); code != 0 {
			t.Fatalf("report %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	table := run()
	if !strings.Contains(table, "body-link") || !strings.Contains(table, want) {
		t.Errorf("table: no %s in\n%s", want, table)
	}
	if js := run("-o", "json"); !strings.Contains(js, `"link": "`+strings.ReplaceAll(want, "&", `\u0026`)+`"`) && !strings.Contains(js, `"link": "`+want+`"`) {
		t.Errorf("json: no link %s in\n%s", want, js)
	}
	if csv := run("--format", "csv"); !strings.Contains(csv, ","+want+",") {
		t.Errorf("csv: no %s in\n%s", want, csv)
	}
	page := filepath.Join(dir, "r.html")
	run("--format", "html", "--out", page)
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(strings.ReplaceAll(want, "&", "&amp;"))) {
		t.Errorf("html: no %s in the page", want)
	}
}
