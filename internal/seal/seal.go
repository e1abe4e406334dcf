// Package seal encrypts the secrets crieur keeps in its calendar, with
// XChaCha20-Poly1305 (golang.org/x/crypto) under a 32-byte key that never
// enters the database.
//
// A key is written as standard base64 (44 characters, padded): in CRIEUR_KEY,
// or on one line of a 0600 key file. Its id (ID) is a fingerprint derived
// from it by SHA-256, safe to show and to store: it tells which key sealed a
// secret, never the key itself. No error of this package holds a key.
package seal

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"

	"github.com/crieur/crieur/internal/atomicfile"
)

// Size is a key's length in bytes.
const Size = chacha20poly1305.KeySize

// Key seals and opens secrets. Its zero value is no key.
type Key struct {
	b [Size]byte
	// Source says where the key came from ("CRIEUR_KEY", "key file PATH"),
	// for messages.
	Source string
	ok     bool
}

// Valid reports whether k holds a key.
func (k Key) Valid() bool { return k.ok }

// ID is the key's fingerprint: 16 hex digits of SHA-256 over a fixed label
// and the key. Two keys with the same ID are the same key.
func (k Key) ID() string {
	h := sha256.New()
	h.Write([]byte("crieur key id v1\x00"))
	h.Write(k.b[:])
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// String never shows the key: only its id and where it came from.
func (k Key) String() string {
	if !k.ok {
		return "no key"
	}
	if k.Source == "" {
		return "key " + k.ID()
	}
	return k.Source + " (key " + k.ID() + ")"
}

// GoString, like String, keeps the key out of %#v.
func (k Key) GoString() string { return k.String() }

// Encode is the key as written in CRIEUR_KEY or a key file.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k.b[:]) }

// New makes a key from the system's random source.
func New() (Key, error) {
	var k Key
	if _, err := io.ReadFull(rand.Reader, k.b[:]); err != nil {
		return Key{}, fmt.Errorf("making a key: %w", err)
	}
	k.ok = true
	return k, nil
}

// ErrBadKey is the cause of every refusal of a key's text.
var ErrBadKey = errors.New("not a crieur key")

// Parse reads a key written by Encode (surrounding spaces and newlines are
// ignored). source names it in errors, which never repeat the text.
func Parse(text, source string) (Key, error) {
	text = strings.TrimSpace(text)
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return Key{}, fmt.Errorf("%s is %w: it must be %d random bytes in standard base64 (%d characters), as `crieur init` writes", source, ErrBadKey, Size, base64.StdEncoding.EncodedLen(Size))
	}
	if len(b) != Size {
		return Key{}, fmt.Errorf("%s is %w: it holds %d bytes, a key is %d random bytes in standard base64 (%d characters)", source, ErrBadKey, len(b), Size, base64.StdEncoding.EncodedLen(Size))
	}
	k := Key{Source: source, ok: true}
	copy(k.b[:], b)
	return k, nil
}

// Load reads the key file at path. A key file that others than its owner
// may read is refused: whoever reads it reads every secret of the calendar.
func Load(path string) (Key, error) {
	f, err := os.Open(path)
	if err != nil {
		return Key{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Key{}, err
	}
	if !info.Mode().IsRegular() {
		return Key{}, fmt.Errorf("key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("key file %s is readable by others (mode %04o): only its owner may read it; run `chmod 600 %s`", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return Key{}, fmt.Errorf("reading key file %s: %w", path, err)
	}
	return Parse(string(b), "key file "+path)
}

// Create makes a new key and writes it to path (mode 0600, its folder 0700
// if new). An existing file is never replaced.
func Create(path string) (Key, error) {
	k, err := New()
	if err != nil {
		return Key{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Key{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return Key{}, fmt.Errorf("key file %s already exists: crieur never replaces a key (the secrets sealed with it would be lost); `crieur secrets rotate-key` changes it", path)
	}
	if err != nil {
		return Key{}, err
	}
	if _, err = f.WriteString(k.Encode() + "\n"); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return Key{}, fmt.Errorf("writing key file %s: %w", path, err)
	}
	k.Source = "key file " + path
	return k, nil
}

// Replace writes k to path atomically (0600): a reader sees the old key or
// the new one, never a part.
func Replace(path string, k Key) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteMode(path, 0o600, func(w io.Writer) error {
		_, err := io.WriteString(w, k.Encode()+"\n")
		return err
	})
}

// Sealed is a secret as kept: the nonce, the ciphertext (with its tag) and
// the id of the key that sealed it.
type Sealed struct {
	Nonce, Ciphertext []byte
	KeyID             string
}

// Seal encrypts plaintext under k, bound to ad (associated data: what the
// secret belongs to), with a fresh random nonce.
func (k Key) Seal(plaintext, ad []byte) (Sealed, error) {
	if !k.ok {
		return Sealed{}, errors.New("no key to seal with")
	}
	aead, err := chacha20poly1305.NewX(k.b[:])
	if err != nil {
		return Sealed{}, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return Sealed{}, err
	}
	return Sealed{Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, plaintext, ad), KeyID: k.ID()}, nil
}

// ErrOpen is the cause when a sealed secret does not open: another key, or
// its bytes (or what it is bound to) changed.
var ErrOpen = errors.New("the secret does not open with this key: it was changed, or moved from another row")

// Open decrypts s, checking that it is bound to ad.
func (k Key) Open(s Sealed, ad []byte) ([]byte, error) {
	if !k.ok {
		return nil, errors.New("no key to open secrets with")
	}
	aead, err := chacha20poly1305.NewX(k.b[:])
	if err != nil {
		return nil, err
	}
	if len(s.Nonce) != aead.NonceSize() {
		return nil, ErrOpen
	}
	out, err := aead.Open(nil, s.Nonce, s.Ciphertext, ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
