package safefile

import (
	"io"
	"os"
)

// OpenLimited opens a regular file of at most limit bytes (limit <= 0 means
// DefaultMaxInput) to be read as a stream rather than held whole. It makes
// ReadFile's checks when it opens (a regular file, within the limit), and a
// file that grows past the limit while it is read fails the read with
// ErrTooBig.
func OpenLimited(path string, limit int64) (io.ReadCloser, error) {
	if limit <= 0 {
		limit = DefaultMaxInput
	}
	f, info, err := Open(path, false)
	if err != nil {
		return nil, err
	}
	if info.Size() > limit {
		_ = f.Close()
		return nil, tooBig(path, info.Size(), limit)
	}
	return &limitedFile{f: f, path: path, left: limit, limit: limit}, nil
}

type limitedFile struct {
	f           *os.File
	path        string
	left, limit int64
}

func (l *limitedFile) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.left <= 0 { // at the limit: one byte more is over it
		var probe [1]byte
		if n, err := l.f.Read(probe[:]); n > 0 {
			return 0, tooBig(l.path, l.limit+1, l.limit)
		} else {
			return 0, err
		}
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.f.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedFile) Close() error { return l.f.Close() }
