package calendar

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Redacted is how a secret is shown.
const Redacted = "***"

// SecretsPath is where an earlier crieur kept the values of stored secrets,
// beside the database; it is moved into the calendar on first open.
func SecretsPath(dbPath string) string { return dbPath + ".secrets" }

// NormalizeSecretRef validates a reference written by a person. A bare value
// is not stored here: it returns the stored:key reference and the value, for
// the caller to seal with the channel (AddChannelWithSecrets,
// UpdateChannelWithSecrets; key is channel/name).
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
		p := ExpandHome(strings.TrimPrefix(ref, "file:"))
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", p, UnwrapPath(err))
		}
		defer f.Close()
		if info, err := f.Stat(); err == nil && !info.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
	}
	return nil
}

func UnwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func ExpandHome(p string) string {
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
