package storetest

// The secrets cases: stored secrets, sealed in the calendar, resolved by
// reference and never shown in a channel read.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/crieur/crieur/calendar"
)

func testSecrets(t *testing.T, h Harness) {
	const value = "s3cret-VALUE-never-shown"
	const otherValue = "an0ther-secret-value"
	e := newEnv(t, h)
	ref, err := e.s.StoreSecret("acme/token", value)
	wantErr(t, "StoreSecret", err, nil)
	if strings.Contains(ref, value) {
		t.Fatalf("the reference %q holds the value", ref)
	}
	otherRef, err := e.s.StoreSecret("other/token", otherValue)
	wantErr(t, "StoreSecret other", err, nil)
	e.channel("acme", func(c *calendar.Channel) { c.Secrets = map[string]string{"token": ref} })
	e.channel("other", func(c *calendar.Channel) { c.Secrets = map[string]string{"token": otherRef} })

	t.Run("resolves", func(t *testing.T) {
		c, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		got, err := e.s.ResolveSecrets(c.Secrets)
		wantErr(t, "ResolveSecrets", err, nil)
		if got["token"] != value {
			t.Errorf("resolved %d secrets; token resolves to a different value", len(got))
		}
		if h.OpenSecond != nil {
			got, err := e.second().ResolveSecrets(c.Secrets)
			wantErr(t, "ResolveSecrets on a second handle", err, nil)
			if got["token"] != value {
				t.Error("a second handle resolves token to a different value")
			}
		}
	})
	t.Run("never-in-reads", func(t *testing.T) {
		one, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		all, err := e.s.Channels(e.ctx)
		wantErr(t, "Channels", err, nil)
		byID, err := e.s.ChannelByID(e.ctx, one.ID)
		wantErr(t, "ChannelByID", err, nil)
		for _, v := range []any{one, all, byID} {
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), value) || strings.Contains(string(b), otherValue) {
				t.Errorf("a channel read shows a secret's value")
			}
		}
	})
	t.Run("refused-add-writes-nothing", func(t *testing.T) {
		// A channel refused (its name is taken) leaves no secret behind.
		c := &calendar.Channel{Name: "acme", Network: "log", Secrets: map[string]string{"token": "stored:acme/fresh"}}
		if err := e.s.AddChannelWithSecrets(e.ctx, c, map[string]string{"acme/fresh": "fresh-VALUE"}); err == nil {
			t.Fatal("a second channel named acme was added")
		}
		if _, err := e.s.ResolveSecrets(map[string]string{"token": "stored:acme/fresh"}); err == nil {
			t.Error("the refused channel's secret was stored")
		}
		c = &calendar.Channel{Name: "fresh", Network: "log", Secrets: map[string]string{"token": "stored:fresh/token"}}
		wantErr(t, "AddChannelWithSecrets", e.s.AddChannelWithSecrets(e.ctx, c, map[string]string{"fresh/token": "fresh-VALUE"}), nil)
		got, err := e.s.ResolveSecrets(c.Secrets)
		wantErr(t, "ResolveSecrets", err, nil)
		if got["token"] != "fresh-VALUE" {
			t.Error("a channel added with its secret does not resolve it")
		}
	})
	t.Run("kept-while-referred-to", func(t *testing.T) {
		got, err := e.s.ResolveSecrets(map[string]string{"token": ref})
		wantErr(t, "ResolveSecrets", err, nil)
		if got["token"] != value {
			t.Error("a secret its channel still refers to was forgotten")
		}
	})
	t.Run("forgotten-with-its-channel", func(t *testing.T) {
		wantErr(t, "RemoveChannel", e.s.RemoveChannel(e.ctx, "acme", false), nil)
		_, err := e.s.ResolveSecrets(map[string]string{"token": ref})
		if err == nil {
			t.Fatal("a removed channel's secret still resolves")
		}
		if strings.Contains(err.Error(), value) {
			t.Error("the error shows the secret's value")
		}
		got, err := e.s.ResolveSecrets(map[string]string{"token": otherRef})
		wantErr(t, "ResolveSecrets of another channel", err, nil)
		if got["token"] != otherValue {
			t.Error("forgetting acme's secrets changed other's")
		}
	})
}
