package main

import (
	"bytes"
	"context"
	"fmt"
	"image/color"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
)

// reportCalendar makes a calendar as a community manager's month leaves it:
// a Mastodon and a Bluesky channel (and a log one, which gives no numbers),
// two campaigns, 24 posts over four weeks at various hours, each published
// and read back at +1h, +24h, +7d and +30d as far as its age allows.
func reportCalendar(t *testing.T, db string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, db, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Now = func() time.Time { return now }
	for _, c := range []calendar.Channel{
		{Name: "acme-mastodon", Network: "mastodon", Settings: map[string]string{"instance": "https://social.example"}, MaxLateness: 10000 * time.Hour},
		{Name: "acme-bsky", Network: "bluesky", Settings: map[string]string{"handle": "acme.example"}, MaxLateness: 10000 * time.Hour},
		{Name: "acme-blog-log", Network: "log", MaxLateness: 10000 * time.Hour},
	} {
		if err := st.AddChannel(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []calendar.Campaign{{Name: "spring-launch"}, {Name: "tips"}} {
		if err := st.AddCampaign(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	hours := []int{9, 12, 18, 8, 20, 15}
	start := now.AddDate(0, 0, -40).Truncate(24 * time.Hour)
	for i := range 24 {
		at := start.Add(time.Duration(i*37)*time.Hour + time.Duration(hours[i%len(hours)])*time.Hour)
		campaign := "spring-launch"
		if i%3 == 0 {
			campaign = "tips"
		}
		channels := []string{"acme-mastodon", "acme-bsky"}
		if i%4 == 0 {
			channels = append(channels, "acme-blog-log")
		}
		p := calendar.Post{Slug: fmt.Sprintf("post-%02d", i+1), Title: fmt.Sprintf("Post %d", i+1), Body: "Spring is here", Link: "https://acme.example/p/" + strconv.Itoa(i+1),
			Campaign: campaign, Tags: []string{[]string{"product", "howto", "news"}[i%3]}, Channels: channels, Status: calendar.StatusScheduled, PublishAt: &at}
		if err := st.CreatePost(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	res, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "test", Now: now, Lease: time.Hour, Limit: 1000})
	if err != nil || len(res.Claimed) < 48 {
		t.Fatalf("claimed %d, %v", len(res.Claimed), err)
	}
	for i, d := range res.Claimed {
		if err := st.RecordOutcome(ctx, d, "test", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r" + strconv.Itoa(i), PublishedAt: *d.DueAt}); err != nil {
			t.Fatal(err)
		}
		if d.Network == "log" {
			continue
		}
		base := int64(3 + (i*7)%11 + d.DueAt.Hour()%5)
		if d.Network == "bluesky" {
			base += 4
		}
		for k, off := range calendar.DefaultStatsOffsets {
			if d.DueAt.Add(off).After(now) {
				break
			}
			g := base * int64(k+2) / 2
			counts := map[string]int64{"replies": g / 4, "reposts": g / 3, "likes": g}
			if d.Network == "bluesky" {
				counts["quotes"] = g / 6
			}
			if err := st.RecordSnapshot(ctx, calendar.Snapshot{DeliveryID: d.ID, Offset: off, TakenAt: d.DueAt.Add(off), State: calendar.SnapshotOK, Counts: counts}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestReportHTMLInChromium renders the report page in headless Chromium,
// desktop and phone sized: not blank, the plots' colours on screen, the SVG
// in the DOM Chromium built. It skips when Chromium is absent
// (scripts/chromium-test.sh installs it). With CRIEUR_REPORT_SCREENSHOT=path
// it keeps the phone-width screenshot there.
func TestReportHTMLInChromium(t *testing.T) {
	browser := testsvc.FindChromium(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	reportCalendar(t, db, now)
	page := filepath.Join(dir, "report.html")
	var out, errOut bytes.Buffer
	if code := runAt(func() time.Time { return now }, []string{"--db", db, "report", "--format", "html", "--out", page}, &out, &errOut); code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut.String())
	}

	dom := browser.DOM(t, page)
	for _, want := range []string{"<title>crieur report</title>", "<svg", "<polyline", "acme-mastodon", "no numbers from this network"} {
		if !bytes.Contains(dom, []byte(want)) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	line := color.RGBA{0x1f, 0x77, 0xb4, 0xff} // the first channel's curve
	heat := color.RGBA{0xe4, 0x57, 0x2e, 0xff} // the second channel's curve, the heat map's hottest hour
	checkScreenshots(t, browser, page, []screenSize{{"desktop", 1280, 1400, 40}, {"phone", 390, 1600, 30}}, "CRIEUR_REPORT_SCREENSHOT", "phone",
		func(size string, shows func(color.RGBA) bool) {
			if hasLine, hasHeat := shows(line), shows(heat); !hasLine || !hasHeat {
				t.Errorf("%s: the plots' colours are not on screen (curve %v, heat %v)", size, hasLine, hasHeat)
			}
		})
}
