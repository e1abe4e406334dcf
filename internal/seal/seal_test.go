package seal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpenBoundToItsRow(t *testing.T) {
	k, err := New()
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Seal([]byte("hunter2"), []byte("acme/token"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(s.Ciphertext), "hunter2") || s.KeyID != k.ID() {
		t.Fatalf("sealed %+v", s)
	}
	got, err := k.Open(s, []byte("acme/token"))
	if err != nil || string(got) != "hunter2" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := New()
	flipped := Sealed{Nonce: s.Nonce, Ciphertext: append([]byte{}, s.Ciphertext...), KeyID: s.KeyID}
	flipped.Ciphertext[0] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"another row":   func() ([]byte, error) { return k.Open(s, []byte("other/token")) },
		"another key":   func() ([]byte, error) { return other.Open(s, []byte("acme/token")) },
		"a flipped bit": func() ([]byte, error) { return k.Open(flipped, []byte("acme/token")) },
		"a short nonce": func() ([]byte, error) {
			return k.Open(Sealed{Nonce: s.Nonce[:12], Ciphertext: s.Ciphertext}, []byte("acme/token"))
		},
	} {
		if v, err := try(); !errors.Is(err, ErrOpen) || v != nil {
			t.Errorf("%s: Open = %q, %v; want ErrOpen", name, v, err)
		}
	}
	// A second seal of the same value uses another nonce.
	s2, _ := k.Seal([]byte("hunter2"), []byte("acme/token"))
	if string(s2.Nonce) == string(s.Nonce) {
		t.Error("nonce reused")
	}
}

func TestParseNeverRepeatsTheText(t *testing.T) {
	k, _ := New()
	good := k.Encode()
	if len(good) != 44 {
		t.Fatalf("encoded key is %d characters", len(good))
	}
	if p, err := Parse(" "+good+"\n", "CRIEUR_KEY"); err != nil || p.ID() != k.ID() {
		t.Fatalf("Parse(good) = %v, %v", p, err)
	}
	for _, bad := range []string{
		good[:40],                        // too short
		good + good,                      // too long
		strings.Repeat("Zm9v", 8) + "!!", // garbled
		"c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==", // valid base64, 33 bytes
		"",
	} {
		_, err := Parse(bad, "CRIEUR_KEY")
		if !errors.Is(err, ErrBadKey) {
			t.Errorf("Parse(%q) = %v, want ErrBadKey", bad, err)
			continue
		}
		if bad != "" && strings.Contains(err.Error(), strings.TrimSpace(bad)) {
			t.Errorf("the error repeats the key: %v", err)
		}
		if !strings.Contains(err.Error(), "CRIEUR_KEY") || !strings.Contains(err.Error(), "base64") {
			t.Errorf("the error does not say which key or what a key is: %v", err)
		}
	}
	for _, f := range []string{"%v", "%s", "%+v", "%#v"} {
		if out := fmt.Sprintf(f, k); strings.Contains(out, good) || strings.Contains(out, good[:20]) {
			t.Errorf("%s prints the key: %s", f, out)
		}
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "crieur", "key")
	k, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	if _, err := Create(path); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Create over an existing key = %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("Create replaced an existing key")
	}
	got, err := Load(path)
	if err != nil || got.ID() != k.ID() || !strings.Contains(got.Source, path) {
		t.Fatalf("Load = %v, %v", got, err)
	}
	for _, mode := range []os.FileMode{0o640, 0o604, 0o644} {
		os.Chmod(path, mode)
		if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "readable by others") || strings.Contains(err.Error(), k.Encode()) {
			t.Errorf("Load of a %04o key file = %v", mode, err)
		}
	}
	os.Chmod(path, 0o600)
	n, _ := New()
	if err := Replace(path, n); err != nil {
		t.Fatal(err)
	}
	if got, err := Load(path); err != nil || got.ID() != n.ID() {
		t.Errorf("after Replace: %v, %v", got, err)
	}
	os.WriteFile(filepath.Join(dir, "garbled"), []byte("not a key at all\n"), 0o600)
	if _, err := Load(filepath.Join(dir, "garbled")); !errors.Is(err, ErrBadKey) || strings.Contains(err.Error(), "not a key at all") {
		t.Errorf("Load(garbled) = %v", err)
	}
}
