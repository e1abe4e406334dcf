package multipart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileSize(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "a.png")
	empty := filepath.Join(dir, "b.png")
	for path, content := range map[string]string{full: "12345", empty: ""} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		path string
		size int64
		err  string
	}{
		{"file", full, 5, ""},
		{"empty", empty, 0, empty + " is empty"},
		{"directory", dir, 0, dir + " is not a file"},
		{"missing", filepath.Join(dir, "gone"), 0, "cannot read " + filepath.Join(dir, "gone") + ": "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			size, err := FileSize(c.path)
			if size != c.size || (err == nil) != (c.err == "") || (err != nil && !strings.HasPrefix(err.Error(), c.err)) {
				t.Errorf("FileSize = %d, %v; want %d, %q", size, err, c.size, c.err)
			}
		})
	}
}
