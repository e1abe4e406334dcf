package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
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
	path := SecretsPath(s.path)
	m, err := readSecrets(path)
	if err != nil {
		return "", err
	}
	m[key] = value
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return "stored:" + key, nil
}

// NormalizeSecretRef validates a reference written by a person; a bare value
// is stored and replaced by its reference (key is channel/name).
func (s *Store) NormalizeSecretRef(key, ref string) (string, error) {
	switch {
	case strings.HasPrefix(ref, "env:"):
		if strings.TrimPrefix(ref, "env:") == "" {
			return "", errors.New("env: needs a variable name, e.g. env:MASTODON_TOKEN")
		}
		return ref, nil
	case strings.HasPrefix(ref, "file:"):
		if strings.TrimPrefix(ref, "file:") == "" {
			return "", errors.New("file: needs a path, e.g. file:~/.config/crieur/token")
		}
		return ref, nil
	case strings.HasPrefix(ref, "stored:"):
		return ref, nil
	case ref == "":
		return "", errors.New("empty secret")
	}
	return s.StoreSecret(key, ref)
}

// CheckSecretRef checks, without reading a value into any message, that a
// reference resolves here: an env: variable is set, a file: secret is a
// readable file. Other references are stored values and always resolve.
func CheckSecretRef(ref string) error {
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		if os.Getenv(name) == "" {
			return fmt.Errorf("environment variable %s is not set here: set it (export %s=…), then add the channel", name, name)
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
