package main

import (
	"bytes"
	"image/color"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"
)

// TestCalendarHTMLInChromium exports the month page and renders it in
// headless Chromium, wide and phone-sized: the screenshots must show the page
// (many colours, the campaign's colour in its swatch and entries), and the
// DOM Chromium built must carry the title. It skips when Chromium is absent
// (scripts/chromium-test.sh installs it and runs this test). With
// CRIEUR_SCREENSHOT=path it also keeps the wide screenshot there.
func TestCalendarHTMLInChromium(t *testing.T) {
	browser := testsvc.FindChromium(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "c.db")
	crieur := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(append([]string{"--db", db, "--tz", "UTC"}, args...), nil, &out, &errOut); code != 0 {
			t.Fatalf("crieur %v: exit %d: %s", args, code, errOut.String())
		}
	}
	crieur("init")
	crieur("channel", "add", "acme-mastodon", "--network", "log", "--tz", "Europe/Paris")
	crieur("channel", "add", "acme-bsky", "--network", "log")
	crieur("campaign", "add", "winter-sale", "--color", "#e4572e")
	crieur("campaign", "add", "launch", "--color", "#1f77b4")
	crieur("post", "new", "--body", "Winter sale starts now: 20% off everything", "--channel", "acme-mastodon,acme-bsky", "--at", "2030-06-03 09:00", "--campaign", "winter-sale")
	crieur("post", "new", "--title", "Product launch", "--body", "x", "--channel", "acme-bsky", "--at", "2030-06-05 14:30", "--campaign", "launch")
	for _, d := range []string{"10", "12", "12", "12", "18", "26"} {
		crieur("post", "new", "--body", "Tips for the week ahead", "--channel", "acme-bsky", "--at", "2030-06-"+d+" 11:00")
	}
	crieur("blackout", "add", "2030-06-20", "2030-06-21", "--reason", "Summer offsite")
	page := filepath.Join(dir, "june.html")
	crieur("calendar", "export", "--format", "html", "--month", "2030-06", "--out", page)

	dom := browser.DOM(t, page)
	if !regexp.MustCompile(`<title>crieur — June 2030</title>`).Match(dom) {
		t.Fatalf("the rendered page has no title:\n%.400s", dom)
	}

	sale := color.RGBA{0xe4, 0x57, 0x2e, 0xff}
	checkScreenshots(t, browser, page, []screenSize{{"desktop", 1280, 900, 40}, {"phone", 390, 844, 20}}, "CRIEUR_SCREENSHOT", "desktop",
		func(size string, shows func(color.RGBA) bool) {
			if !shows(sale) {
				t.Errorf("%s: the winter-sale colour is nowhere on the page", size)
			}
		})
}
