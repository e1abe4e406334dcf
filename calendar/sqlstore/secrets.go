package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	calendar "github.com/crieur/crieur/calendar"
)

// ResolveSecrets turns a channel's references into values. Errors name the
// reference, never a value.
func (s *Store) ResolveSecrets(refs map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	for name, ref := range refs {
		switch {
		case strings.HasPrefix(ref, "env:"):
			v := os.Getenv(strings.TrimPrefix(ref, "env:"))
			if v == "" {
				return nil, calendar.SecretNotHere(fmt.Errorf("secret %s: environment variable %s is not set here", name, strings.TrimPrefix(ref, "env:")))
			}
			out[name] = v
		case strings.HasPrefix(ref, "file:"):
			p := calendar.ExpandHome(strings.TrimPrefix(ref, "file:"))
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, calendar.SecretNotHere(fmt.Errorf("secret %s: %w", name, err))
			}
			out[name] = strings.TrimRight(string(b), "\r\n")
		case strings.HasPrefix(ref, "stored:"):
			c, n := splitSecretKey(strings.TrimPrefix(ref, "stored:"))
			v, ok, err := s.storedSecret(context.Background(), s.db, c, n)
			if errors.Is(err, calendar.ErrNoKey) {
				return nil, calendar.SecretNotHere(fmt.Errorf("secret %s: %w", name, err))
			}
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", name, err)
			}
			if !ok {
				return nil, fmt.Errorf("secret %s: not in the calendar (set it again with `crieur channel edit --secret`)", name)
			}
			out[name] = v
		default:
			return nil, fmt.Errorf("secret %s: unknown reference form", name)
		}
	}
	return out, nil
}
