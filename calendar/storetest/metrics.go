package storetest

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// testMetrics: which published deliveries need a snapshot at each point of
// the schedule, snapshots kept (one per point, replaced when taken again),
// a deleted post read no more, and the report's read with its filters.
func testMetrics(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("m", func(c *calendar.Channel) { c.Network = "mastodon"; c.MaxLateness = 1000 * time.Hour })
	e.channel("l", func(c *calendar.Channel) { c.MaxLateness = 1000 * time.Hour })
	if err := e.s.AddCampaign(e.ctx, &calendar.Campaign{Name: "spring", UTM: map[string]string{"utm_medium": "social"}}); err != nil {
		t.Fatal(err)
	}
	p := calendar.Post{Slug: "one", Title: "One", Body: "b", Link: "https://example.org/1", Campaign: "spring", Tags: []string{"x"},
		Status: calendar.StatusScheduled, PublishAt: at(T0), Channels: []string{"m", "l"}}
	if err := e.s.CreatePost(e.ctx, &p); err != nil {
		t.Fatal(err)
	}
	// two's link is only in its body: the report shows the body's first URL.
	tp := calendar.Post{Slug: "two", Title: "Two", Body: "Read (https://example.org/two), then https://example.org/other.",
		Status: calendar.StatusScheduled, PublishAt: at(T0.Add(time.Hour)), Channels: []string{"m"}}
	if err := e.s.CreatePost(e.ctx, &tp); err != nil {
		t.Fatal(err)
	}
	e.post("later", calendar.StatusScheduled, at(T0.Add(100*time.Hour)), "m")
	r := e.claim("me", T0.Add(time.Hour), 10)
	if len(r.Claimed) != 3 {
		t.Fatalf("claimed %v", ids(r.Claimed))
	}
	for _, d := range r.Claimed {
		if err := e.s.RecordOutcome(e.ctx, d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r" + d.Channel, PublishedAt: *d.DueAt}); err != nil {
			t.Fatal(err)
		}
	}
	one, two := e.deliveryOn("one", "m"), e.deliveryOn("two", "m")
	offsets := calendar.DefaultStatsOffsets
	due := func(now time.Time, networks ...string) map[int64]time.Duration {
		t.Helper()
		list, err := e.s.StatsDue(e.ctx, calendar.StatsQuery{Now: now, Offsets: offsets, Networks: networks})
		wantErr(t, "StatsDue", err, nil)
		out := map[int64]time.Duration{}
		for _, d := range list {
			out[d.DeliveryID] = d.Offset
			if d.RemoteID == "" || d.Channel == "" || d.Network == "" || d.PublishedAt.IsZero() {
				t.Errorf("StatsDue row %+v", d)
			}
		}
		return out
	}
	if got := due(T0.Add(59*time.Minute), "mastodon"); len(got) != 0 {
		t.Errorf("due before +1h: %v", got)
	}
	if got := due(T0.Add(time.Hour), "mastodon"); len(got) != 1 || got[one.ID] != time.Hour {
		t.Errorf("due at +1h: %v, want %d at 1h", got, one.ID)
	}
	if got := due(T0.Add(time.Hour)); len(got) != 2 {
		t.Errorf("every network at +1h: %v, want m and l", got)
	}
	rec := func(id int64, off time.Duration, state string, counts map[string]int64) {
		t.Helper()
		wantErr(t, "RecordSnapshot", e.s.RecordSnapshot(e.ctx, calendar.Snapshot{DeliveryID: id, Offset: off, TakenAt: T0.Add(off), State: state, Counts: counts}), nil)
	}
	rec(one.ID, time.Hour, calendar.SnapshotOK, map[string]int64{"likes": 1})
	rec(one.ID, time.Hour, calendar.SnapshotOK, map[string]int64{"likes": 2}) // taken again: replaces
	if got := due(T0.Add(2*time.Hour), "mastodon"); len(got) != 1 || got[two.ID] != time.Hour {
		t.Errorf("due at +2h: %v, want only %d", got, two.ID)
	}
	rec(two.ID, time.Hour, calendar.SnapshotDeleted, nil)
	// Past +30d: one's +30d point stands (7d was missed); two is deleted.
	if got := due(T0.Add(31*24*time.Hour), "mastodon"); len(got) != 1 || got[one.ID] != 30*24*time.Hour {
		t.Errorf("due at +31d: %v", got)
	}
	rec(one.ID, 30*24*time.Hour, calendar.SnapshotOK, map[string]int64{"likes": 9, "replies": 0})

	rows, err := e.s.Engagement(e.ctx, calendar.EngagementFilter{Campaign: "spring"})
	wantErr(t, "Engagement", err, nil)
	if len(rows) != 2 || rows[0].Slug != "one" || rows[0].Title != "One" || rows[0].Campaign != "spring" || rows[0].CampaignUTM["utm_medium"] != "social" ||
		rows[0].Link != "https://example.org/1" || len(rows[0].Tags) != 1 || !rows[0].PublishedAt.Equal(T0) {
		t.Fatalf("campaign rows %+v", rows)
	}
	var m calendar.DeliveryEngagement
	for _, r := range rows {
		if r.Channel == "m" {
			m = r
		}
	}
	if len(m.Snapshots) != 2 || m.Snapshots[0].After != "1h" || m.Snapshots[0].Counts["likes"] != 2 || m.Snapshots[1].After != "30d" ||
		m.Snapshots[1].Counts["likes"] != 9 || !m.Snapshots[1].TakenAt.Equal(T0.Add(30*24*time.Hour)) {
		t.Errorf("snapshots %+v", m.Snapshots)
	}
	if _, known := m.Snapshots[1].Counts["replies"]; !known {
		t.Error("a count of 0 was lost")
	}
	rows, err = e.s.Engagement(e.ctx, calendar.EngagementFilter{Channel: "m", From: at(T0.Add(time.Minute)), To: at(T0.Add(2 * time.Hour))})
	wantErr(t, "Engagement", err, nil)
	if len(rows) != 1 || rows[0].Slug != "two" || len(rows[0].Snapshots) != 1 || rows[0].Snapshots[0].State != calendar.SnapshotDeleted ||
		rows[0].Link != "https://example.org/two" {
		t.Errorf("channel and range rows %+v", rows)
	}
	// Latest: each delivery's latest reading, and its latest ok one when the
	// latest is not ok.
	l := e.deliveryOn("one", "l")
	rec(l.ID, time.Hour, calendar.SnapshotOK, map[string]int64{"likes": 5})
	rec(l.ID, 24*time.Hour, calendar.SnapshotDeleted, nil)
	rows, err = e.s.Engagement(e.ctx, calendar.EngagementFilter{Campaign: "spring", Latest: true})
	wantErr(t, "Engagement", err, nil)
	got := map[string]string{}
	for _, r := range rows {
		for _, sn := range r.Snapshots {
			got[r.Channel] += sn.After + ":" + sn.State + ":" + strconv.FormatInt(sn.Counts["likes"], 10) + " "
		}
	}
	if got["m"] != "30d:ok:9 " || got["l"] != "1h:ok:5 24h:deleted:0 " {
		t.Errorf("latest snapshots %v", got)
	}
	for _, f := range []calendar.EngagementFilter{{Campaign: "nope"}, {Channel: "nope"}} {
		if _, err := e.s.Engagement(e.ctx, f); !errors.Is(err, calendar.ErrNotFound) {
			t.Errorf("%+v: %v, want not found", f, err)
		}
	}
}
