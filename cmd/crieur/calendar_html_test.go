package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"
)

// TestCalendarHTMLInChromium exports the month page and renders it in
// headless Chromium, wide and phone-sized: the screenshots must show the page
// (many colours, the campaign's colour in its swatch and entries), and the
// DOM Chromium built must carry the title. It skips when Chromium is absent
// (scripts/chromium-test.sh installs it and runs this test). With
// CRIEUR_SCREENSHOT=path it also keeps the wide screenshot there.
func TestCalendarHTMLInChromium(t *testing.T) {
	browser := ""
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			browser = p
			break
		}
	}
	if browser == "" {
		testsvc.RequireService(t, "Chromium", "chromium is not installed: run scripts/chromium-test.sh (apt-get install -y chromium)")
	}
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

	chromium := func(extra ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		profile, err := os.MkdirTemp(dir, "profile")
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
			"--user-data-dir=" + profile}, extra...)
		cmd := exec.CommandContext(ctx, browser, append(args, "file://"+page)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return stdout.Bytes()
	}

	dom := chromium("--dump-dom")
	if !regexp.MustCompile(`<title>crieur — June 2030</title>`).Match(dom) {
		t.Fatalf("the rendered page has no title:\n%.400s", dom)
	}

	sale := color.RGBA{0xe4, 0x57, 0x2e, 0xff}
	for _, size := range []struct {
		name      string
		w, h      int
		minColors int
	}{{"desktop", 1280, 900, 40}, {"phone", 390, 844, 20}} {
		shot := filepath.Join(dir, size.name+".png")
		chromium("--screenshot="+shot, "--window-size="+strconv.Itoa(size.w)+","+strconv.Itoa(size.h))
		img := decodePNG(t, shot)
		colors, hasSale := paletteOf(img, sale)
		if colors < size.minColors {
			t.Errorf("%s: %d distinct colours: the page looks blank", size.name, colors)
		}
		if !hasSale {
			t.Errorf("%s: the winter-sale colour is nowhere on the page", size.name)
		}
		if b := img.Bounds(); b.Dx() != size.w {
			t.Errorf("%s: screenshot is %dx%d", size.name, b.Dx(), b.Dy())
		}
		if keep := os.Getenv("CRIEUR_SCREENSHOT"); keep != "" && size.name == "desktop" {
			data, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(keep, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// paletteOf counts the image's distinct colours and says whether want is one.
func paletteOf(img image.Image, want color.RGBA) (int, bool) {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen), seen[want]
}
