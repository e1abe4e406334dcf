package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestReadFileWithin(t *testing.T) {
	outside := t.TempDir()
	secret := filepath.Join(outside, "secret.txt")
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(secret, []byte("token"), 0o600))
	must(os.WriteFile(filepath.Join(root, "ok.png"), []byte("12345"), 0o600))
	must(os.WriteFile(filepath.Join(root, "big.png"), make([]byte, 100), 0o600))
	must(os.Mkdir(filepath.Join(root, "sub"), 0o700))
	must(os.Symlink(secret, filepath.Join(root, "out.png")))
	must(os.Symlink("ok.png", filepath.Join(root, "in.png")))
	must(os.Symlink("/dev/zero", filepath.Join(root, "zero.png")))
	must(os.Symlink(outside, filepath.Join(root, "outdir")))
	must(syscall.Mkfifo(filepath.Join(root, "fifo.png"), 0o600))
	cases := []struct {
		path string
		want error // nil: reads "12345"
	}{
		{"ok.png", nil},
		{"in.png", nil}, // a symlink that stays inside is fine
		{"sub/../ok.png", nil},
		{"../" + filepath.Base(outside) + "/secret.txt", ErrOutside},
		{secret, ErrOutside},
		{"/etc/passwd", ErrOutside},
		{"out.png", ErrOutside},
		{"zero.png", ErrOutside},
		{"outdir/secret.txt", ErrOutside},
		{"fifo.png", ErrNotRegular},
		{"sub", ErrNotRegular},
		{"big.png", ErrTooBig},
		{"missing.png", os.ErrNotExist},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p := c.path
			if !filepath.IsAbs(p) {
				p = filepath.Join(root, p)
			}
			done := make(chan struct{})
			var data []byte
			var err error
			go func() { data, err = ReadFileWithin(root, p, 50); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("hangs")
			}
			if c.want == nil {
				if err != nil || string(data) != "12345" {
					t.Fatalf("= %q, %v", data, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestReadFileDevicesAndLimits(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", "/dev/null", fifo, dir} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(p, 0); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), p) {
				t.Errorf("ReadFile(%s) = %v, want not a regular file naming it", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("ReadFile(%s) hangs", p)
		}
	}
	// A stream is cut at the limit, never read to its end.
	if _, err := ReadAll(zeroes{}, "stdin", 1<<20); !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "stdin is over the limit of 1 MB") {
		t.Errorf("ReadAll(endless) = %v", err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("/etc/hostname", link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(link, true); !errors.Is(err, ErrNotRegular) {
		t.Errorf("Open(symlink, noFollow) = %v", err)
	}
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A file read at exactly the limit passes; one byte more does not, even when
// it grows after its size was read (the size is only where reading starts).
func TestReadFileAtTheLimit(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/f"
	for _, c := range []struct {
		size  int
		limit int64
		ok    bool
	}{{10, 10, true}, {11, 10, false}, {0, 10, true}, {9, 10, true}} {
		if err := os.WriteFile(path, make([]byte, c.size), 0o600); err != nil {
			t.Fatal(err)
		}
		data, err := ReadFile(path, c.limit)
		if (err == nil) != c.ok || (c.ok && len(data) != c.size) {
			t.Errorf("size %d, limit %d: %d bytes, err %v; want ok=%v", c.size, c.limit, len(data), err, c.ok)
		}
	}
}
