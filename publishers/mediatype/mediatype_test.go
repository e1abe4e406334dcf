package mediatype

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		path string
		want string // "" for an error
	}{
		{"by extension", write("a.png", "not really a PNG"), "image/png"},
		{"upper-case extension", write("b.JPG", "x"), "image/jpeg"},
		{"parameters dropped", write("c.txt", "x"), "text/plain"},
		{"sniffed without extension", write("d", "GIF89a\x01\x00\x01\x00"), "image/gif"},
		{"missing", filepath.Join(dir, "gone.png"), ""},
		{"directory", dir, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Of(c.path)
			if c.want == "" {
				if err == nil {
					t.Fatalf("Of = %q, want an error", got)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Of = %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
