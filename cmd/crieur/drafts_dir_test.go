package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestDraftsDirIsPrivatePerUser(t *testing.T) {
	want := func(tmp string) string {
		return filepath.Join(tmp, "crieur-drafts-"+strconv.Itoa(os.Getuid()))
	}
	t.Run("created 0700", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		dir, err := draftsDir()
		if err != nil || dir != want(tmp) {
			t.Fatalf("draftsDir() = %q, %v; want %q", dir, err, want(tmp))
		}
		if fi, _ := os.Lstat(dir); !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want a 0700 folder", dir, fi.Mode())
		}
	})
	t.Run("an open folder of mine is narrowed", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		os.Mkdir(want(tmp), 0o777)
		os.Chmod(want(tmp), 0o777)
		if _, err := draftsDir(); err != nil {
			t.Fatal(err)
		}
		if fi, _ := os.Lstat(want(tmp)); fi.Mode().Perm() != 0o700 {
			t.Errorf("mode %v, want 0700", fi.Mode().Perm())
		}
	})
	t.Run("a planted link is refused", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		elsewhere := t.TempDir()
		if err := os.Symlink(elsewhere, want(tmp)); err != nil {
			t.Skip(err)
		}
		if _, err := draftsDir(); err == nil || !strings.Contains(err.Error(), "not a folder") {
			t.Errorf("draftsDir() over a link: %v", err)
		}
	})
	t.Run("another user's folder is refused", func(t *testing.T) {
		if os.Getuid() != 0 {
			t.Skip("needs root to give a folder to another user")
		}
		tmp := t.TempDir()
		t.Setenv("TMPDIR", tmp)
		os.Mkdir(want(tmp), 0o700)
		if err := os.Chown(want(tmp), 4242, 4242); err != nil {
			t.Skip(err)
		}
		if _, err := draftsDir(); err == nil || !strings.Contains(err.Error(), "another user") {
			t.Errorf("draftsDir() over another user's folder: %v", err)
		}
	})
}
