package main

import (
	"image"
	"image/color"
	"os"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"
)

// screenSize is a window a page is rendered in, and the fewest distinct
// colours its screenshot shows when the page is not blank.
type screenSize struct {
	name      string
	w, h      int
	minColors int
}

// checkScreenshots renders page in Chromium at each size: each screenshot
// must show minColors colours at least and be as wide as the window, and
// check looks for what the page must show (shows tells whether a colour is
// on screen). With the environment variable keepEnv naming a path, the
// screenshot at the size named keep is copied there.
func checkScreenshots(t *testing.T, browser *testsvc.Chromium, page string, sizes []screenSize, keepEnv, keep string,
	check func(size string, shows func(color.RGBA) bool)) {
	t.Helper()
	for _, size := range sizes {
		img, shot := browser.Screenshot(t, page, size.w, size.h)
		colors := palette(img)
		if len(colors) < size.minColors {
			t.Errorf("%s: %d distinct colours: the page looks blank", size.name, len(colors))
		}
		check(size.name, func(c color.RGBA) bool { return colors[c] })
		if b := img.Bounds(); b.Dx() != size.w {
			t.Errorf("%s: screenshot is %dx%d", size.name, b.Dx(), b.Dy())
		}
		if path := os.Getenv(keepEnv); path != "" && size.name == keep {
			data, err := os.ReadFile(shot)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// palette is the set of the image's colours.
func palette(img image.Image) map[color.RGBA]bool {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return seen
}
