package main

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
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
				var tok string
				for _, v := range env.secrets {
					tok = v
				}
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
