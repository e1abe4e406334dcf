package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// draftsDir is the private folder where $EDITOR drafts are written:
// crieur-drafts-<uid> in the temporary folder, created 0700. A shared
// temporary folder lets anyone create that name first, so an existing one is
// used only if it is a real folder owned by this user; a wider mode is
// narrowed to 0700; a link, a file or another user's folder is refused.
func draftsDir() (string, error) {
	name := "crieur-drafts"
	if uid := os.Getuid(); uid >= 0 {
		name += "-" + strconv.Itoa(uid)
	}
	dir := filepath.Join(os.TempDir(), name)
	err := os.Mkdir(dir, 0o700)
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("the drafts folder %s is not a folder (a link or a file): remove it, or set TMPDIR to a private folder", dir)
	}
	if !ownedByMe(fi) {
		return "", fmt.Errorf("the drafts folder %s belongs to another user: remove it, or set TMPDIR to a private folder", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("the drafts folder %s is open to others (%v) and could not be made private: %w", dir, fi.Mode().Perm(), err)
		}
	}
	return dir, nil
}
