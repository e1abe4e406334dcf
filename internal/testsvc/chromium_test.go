package testsvc

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without Chromium on PATH, a test that needs it skips, or fails under CI,
// saying how to install it.
func TestFindChromiumAbsent(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, tt := range []struct{ ci, want string }{{"", "skip"}, {"true", "fatal"}} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := record(t, func(r testing.TB) { FindChromium(r) })
			if r.ended != tt.want || !strings.Contains(r.msg, "scripts/chromium-test.sh") {
				t.Fatalf("ended %q (%q), want %q naming scripts/chromium-test.sh", r.ended, r.msg, tt.want)
			}
		})
	}
}

// Chromium renders a local page: the DOM it built, and a screenshot as
// wide as the window asked for.
func TestChromiumRender(t *testing.T) {
	c := FindChromium(t)
	page := filepath.Join(t.TempDir(), "page.html")
	if err := os.WriteFile(page, []byte(`<!doctype html><title>t</title><p id=x>hello</p><script>document.getElementById("x").textContent += ", rendered"</script>`), 0o600); err != nil {
		t.Fatal(err)
	}
	if dom := c.DOM(t, page); !bytes.Contains(dom, []byte("hello, rendered")) {
		t.Errorf("the DOM lacks what the page's script wrote:\n%s", dom)
	}
	img, _ := c.Screenshot(t, page, 320, 200)
	if b := img.Bounds(); b.Dx() != 320 || b.Dy() != 200 {
		t.Errorf("screenshot is %dx%d, want 320x200", b.Dx(), b.Dy())
	}
}
