package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers/publishertest"
)

// serveGoToSocial answers as a GoToSocial instance does: 5,000 characters
// per status, a reserved URL length it does not apply.
func serveGoToSocial(f *fakeNet, w http.ResponseWriter, r *http.Request, _ []byte) {
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v2/instance":
		publishertest.WriteJSON(w, 200, map[string]any{"version": "0.18.3+git-9c8f5a0",
			"source_url": "https://codeberg.org/superseriousbusiness/gotosocial",
			"configuration": map[string]any{
				"statuses":          map[string]int{"max_characters": 5000, "characters_reserved_per_url": 25, "max_media_attachments": 6},
				"media_attachments": map[string]int{"description_limit": 1500}}})
	case r.Method == "GET" && r.URL.Path == "/api/v1/accounts/verify_credentials":
		publishertest.WriteJSON(w, 200, map[string]string{"id": "1", "username": "acme", "acct": "acme"})
	default:
		unexpected(f, w, r)
	}
}

// `channel test` stores the instance's limits on the channel; offline
// checks (`post new`, `post preview`) then count as the instance does.
func TestChannelTestStoresLimits(t *testing.T) {
	env := newE2E(t, netCase{
		network:  "mastodon",
		settings: func(base, _ string) []string { return []string{"instance=" + base} },
		secrets:  func(string) map[string]string { return map[string]string{"token": mastodonToken} },
		serve:    serveGoToSocial,
	})
	// Before the test, a 692-character explicit part is over Mastodon's 500.
	doc := "---\nchannels: [" + env.channel + "]\nat: \"+2h\"\nthread:\n  - \"" + strings.Repeat("é", 692) + "\"\n---\nOur winter guide.\n"
	file := filepath.Join(env.dir, "thread.md")
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := env.exec(nil, "post", "new", "--slug", "early", "--file", file); code != exitValidation || !strings.Contains(out+errOut, "692/500") {
		t.Fatalf("before channel test: exit %d, %s%s; want refused at 692/500", code, out, errOut)
	}

	out := env.cli("channel", "test", env.channel)
	if !strings.Contains(out, "5000 characters per status") || !strings.Contains(out, "max_characters=5000") || !strings.Contains(out, "software=gotosocial") {
		t.Errorf("channel test printed %q, want the limits it stored", out)
	}
	show := env.cli("channel", "show", env.channel)
	for _, want := range []string{"setting max_characters:", "5000", "setting characters_reserved_per_url:", "setting software:", "gotosocial"} {
		if !strings.Contains(show, want) {
			t.Errorf("channel show does not show %q:\n%s", want, show)
		}
	}

	// Offline now: the instance is not asked again.
	before := len(env.fake.calls("GET", "/api/v2/instance"))
	env.cli("post", "new", "--slug", "winter", "--file", file)
	long := strings.Repeat("Ride more in winter. ", 500) // 10,500 characters
	env.cli("post", "new", "--slug", "long", "--body", long, "--channel", env.channel, "--draft")
	var pv []struct {
		Limit  int   `json:"limit"`
		Counts []int `json:"counts"`
	}
	raw := env.cli("post", "preview", "long", "-o", "json")
	if err := json.Unmarshal([]byte(raw), &pv); err != nil {
		t.Fatalf("preview: %v\n%s", err, raw)
	}
	if len(pv) != 1 || pv[0].Limit != 5000 || len(pv[0].Counts) != 3 {
		t.Errorf("preview = %+v, want 3 parts of up to 5000", pv)
	}
	if after := len(env.fake.calls("GET", "/api/v2/instance")); after != before {
		t.Errorf("offline checks asked the instance %d times", after-before)
	}
}
