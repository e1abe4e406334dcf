package all

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// Each network the binary promises (DESIGN.md's channel settings) is
// registered once this package is imported, with a constructor.
func TestRegistered(t *testing.T) {
	for _, name := range []string{"bluesky", "devto", "discord", "feed", "ghost", "linkedin", "log", "mastodon", "newsletter", "slack", "telegram", "webhook", "wordpress"} {
		nw, err := publishers.Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if nw.New == nil || nw.Offline == nil || nw.Description == "" {
			t.Errorf("%s: registered without a constructor, offline rules or a description", name)
		}
	}
}

// The networks whose secrets are URLs or keys of a shape (webhooks, Ghost's
// id:hex) or tokens check posts by their settings alone: no secret, no
// client (Network.Offline).
func TestOfflineRulesNeedNoSecret(t *testing.T) {
	for name, settings := range map[string]map[string]string{
		"mastodon":   {"instance": "https://mastodon.example"},
		"discord":    {"mentions": "users"},
		"slack":      {},
		"ghost":      {"site": "https://blog.example"},
		"webhook":    {},
		"bluesky":    {"handle": "alice.bsky.social"},
		"devto":      {},
		"telegram":   {"chat_id": "@news"},
		"newsletter": {"smtp_host": "smtp.example.org", "from": "news@example.org", "to": "a@example.org"},
		"wordpress":  {"site": "https://blog.example"},
		"feed":       {"path": filepath.Join(t.TempDir(), "feed.xml")},
		"log":        {},
		"linkedin":   {"author": "urn:li:organization:5515715"},
	} {
		nw, err := publishers.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if nw.Offline == nil {
			t.Errorf("%s has no offline rules", name)
			continue
		}
		chk, err := nw.Check("c", settings)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		long := publishers.Post{Title: "T", Slug: "t", Text: strings.Repeat("word ", 2000)}
		if pv, ok := chk.Preview(long); name != "webhook" && name != "log" && (!ok || len(pv.Parts) == 0) {
			t.Errorf("%s: no preview offline: %+v", name, pv)
		}
		if probs := chk.Threading(long); (name == "mastodon" || name == "bluesky") && len(probs) == 0 {
			t.Errorf("%s: a 10,000-character text passes, not allowed to thread", name)
		}
	}
	// Settings New refuses are refused offline too.
	for name, settings := range map[string]map[string]string{
		"mastodon":   {"instance": "https://mastodon.example", "visibility": "everyone"},
		"ghost":      {"site": "http://blog.example"},
		"webhook":    {"url": "http://hooks.example/x"},
		"slack":      {"insecure_http": "maybe"},
		"discord":    {"mentions": "nobody"},
		"bluesky":    {"handle": ""},
		"devto":      {"published": "maybe"},
		"telegram":   {"chat_id": "@news", "parse_mode": "BBCode"},
		"newsletter": {"smtp_host": "smtp.example.org", "from": "news@example.org", "to": "a@example.org", "tls": "none"},
		"wordpress":  {"site": "https://editor:pw@blog.example"},
		"feed":       {"path": filepath.Join(t.TempDir(), "feed.xml"), "max_items": "0"},
		"linkedin":   {"author": "urn:li:company:1"},
	} {
		nw, _ := publishers.Lookup(name)
		if _, err := nw.Check("c", settings); err == nil {
			t.Errorf("%s: %v accepted offline", name, settings)
		}
	}
}

// An OAuth app's client secret is left out of publishing only where no
// renewal sends it: the Meta networks (the login's exchanges alone use it);
// X's confidential clients and LinkedIn send it with every refresh, so
// publishing resolves it there.
func TestClientSecretLoginOnly(t *testing.T) {
	refs := map[string]string{"client_secret": "env:APP_SECRET", "access_token": "stored:acme/access_token"}
	for name, loginOnly := range map[string]bool{"facebook": true, "instagram": true, "threads": true, "x": false, "linkedin": false} {
		nw, err := publishers.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		got := nw.PublishingSecrets(refs)
		if _, kept := got["client_secret"]; kept == loginOnly {
			t.Errorf("%s: publishing resolves %v, want client_secret left out: %v", name, got, loginOnly)
		}
		if got["access_token"] != refs["access_token"] || len(refs) != 2 {
			t.Errorf("%s: publishing resolves %v from %v: the token must stay, the channel's map unchanged", name, got, refs)
		}
	}
}
