package multipart

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An upload never sends a device, a FIFO or a file over its network's limit,
// and never reads past the size it announced.
func TestStreamLimits(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small.png")
	if err := os.WriteFile(small, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo.png")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		field Field
		err   string
	}{
		{"over the limit", Field{Name: "f", Path: small, Limit: 9}, small + " is 10 bytes, over the upload limit of 9 bytes"},
		{"at the limit", Field{Name: "f", Path: small, Limit: 10}, ""},
		{"device", Field{Name: "f", Path: "/dev/zero"}, "/dev/zero is a device"},
		{"fifo", Field{Name: "f", Path: fifo}, fifo + " is a FIFO"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				f, err := Stream([]Field{c.field})
				if err == nil {
					_, err = io.Copy(io.Discard, f.Body)
				}
				done <- err
			}()
			select {
			case err := <-done:
				if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
					t.Errorf("err = %v, want %q", err, c.err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the upload hangs")
			}
		})
	}

	// A file that grows after it was checked is sent at its checked size.
	f, err := Stream([]Field{{Name: "f", Path: small, Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(small, []byte(strings.Repeat("x", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != f.Length || strings.Contains(string(data), strings.Repeat("x", 11)) {
		t.Errorf("sent %d bytes (announced %d), past the file's checked size", len(data), f.Length)
	}
}
