package publishers

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

type rulesOnly struct{ limit int }

func (r rulesOnly) Validate(p Post) []Problem {
	if len(p.Text) > r.limit {
		return []Problem{{Field: "text", Message: "too long"}}
	}
	return nil
}

type netPub struct{ cfg Config }

func (netPub) Validate(Post) []Problem { return nil }
func (n netPub) Publish(ctx context.Context, _ Post) (Result, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://example.invalid/", nil)
	_, err := n.cfg.Client().Do(req)
	return Result{}, err
}

// A network with Offline is checked by its rules alone: New (which needs
// the secrets) is never called. One without is built with stand-ins no
// adapter could mistake for a credential, and a client that refuses every
// request.
func TestNetworkCheckNeedsNoSecret(t *testing.T) {
	withRules := Network{
		Name: "rules",
		New: func(Config) (Publisher, error) {
			t.Error("New called for an offline check")
			return nil, errors.New("no")
		},
		Offline: func(settings map[string]string) (Validator, error) {
			if settings["bad"] != "" {
				return nil, errors.New("setting bad refused")
			}
			return rulesOnly{limit: 5}, nil
		},
	}
	chk, err := withRules.Check("c", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if probs := chk.Validate(Post{Text: "too long a text"}); len(probs) != 1 {
		t.Errorf("Validate = %v", probs)
	}
	if _, ok := chk.Preview(Post{}); ok {
		t.Error("a Preview from rules that have none")
	}
	if _, err := withRules.Check("c", map[string]string{"bad": "1"}); err == nil {
		t.Error("settings New would refuse were accepted")
	}

	var built Config
	fallback := Network{
		Name:    "fallback",
		Secrets: []Field{{Name: "token", Required: true}},
		New: func(cfg Config) (Publisher, error) {
			built = cfg
			return netPub{cfg: cfg}, nil
		},
	}
	if _, err := fallback.Check("c", nil); err != nil {
		t.Fatal(err)
	}
	if built.Secrets["token"] != standIn || built.Credentials != nil {
		t.Errorf("fallback built with %v", built.Secrets)
	}
	if _, err := (netPub{cfg: built}).Publish(context.Background(), Post{}); !errors.Is(err, ErrOffline) {
		t.Errorf("the offline client let a request through: %v", err)
	}
}
