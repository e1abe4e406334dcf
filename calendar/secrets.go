package calendar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/crieur/crieur/internal/atomicfile"
)

// A secret reference says where a channel's secret lives:
//   env:NAME    read from the environment when used
//   file:PATH   read from a file when used (trailing newline dropped)
//   stored:KEY  kept in the 0600 secrets file beside the database
// A bare value given to `channel add --secret` is moved into the secrets file
// and replaced by its stored: reference, so the database never holds it.

// Redacted is how a secret is shown.
const Redacted = "***"

// SecretsPath is the secrets file of the database at dbPath.
func SecretsPath(dbPath string) string { return dbPath + ".secrets" }

// StoreSecret keeps value under key in the secrets file and returns its reference.
func (s *Store) StoreSecret(key, value string) (string, error) {
	if _, err := s.ChangeSecrets(map[string]string{key: value}, nil); err != nil {
		return "", err
	}
	return "stored:" + key, nil
}

// ChangeSecrets sets and deletes keys of the secrets file in one atomic
// replacement made under a lock held across the read, the change and the
// write (other commands, and other processes, wait their turn: none loses
// another's secret). The file is always 0600. undo puts back what the keys
// held before (under the lock again), for a command whose other writes failed
// after the secrets were changed.
func (s *Store) ChangeSecrets(set map[string]string, del []string) (undo func() error, err error) {
	prev := map[string]*string{}
	err = s.withSecrets(func(m map[string]string) bool {
		for _, k := range del {
			if v, ok := m[k]; ok {
				prev[k] = &v
				delete(m, k)
			}
		}
		for k, v := range set {
			if _, seen := prev[k]; !seen {
				if old, ok := m[k]; ok {
					prev[k] = &old
				} else {
					prev[k] = nil
				}
			}
			m[k] = v
		}
		return len(prev) > 0
	})
	if err != nil {
		return nil, err
	}
	return func() error {
		return s.withSecrets(func(m map[string]string) bool {
			for k, v := range prev {
				if v == nil {
					delete(m, k)
				} else {
					m[k] = *v
				}
			}
			return len(prev) > 0
		})
	}, nil
}

// ForgetChannelSecrets deletes the stored secrets kept for the channel
// called name (keys "name/…") that no channel refers to any more: after a
// channel is removed, or after an edit replaced a stored secret by a reference.
func (s *Store) ForgetChannelSecrets(ctx context.Context, name string) error {
	chans, err := s.Channels(ctx)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, c := range chans {
		for _, ref := range c.Secrets {
			if k, ok := strings.CutPrefix(ref, "stored:"); ok {
				used[k] = true
			}
		}
	}
	return s.withSecrets(func(m map[string]string) bool {
		changed := false
		for k := range m {
			if strings.HasPrefix(k, name+"/") && !used[k] {
				delete(m, k)
				changed = true
			}
		}
		return changed
	})
}

// withSecrets runs change on the secrets file's content under its lock and
// writes the result back when change reports a change.
func (s *Store) withSecrets(change func(map[string]string) bool) error {
	path := SecretsPath(s.path)
	unlock, err := atomicfile.Lock(path + ".lock")
	if err != nil {
		return fmt.Errorf("locking the secrets file: %w", err)
	}
	defer unlock()
	m, err := readSecrets(path)
	if err != nil {
		return err
	}
	if !change(m) {
		return nil
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteMode(path, 0o600, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// NormalizeSecretRef validates a reference written by a person. A bare value
// is not stored here: it returns the stored:key reference and the value, for
// the caller to write with ChangeSecrets once the whole command is known to
// succeed (key is channel/name).
func NormalizeSecretRef(key, ref string) (norm, value string, err error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		if strings.TrimPrefix(ref, "env:") == "" {
			return "", "", errors.New("env: needs a variable name, e.g. env:MASTODON_TOKEN")
		}
		return ref, "", nil
	case strings.HasPrefix(ref, "file:"):
		if strings.TrimPrefix(ref, "file:") == "" {
			return "", "", errors.New("file: needs a path, e.g. file:~/.config/crieur/token")
		}
		return ref, "", nil
	case strings.HasPrefix(ref, "stored:"):
		return ref, "", nil
	case ref == "":
		return "", "", errors.New("empty secret")
	}
	return "stored:" + key, ref, nil
}

// CheckSecretRef checks, without reading a value into any message, that a
// reference resolves here: an env: variable is set, a file: secret is a
// readable file. Other references are stored values and always resolve.
func CheckSecretRef(ref string) error {
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		if os.Getenv(name) == "" {
			return fmt.Errorf("environment variable %s is not set here: set it (export %s=…) and run the command again", name, name)
		}
	case strings.HasPrefix(ref, "file:"):
		p := expandHome(strings.TrimPrefix(ref, "file:"))
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ResolveSecrets turns a channel's references into values. Errors name the
// reference, never a value.
func (s *Store) ResolveSecrets(refs map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	var stored map[string]string
	for name, ref := range refs {
		switch {
		case strings.HasPrefix(ref, "env:"):
			v := os.Getenv(strings.TrimPrefix(ref, "env:"))
			if v == "" {
				return nil, fmt.Errorf("secret %s: environment variable %s is not set", name, strings.TrimPrefix(ref, "env:"))
			}
			out[name] = v
		case strings.HasPrefix(ref, "file:"):
			p := expandHome(strings.TrimPrefix(ref, "file:"))
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", name, err)
			}
			out[name] = strings.TrimRight(string(b), "\r\n")
		case strings.HasPrefix(ref, "stored:"):
			if stored == nil {
				m, err := readSecrets(SecretsPath(s.path))
				if err != nil {
					return nil, err
				}
				stored = m
			}
			v, ok := stored[strings.TrimPrefix(ref, "stored:")]
			if !ok {
				return nil, fmt.Errorf("secret %s: not in %s (set it again with `crieur channel edit --secret`)", name, SecretsPath(s.path))
			}
			out[name] = v
		default:
			return nil, fmt.Errorf("secret %s: unknown reference form", name)
		}
	}
	return out, nil
}

func readSecrets(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: not a secrets file: %v", path, err)
	}
	return m, nil
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if h, err := os.UserHomeDir(); err == nil {
			return h + p[1:]
		}
	}
	return p
}

// RedactedSecrets shows which secrets a channel has, without their values:
// env: and file: references are shown (they are where, not what).
func RedactedSecrets(refs map[string]string) map[string]string {
	out := make(map[string]string, len(refs))
	for k, v := range refs {
		if strings.HasPrefix(v, "stored:") {
			out[k] = Redacted
		} else {
			out[k] = v
		}
	}
	return out
}
