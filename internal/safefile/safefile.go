// Package safefile reads files that come from people crieur does not fully
// trust (a load from a branch, the media it names): only regular files, never
// a device or a FIFO (opening one never blocks), never more than a size limit,
// and, for a load, never outside the folder the load is confined to.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxInput is the default size limit of one load file (32 MiB).
const DefaultMaxInput = 32 << 20

// MaxUpload is the size limit of an uploaded media file whose network names
// none: above what any network crieur supports takes by default.
const MaxUpload = 100 << 20

// ErrTooBig is wrapped when an input is over its size limit.
var ErrTooBig = errors.New("too big")

// ErrNotRegular is wrapped when a path is a device, a FIFO, a socket or a
// folder, or a symlink where none is allowed.
var ErrNotRegular = errors.New("not a regular file")

// ErrOutside is wrapped when a path leaves the folder it is confined to.
var ErrOutside = errors.New("outside the allowed folder")

// problem is an error in the user's words that matches one of the errors
// above.
type problem struct {
	msg  string
	kind error
}

func (e *problem) Error() string        { return e.msg }
func (e *problem) Is(target error) bool { return target == e.kind }

func newProblem(kind error, format string, args ...any) error {
	return &problem{msg: fmt.Sprintf(format, args...), kind: kind}
}

// kind names what a file is, in the user's words.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeSymlink != 0:
		return "a symlink"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// Open opens path for reading only if it is a regular file. With noFollow a
// final symlink is refused too. The opened file itself is checked (fstat), so
// a path swapped between the check and the open is caught; a FIFO is opened
// without blocking.
func Open(path string, noFollow bool) (*os.File, fs.FileInfo, error) {
	if info, err := os.Lstat(path); err != nil {
		return nil, nil, err
	} else if noFollow && info.Mode()&fs.ModeSymlink != 0 {
		return nil, nil, newProblem(ErrNotRegular, "%s is a symlink", path)
	}
	flags := os.O_RDONLY | openFlags
	if noFollow {
		flags |= noFollowFlag
	}
	f, err := os.OpenFile(path, flags, 0)
	if err != nil {
		if isLoop(err) {
			return nil, nil, newProblem(ErrNotRegular, "%s is a symlink", path)
		}
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		_ = f.Close()
		return nil, nil, newProblem(ErrNotRegular, "%s is %s", path, kind(info.Mode()))
	}
	return f, info, nil
}

// ReadFile reads a regular file of at most limit bytes (limit <= 0 means
// DefaultMaxInput), never reading past the limit even if the file grows.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, info, err := Open(path, false)
	if err != nil {
		return nil, err
	}
	return readOpened(f, info, path, limit)
}

// readOpened reads an opened regular file within limit, then closes it.
func readOpened(f *os.File, info fs.FileInfo, path string, limit int64) ([]byte, error) {
	defer f.Close()
	if limit <= 0 {
		limit = DefaultMaxInput
	}
	if info.Size() > limit {
		return nil, tooBig(path, info.Size(), limit)
	}
	// A regular file says its size: read it into one slice of that size,
	// then whatever it grew by since, still within the limit.
	data := make([]byte, info.Size())
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	data = data[:n]
	var probe [1]byte
	if m, _ := f.Read(probe[:]); m == 0 {
		return data, nil // the usual case: it did not grow
	}
	if int64(n) >= limit {
		return nil, tooBig(path, int64(n)+1, limit)
	}
	data = append(data, probe[0])
	rest := limit - int64(len(data))
	if rest <= 0 { // at the limit: one byte more is over it
		if m, _ := f.Read(probe[:]); m > 0 {
			return nil, tooBig(path, int64(len(data))+1, limit)
		}
		return data, nil
	}
	more, err := ReadAll(f, path, rest)
	if err != nil {
		return nil, err
	}
	return append(data, more...), nil
}

// ReadAll reads r to its end, refusing more than limit bytes (limit <= 0
// means DefaultMaxInput); name says what r is in the error.
func ReadAll(r io.Reader, name string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxInput
	}
	// Read in chunks rather than one slice grown by doubling: an endless or
	// oversized stream then costs the limit, not twice it plus the garbage
	// of every growth, before it is refused.
	const chunk = 1 << 20
	var parts [][]byte
	var total int64
	for {
		buf := make([]byte, chunk)
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			total += int64(n)
			if total > limit {
				return nil, newProblem(ErrTooBig, "%s is over the limit of %s", name, Size(limit))
			}
			parts = append(parts, buf[:n])
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	data := make([]byte, 0, total)
	for _, p := range parts {
		data = append(data, p...)
	}
	return data, nil
}

func tooBig(path string, size, limit int64) error {
	return newProblem(ErrTooBig, "%s is %s, over the limit of %s", path, Size(size), Size(limit))
}

// Size writes a byte count for people: 16 MB, 1000000 bytes.
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Within resolves path (every symlink followed) and checks that it lies in
// root (resolved too). It returns the resolved path.
func Within(root, path string) (string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	absPath, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if !inside(absRoot, absPath) {
		return "", newProblem(ErrOutside, "%s is outside %s", path, root)
	}
	realRoot, err := filepath.EvalSymlinks(absRoot)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(absPath)
	if err != nil {
		return "", err
	}
	if !inside(realRoot, real) {
		return "", newProblem(ErrOutside, "%s is a symlink to %s, outside %s", path, real, root)
	}
	return real, nil
}

// OpenWithin opens path only if it resolves inside root and is a regular file.
func OpenWithin(root, path string) (*os.File, fs.FileInfo, error) {
	real, err := Within(root, path)
	if err != nil {
		return nil, nil, err
	}
	// real has no symlink left: one appearing now is a swap, refused.
	return Open(real, true)
}

// ReadFileWithin reads path, at most limit bytes, only if it resolves inside
// root and is a regular file.
func ReadFileWithin(root, path string, limit int64) ([]byte, error) {
	f, info, err := OpenWithin(root, path)
	if err != nil {
		return nil, err
	}
	return readOpened(f, info, path, limit)
}

func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}
