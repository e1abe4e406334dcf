package calendar

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/crieur/crieur/internal/seal"
)

// Keys are the keys a calendar's secrets open with: Current seals, and opens
// what it sealed; Old (a key file's key.old, kept while a rotation is under
// way) only opens.
type Keys struct {
	Current seal.Key
	Old     []seal.Key
}

// KeySource gives the calendar's keys; it is asked the first time a secret
// is sealed or opened. Its errors say how to make a key, never what it is.
type KeySource func() (Keys, error)

// ErrWrongKey is the cause when a secret was sealed with none of the keys
// at hand.
var ErrWrongKey = errors.New("sealed with another key")

// wrongKeyError says which key sealed a secret and which one is at hand.
type wrongKeyError string

func (e wrongKeyError) Error() string { return string(e) }

func (e wrongKeyError) Is(target error) bool { return target == ErrWrongKey }

// ErrNoSecret is the cause when a channel has no secret of the name asked
// for (Credentials.Get); the scheduler hands it to adapters as
// publishers.ErrNoSecret.
var ErrNoSecret = errors.New("no such secret")

// ErrNoKey is the cause when no key is set up.
var ErrNoKey = errors.New("no key for the calendar's secrets")

// ErrSecretNotHere wraps a secret this process cannot read, though another
// may: its environment variable is not set here, its file is not on this
// machine, or this machine has no key for the calendar's sealed secrets.
// The scheduler leaves such a delivery to a process that can (it does not
// pause the channel every process shares).
var ErrSecretNotHere = errors.New("a secret this process cannot read")

// SecretNotHere marks err as ErrSecretNotHere, keeping its message.
func SecretNotHere(err error) error { return secretNotHere{err} }

type secretNotHere struct{ error }

func (e secretNotHere) Is(target error) bool { return target == ErrSecretNotHere }
func (e secretNotHere) Unwrap() error        { return e.error }

// EnvKeys is the key source of a store opened without one: CRIEUR_KEY alone.
func EnvKeys() (Keys, error) {
	v, ok := os.LookupEnv("CRIEUR_KEY")
	if !ok || v == "" {
		return Keys{}, fmt.Errorf("%w: set CRIEUR_KEY, or run `crieur init` to make a key file", ErrNoKey)
	}
	k, err := seal.Parse(v, "CRIEUR_KEY")
	if err != nil {
		return Keys{}, err
	}
	return Keys{Current: k}, nil
}

// SecretAD is what a ciphertext is bound to: its row.
func SecretAD(channel, name string) []byte {
	return []byte("crieur secret v1\x00" + channel + "\x00" + name)
}

// Open decrypts a row with whichever of the keys sealed it; a row sealed
// with none of them gets a message naming both fingerprints.
func (k Keys) Open(channel, name string, sealed seal.Sealed) (string, error) {
	for _, key := range append([]seal.Key{k.Current}, k.Old...) {
		if key.ID() != sealed.KeyID {
			continue
		}
		v, err := key.Open(sealed, SecretAD(channel, name))
		if err != nil {
			return "", fmt.Errorf("secret %s/%s: %w", channel, name, err)
		}
		return string(v), nil
	}
	return "", wrongKeyError(fmt.Sprintf("secret %s/%s: this calendar's secrets were sealed with key %s; %s is key %s: use the key they were sealed with (your backup of the key file, or the CRIEUR_KEY you used)",
		channel, name, sealed.KeyID, k.Current.Source, k.Current.ID()))
}

// Rotation says what RotateKey did.
type Rotation struct {
	Secrets  int    `json:"secrets"`
	OldKeyID string `json:"old_key_id"`
	NewKeyID string `json:"new_key_id"`
}

// LockLease is how long a lock outlives a holder that died; a live holder
// renews it.
const LockLease = 2 * time.Minute
