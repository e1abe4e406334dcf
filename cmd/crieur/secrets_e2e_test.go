package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
	"github.com/spf13/viper"
)

// TestEchoedSecretsNeverStored: a network whose refusals echo the token it
// received (as some do, and a hostile one would) must not get that token into
// the delivery's error, the channel's pause reason, the history, status, the
// JSON outputs or the JSON log: crieur redacts it before storing anything.
func TestEchoedSecretsNeverStored(t *testing.T) {
	for _, name := range []string{"mastodon", "devto"} {
		var nc netCase
		for _, c := range networkCases() {
			if c.network == name {
				nc = c
			}
		}
		for _, status := range []int{401, 422, 500} {
			t.Run(name+"/"+http.StatusText(status), func(t *testing.T) {
				env := newE2E(t, nc)
				env.addPost(false)
				// The channel's own token (env.secrets also watches the
				// calendar's key, which no network ever receives).
				names := slices.Sorted(maps.Keys(nc.secrets(env.base)))
				tok := env.secrets[names[0]]
				env.secrets["base64 of the token"] = base64.StdEncoding.EncodeToString([]byte(tok))
				body := `{"error":"token ` + tok + ` (` + env.secrets["base64 of the token"] + `) refused"}`
				env.fake.setFault(nc.faults.at(fault{status: status, body: body}))
				if code, _, _ := env.exec(nil, "publish", "--due", "--log-format", "json", "-v"); code == exitOK && status == 401 {
					t.Errorf("publish --due exit 0 on refused credentials")
				}
				d := env.delivery()
				if !strings.Contains(d.LastError, publishers.Redacted) {
					t.Errorf("last error %q: want the network's words, the token redacted", d.LastError)
				}
				for _, args := range [][]string{
					{"post", "show", "spring-issue", "-o", "json"},
					{"post", "show", "spring-issue"},
					{"post", "history", "spring-issue"},
					{"post", "history", "spring-issue", "-o", "json"},
					{"status"},
					{"status", "-o", "json"},
					{"channel", "show", env.channel, "-o", "json"},
				} {
					env.cli(args...)
				}
				env.fake.setFault(fault{status: 401, body: body, on: func(*http.Request) bool { return true }})
				if code, _, errOut := env.exec(nil, "channel", "test", env.channel, "-o", "json"); code == exitOK || !strings.Contains(errOut, publishers.Redacted) {
					t.Errorf("channel test: exit %d, %q: want the refusal, the token redacted", code, errOut)
				}
				// checkNoSecret, at cleanup, looks for the token in all of it.
			})
		}
	}
}

// watchKey adds the calendar's key, as the key file holds it (and in hex),
// to what the CLI must never print.
func (env *e2e) watchKey() {
	env.t.Helper()
	b, err := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "crieur", "key"))
	if err != nil {
		env.t.Fatal(err)
	}
	text := strings.TrimSpace(string(b))
	raw, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		env.t.Fatal(err)
	}
	env.mu.Lock()
	defer env.mu.Unlock()
	n := len(env.secrets)
	env.secrets[fmt.Sprintf("the calendar's key #%d", n)] = text
	env.secrets[fmt.Sprintf("the calendar's key #%d in hex", n)] = hex.EncodeToString(raw)
}

// TestSealedSecretsPublishAndKeyNeverPrinted: a token given as a value is
// sealed in the calendar and publishes with no environment variable; a
// refused add seals nothing; after rotate-key it still publishes; the old
// key given as CRIEUR_KEY is refused, naming both keys' ids; and neither key
// nor token is ever printed (checkNoSecret, at cleanup).
func TestSealedSecretsPublishAndKeyNeverPrinted(t *testing.T) {
	var nc netCase
	for _, c := range networkCases() {
		if c.network == "mastodon" {
			nc = c
		}
	}
	env := newE2E(t, nc)
	var token string
	for name, v := range env.secrets {
		if !strings.HasPrefix(name, "the calendar's key") {
			token = v
		}
	}
	// The token given as a value: sealed, and the variable unset.
	env.cli("channel", "edit", env.channel, "--secret", "token="+token)
	t.Setenv("CRIEUR_E2E_MASTODON_TOKEN", "")

	// A refused add seals nothing.
	if code, _, _ := env.exec(nil, "channel", "add", "refused", "--network", "mastodon", "--set", "instance="+env.base, "--set", "nosuch=1", "--secret", "token=refused-token-value"); code != exitValidation {
		t.Errorf("refused add: exit %d, want %d", code, exitValidation)
	}
	st, err := sqlstore.Open(context.Background(), os.Getenv("CRIEUR_DB"), sqlstore.Options{Keys: (&app{v: viper.New()}).keys})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := st.StoredSecretKeys(context.Background())
	st.Close()
	if err != nil || len(keys) != 1 || keys[0] != env.channel+"/token" {
		t.Errorf("stored secrets after a refused add: %v, %v; want only %s/token", keys, err, env.channel)
	}

	env.addPost(false)
	if rep, code := env.publish(nil); code != exitOK || rep.Published != 1 {
		t.Fatalf("publish with the sealed token: exit %d, %+v", code, rep)
	}
	// (The fake refuses a request without the token: see mastodon's serve.)

	oldKey := env.secrets["the calendar's key #0"] // watched by newE2E, after init
	var rot rotation
	env.cliJSON(&rot, "secrets", "rotate-key", "-v")
	if rot.Secrets != 1 || rot.UpdateEnv || rot.NewKeyID == rot.OldKeyID {
		t.Errorf("rotation: %+v", rot)
	}
	env.watchKey()
	env.cli("channel", "show", env.channel)
	env.cli("post", "new", "--body", "second", "--channel", env.channel, "--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	if rep, code := env.publish(nil); code != exitOK || rep.Published != 1 {
		t.Fatalf("publish after rotation: exit %d, %+v", code, rep)
	}

	// The old key no longer opens the secrets: said with both ids, no key.
	t.Setenv("CRIEUR_KEY", oldKey)
	code, _, errOut := env.exec(nil, "secrets", "rotate-key")
	if code == exitOK || !strings.Contains(errOut, "sealed with key "+rot.NewKeyID+"; CRIEUR_KEY is key "+rot.OldKeyID) {
		t.Errorf("rotate-key with the old key: exit %d, %s", code, errOut)
	}
	// A garbled key: refused, not repeated.
	t.Setenv("CRIEUR_KEY", oldKey[:len(oldKey)-6]+"!!!!==")
	if code, _, errOut := env.exec(nil, "channel", "edit", env.channel, "--secret", "token="+token, "-o", "json"); code == exitOK || !strings.Contains(errOut, "CRIEUR_KEY is not a crieur key") {
		t.Errorf("garbled CRIEUR_KEY: exit %d, %s", code, errOut)
	}
	// With CRIEUR_KEY the key in use: rotation writes the new key to the
	// key file and says CRIEUR_KEY must change.
	b, _ := os.ReadFile(filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "crieur", "key"))
	t.Setenv("CRIEUR_KEY", strings.TrimSpace(string(b)))
	out := env.cli("secrets", "rotate-key")
	if !strings.Contains(out, "CRIEUR_KEY still holds the old key") {
		t.Errorf("rotate-key with CRIEUR_KEY: %s", out)
	}
	env.watchKey()
	env.exec(nil, "channel", "show", env.channel, "-o", "json") // refused or not, printed nothing secret
	t.Setenv("CRIEUR_KEY", "")
	env.cli("channel", "list", "-o", "yaml")
	env.exec(nil, "daemon", "--help")
	env.exec(nil, "publish", "--due", "--log-format", "json", "-v")
}
