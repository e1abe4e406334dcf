package testsvc

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Chromium is a headless Chromium a test renders pages in.
type Chromium struct {
	path string
}

// chromiumNames are the names Chromium's binary goes by (Debian's
// chromium, Ubuntu's chromium-browser).
var chromiumNames = []string{"chromium", "chromium-browser"}

// FindChromium returns the Chromium on PATH. Without one, the test skips,
// or fails under CI (RequireService).
func FindChromium(t testing.TB) *Chromium {
	t.Helper()
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return &Chromium{path: p}
		}
	}
	RequireService(t, "Chromium", "chromium is not installed: run scripts/chromium-test.sh (apt-get install -y chromium)")
	return nil
}

// Render opens the file page in headless Chromium with the extra flags
// (--dump-dom, --screenshot=…), in a profile of its own and for 90 s at
// the most, offline as far as Chromium's flags allow; it returns what
// Chromium wrote on its standard output. A failure fails t with Chromium's
// own words.
func (c *Chromium) Render(t testing.TB, page string, extra ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir()}, extra...)
	cmd := exec.CommandContext(ctx, c.path, append(args, "file://"+page)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.Bytes()
}

// DOM is the document Chromium built of the file page (--dump-dom).
func (c *Chromium) DOM(t testing.TB, page string) []byte {
	t.Helper()
	return c.Render(t, page, "--dump-dom")
}

// Screenshot renders the file page in a window w by h pixels and returns
// its screenshot, and the path of its PNG file (in a folder removed when t
// ends).
func (c *Chromium) Screenshot(t testing.TB, page string, w, h int) (image.Image, string) {
	t.Helper()
	shot := filepath.Join(t.TempDir(), "screenshot.png")
	c.Render(t, page, "--screenshot="+shot, "--window-size="+strconv.Itoa(w)+","+strconv.Itoa(h))
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", shot, err)
	}
	return img, shot
}
