package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "feed.xml")
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}
	if err := Write(path, 0o600, write("one")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v, want 0600", fi.Mode().Perm())
	}
	// A replaced file keeps the mode someone gave it.
	os.Chmod(path, 0o644)
	if err := Write(path, 0o600, write("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Errorf("content %q", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("replaced file mode %v, want 0644 kept", fi.Mode().Perm())
	}
	// A failed write leaves the old file whole and no temporary file behind.
	boom := errors.New("boom")
	if err := Write(path, 0o600, func(w io.Writer) error { io.WriteString(w, "half"); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "two" {
		t.Errorf("after a failed write: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files left in the folder, want 1", len(entries))
	}
}

func TestWriteDoesNotFollowSymlink(t *testing.T) {
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out")
	if err := os.Symlink(victim, path); err != nil {
		t.Skip("no symlinks here:", err)
	}
	for name, write := range map[string]func(string, os.FileMode, func(io.Writer) error) error{"Write": Write, "WriteMode": WriteMode} {
		if err := write(path, 0o600, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
			t.Fatal(name, err)
		}
		if b, _ := os.ReadFile(victim); string(b) != "keep" {
			t.Errorf("%s: the link's target was written: %q", name, b)
		}
		fi, err := os.Lstat(path)
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %s is %v (%v), want a regular 0600 file", name, path, fi.Mode(), err)
		}
		if fi, _ := os.Stat(victim); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: the link's target mode changed to %v", name, fi.Mode().Perm())
		}
		os.Remove(path)
		os.Symlink(victim, path)
	}
}

func TestWriteModeForcesMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.ics")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Private.WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("private export over a 0644 file: %v, want 0600", fi.Mode().Perm())
	}
	if err := Shared.WriteFile(path, func(w io.Writer) error { _, err := io.WriteString(w, "x"); return err }); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("shared export: %v, want 0644", fi.Mode().Perm())
	}
}

func TestModesMkdirAll(t *testing.T) {
	for _, tc := range []struct {
		m    Modes
		want os.FileMode
	}{{Shared, 0o755}, {Private, 0o700}, {ExportModes(true), 0o700}, {ExportModes(false), 0o755}} {
		base := t.TempDir()
		os.Chmod(base, 0o711)
		dir := filepath.Join(base, "a", "b")
		if err := tc.m.MkdirAll(dir); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{filepath.Join(base, "a"), dir} {
			if fi, _ := os.Stat(d); fi.Mode().Perm() != tc.want {
				t.Errorf("%s: %v, want %v", d, fi.Mode().Perm(), tc.want)
			}
		}
		if fi, _ := os.Stat(base); fi.Mode().Perm() != 0o711 {
			t.Errorf("an existing folder was changed to %v", fi.Mode().Perm())
		}
	}
}

func TestLockExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	go func() {
		u, err := Lock(path)
		if err == nil {
			u()
		}
		close(got)
	}()
	select {
	case <-got:
		t.Fatal("a second Lock did not wait for the first")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second Lock never got the lock")
	}
}
