package publishers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

type rulesOnly struct{ limit int }

func (r rulesOnly) Validate(p Post) []Problem {
	if len(p.Text) > r.limit {
		return []Problem{{Field: "text", Message: "too long"}}
	}
	return nil
}

// A network is checked by its rules alone: New (which needs the secrets) is
// never called.
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
}

// There is no second way to check a post: a network without Offline is
// never built with stand-in secrets. Register refuses it, and Check on one
// fails without calling New.
func TestNetworkWithoutOfflineRules(t *testing.T) {
	bare := Network{
		Name:    "no-rules",
		Secrets: []Field{{Name: "token", Required: true}},
		New: func(cfg Config) (Publisher, error) {
			t.Errorf("New called for an offline check, with secrets %v", cfg.Secrets)
			return rulesPub{}, nil
		},
	}
	if _, err := bare.Check("c", nil); err == nil || !strings.Contains(err.Error(), "no-rules has no offline rules") {
		t.Errorf("Check without Offline: %v", err)
	}
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "no-rules") {
				t.Errorf("Register without Offline: recovered %v", r)
			}
		}()
		Register(bare)
	}()
	if _, err := Lookup("no-rules"); err == nil {
		t.Error("a network without offline rules was registered")
	}
}

type rulesPub struct{}

func (rulesPub) Validate(Post) []Problem { return nil }
func (rulesPub) Publish(context.Context, Post) (Result, error) {
	return Result{}, errors.New("not here")
}
