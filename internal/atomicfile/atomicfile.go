// Package atomicfile replaces a file so that a reader sees the old content or
// the new, never a part: calendar feeds, exports and RSS files are read by
// other programs while crieur rewrites them.
//
// The temporary file is created in the target's folder with O_EXCL and mode
// 0600 under a random name, so a link planted there is never followed; the
// rename replaces a symbolic link at the target itself, never the file it
// points to.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// Write writes path through a temporary file in the same folder, synced and
// renamed over it, then syncs the folder so the rename survives a crash. A
// regular file being replaced keeps its mode (someone may serve it); a new one
// gets perm.
func Write(path string, perm os.FileMode, write func(io.Writer) error) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	return WriteMode(path, perm, write)
}

// WriteMode is Write, except that the file always ends with mode perm, whatever
// the mode of the file it replaces: for secrets, and exports whose mode is a
// promise (see Modes).
func WriteMode(path string, perm os.FileMode, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	// Chmod on the open descriptor: the umask does not apply, no path is followed.
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	// Some file systems cannot sync a folder; the rename itself is done.
	_ = d.Sync()
	return nil
}

// Modes are the permissions of what an export creates.
type Modes struct {
	File, Dir os.FileMode
}

// Exports meant to be shared (calendar feeds, pages, post exports) are
// readable by others (0644, folders 0755); with --private only the owner
// reads them (0600, 0700). Secrets and the database are always 0600 and do
// not use this.
var (
	Shared  = Modes{File: 0o644, Dir: 0o755}
	Private = Modes{File: 0o600, Dir: 0o700}
)

// ExportModes is the one rule every export writer follows.
func ExportModes(private bool) Modes {
	if private {
		return Private
	}
	return Shared
}

// WriteFile replaces path atomically; the file ends with m.File.
func (m Modes) WriteFile(path string, write func(io.Writer) error) error {
	return WriteMode(path, m.File, write)
}

// MkdirAll creates dir and its missing parents with m.Dir (exactly, whatever
// the umask); folders that already exist are left as they are.
func (m Modes) MkdirAll(dir string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, m.Dir); err != nil {
		return err
	}
	for _, d := range missing {
		if err := os.Chmod(d, m.Dir); err != nil {
			return err
		}
	}
	return nil
}
