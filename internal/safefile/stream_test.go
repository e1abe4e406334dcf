package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// OpenLimited refuses what ReadFile refuses, at the open, and a file that
// grows past the limit while it is read.
func TestOpenLimited(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	small := file("small.csv", "slug,body\na,b\n")
	r, err := OpenLimited(small, 100)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != "slug,body\na,b\n" {
		t.Fatalf("small: %q, %v", got, err)
	}
	exact := file("exact.csv", "0123456789")
	if r, err = OpenLimited(exact, 10); err != nil {
		t.Fatal(err)
	}
	if got, err = io.ReadAll(r); err != nil || len(got) != 10 {
		t.Fatalf("at the limit: %q, %v", got, err)
	}
	// grows past the limit after the open
	f, err := os.OpenFile(exact, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("x")
	f.Close()
	if _, err = io.ReadAll(r); !errors.Is(err, ErrTooBig) {
		t.Errorf("grown past the limit: %v, want ErrTooBig", err)
	}
	r.Close()
	if _, err := OpenLimited(small, 5); !errors.Is(err, ErrTooBig) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := OpenLimited(dir, 0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a folder: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		if _, err := OpenLimited(fifo, 0); !errors.Is(err, ErrNotRegular) {
			t.Errorf("a FIFO: %v", err)
		}
	}
}
