package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
)

// TestStatsCollectSaysNextReading: right after publishing nothing is due,
// and stats collect says when the first reading comes, in the calendar's
// zone (table and -o json), for the channel that gives numbers (the log
// channel gives none; report_stats.txtar: none to come).
func TestStatsCollectSaysNextReading(t *testing.T) {
	t.Setenv("CRIEUR_TZ", "Europe/Paris")
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "c.db")
	pub := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st, err := sqlstore.Open(ctx, db, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	st.Now = func() time.Time { return pub }
	for _, ch := range []calendar.Channel{
		{Name: "acme-mastodon", Network: "mastodon", Settings: map[string]string{"instance": "https://social.example"}, MaxLateness: time.Hour},
		{Name: "acme-log", Network: "log", MaxLateness: time.Hour},
	} {
		if err := st.AddChannel(ctx, &ch); err != nil {
			t.Fatal(err)
		}
	}
	p := calendar.Post{Slug: "hello", Body: "Hello", Channels: []string{"acme-mastodon", "acme-log"}, Status: calendar.StatusScheduled, PublishAt: &pub}
	if err := st.CreatePost(ctx, &p); err != nil {
		t.Fatal(err)
	}
	res, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "test", Now: pub, Lease: time.Hour, Limit: 10})
	if err != nil || len(res.Claimed) != 2 {
		t.Fatalf("claimed %d, %v", len(res.Claimed), err)
	}
	for i, d := range res.Claimed {
		if err := st.RecordOutcome(ctx, d, "test", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r" + string(rune('0'+i)), PublishedAt: pub}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	run := func(now time.Time, args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := runAt(func() time.Time { return now }, append([]string{"--db", db, "stats", "collect"}, args...), &out, &errOut); code != 0 {
			t.Fatalf("stats collect %v: exit %d: %s", args, code, errOut.String())
		}
		return out.String()
	}
	for _, tc := range []struct {
		now  time.Time
		args []string
		want string
	}{
		{pub.Add(5 * time.Minute), nil, "Next reading: hello on acme-mastodon at 2026-12-01 10:00 CET (+1h)."},
		{pub.Add(5 * time.Minute), []string{"-o", "json"}, `"next": {
    "post": "hello",
    "channel": "acme-mastodon",
    "at": "2026-12-01T10:00:00+01:00",
    "after": "1h"
  }`},
	} {
		if got := run(tc.now, tc.args...); !strings.Contains(got, tc.want) {
			t.Errorf("at %s %v: no %q in\n%s", tc.now, tc.args, tc.want, got)
		}
	}
}
