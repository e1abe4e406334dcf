package publishers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckSettings(t *testing.T) {
	dir := t.TempDir()
	nw := Network{Name: "n", Settings: []Field{{Name: "site", Kind: URL}, {Name: "path", Kind: OutFile}, {Name: "dir", Kind: OutDir}, {Name: "note"}}}
	for _, c := range []struct {
		name     string
		settings map[string]string
		want     string // "" when fine, else a problem's field and words
	}{
		{"fine", map[string]string{"site": "https://x.example", "path": filepath.Join(dir, "out.log"), "note": "ftp://anything"}, ""},
		{"stdout", map[string]string{"path": "-"}, ""},
		{"ftp site", map[string]string{"site": "ftp://x"}, `site: "ftp://x" is not an http(s) URL`},
		{"missing folder", map[string]string{"path": filepath.Join(dir, "no", "out.log")}, "path: folder " + filepath.Join(dir, "no") + " does not exist"},
		{"folder is a file", map[string]string{"path": filepath.Join(dir, "out.log", "x")}, "is not a folder"},
		// A folder crieur writes files in (a media host's media_dir).
		{"media folder", map[string]string{"dir": dir}, ""},
		{"missing media folder", map[string]string{"dir": filepath.Join(dir, "www", "media")}, "dir: folder " + filepath.Join(dir, "www", "media") + " does not exist"},
		{"media folder is a file", map[string]string{"dir": filepath.Join(dir, "out.log")}, "is not a folder"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "folder is a file" {
				if err := writeFile(filepath.Join(dir, "out.log")); err != nil {
					t.Fatal(err)
				}
			}
			probs := nw.CheckSettings(c.settings)
			var got []string
			for _, p := range probs {
				got = append(got, p.String())
			}
			switch {
			case c.want == "" && len(probs) > 0:
				t.Errorf("problems %q, want none", got)
			case c.want != "" && (len(probs) != 1 || !strings.Contains(got[0], c.want)):
				t.Errorf("problems %q, want one containing %q", got, c.want)
			}
		})
	}
}

func writeFile(path string) error {
	return os.WriteFile(path, []byte("x"), 0o600)
}
