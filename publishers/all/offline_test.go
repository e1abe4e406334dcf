package all

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// offlineCases are settings for each network (several where the rules
// depend on them) and secrets its New takes. TestOfflineRulesMatchAdapters
// fails for a registered network that has none.
func offlineCases(dir string) map[string]struct {
	settings []map[string]string
	secrets  map[string]string
} {
	type c = struct {
		settings []map[string]string
		secrets  map[string]string
	}
	return map[string]c{
		"bluesky": {[]map[string]string{{"handle": "alice.bsky.social"}, {"handle": "@alice.example", "pds": "https://pds.example", "langs": "en,fr"}},
			map[string]string{"app_password": "abcd-efgh-ijkl-mnop"}},
		"devto": {[]map[string]string{{}, {"api": "https://forem.example", "published": "false"}},
			map[string]string{"api_key": "devto-key-123"}},
		"discord": {[]map[string]string{{}, {"mentions": "users", "max_upload_mb": "25"}},
			map[string]string{"webhook_url": "https://discord.com/api/webhooks/1/tok"}},
		"feed": {[]map[string]string{{"path": filepath.Join(dir, "feed.xml")}, {"path": filepath.Join(dir, "f.xml"), "title": "T", "link": "https://site.example", "media_url": "https://site.example/media"}},
			nil},
		"ghost": {[]map[string]string{{"site": "https://blog.example"}, {"site": "https://blog.example/ghost", "newsletter": "weekly"}},
			map[string]string{"admin_key": "0123456789abcdef01234567:" + strings.Repeat("ab", 32)}},
		"linkedin": {[]map[string]string{{}, {"author": "urn:li:organization:5515715", "version": "202609", "rate_limit_backoff": "2h"}, {"author": "urn:li:person:abc", "lookup": "true"}},
			map[string]string{"access_token": "AQV-linkedin-token"}},
		"log": {[]map[string]string{{}, {"path": filepath.Join(dir, "posts.log")}},
			nil},
		"mastodon": {[]map[string]string{{"instance": "https://mastodon.example"}, {"instance": "social.example", "software": "gotosocial", "max_characters": "1000", "max_media_attachments": "6", "description_limit": "100"}},
			map[string]string{"token": "mastodon-token"}},
		"newsletter": {[]map[string]string{{"smtp_host": "smtp.example.org", "from": "News <news@example.org>", "to": "a@example.org, b@example.org"}, {"smtp_host": "smtp.example.org", "from": "news@example.org", "to_file": filepath.Join(dir, "no-such-list.txt"), "list_unsubscribe": "https://example.org/unsub"}},
			map[string]string{"smtp_user": "user", "smtp_password": "pass"}},
		"slack": {[]map[string]string{{}},
			map[string]string{"webhook_url": "https://hooks.slack.com/services/T0/B0/x"}},
		"telegram": {[]map[string]string{{"chat_id": "@news"}, {"chat_id": "-100123", "parse_mode": "HTML"}},
			map[string]string{"bot_token": "123456:ABC-xyz"}},
		"webhook": {[]map[string]string{{}},
			map[string]string{"url": "https://hooks.example/in", "signing_key": "whsec_c2VjcmV0"}},
		"wordpress": {[]map[string]string{{"site": "https://blog.example"}, {"site": "https://blog.example", "status": "draft", "categories": "news, notes"}},
			map[string]string{"user": "editor", "app_password": "abcd efgh ijkl mnop"}},
		"x": {[]map[string]string{{}, {"api": "https://api.x.example"}},
			map[string]string{"access_token": "x-user-access-token"}},
	}
}

// offlinePosts are posts every network has rules about: empty, over-long,
// threads, too many media, media that are missing or not images, links,
// titles, tags, Markdown.
func offlinePosts(t *testing.T, dir string) map[string]publishers.Post {
	pic := filepath.Join(dir, "pixel.png")
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pic, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	notImage := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notImage, []byte("just words\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	media := func(n int) []publishers.Media {
		out := make([]publishers.Media, n)
		for i := range out {
			out[i] = publishers.Media{Path: pic, Alt: fmt.Sprintf("picture %d", i)}
		}
		return out
	}
	long := strings.TrimSpace(strings.Repeat("A sentence of some words. ", 400))
	return map[string]publishers.Post{
		"empty":          {},
		"short":          {Title: "Hello", Slug: "hello", Text: "Hello, world."},
		"over-long":      {Title: "Long", Slug: "long", Text: long},
		"over-long auto": {Title: "Long", Slug: "long", Text: long, AutoThread: true},
		"thread":         {Title: "Thread", Slug: "thread", Text: "First part.", Thread: []string{"Second part.", long, "  "}},
		"media count":    {Title: "Pictures", Slug: "pictures", Text: "Look.", Media: media(11)},
		"one picture":    {Title: "Picture", Slug: "picture", Text: "Look.", Media: media(1)},
		"media only":     {Media: media(1)},
		"bad media":      {Title: "Bad", Slug: "bad", Text: "Files.", Media: []publishers.Media{{Path: filepath.Join(dir, "missing.png")}, {Path: notImage}, {Path: "https://img.example/a.png"}}},
		"link":           {Title: "Link", Slug: "link", Text: "Read this: https://example.org/a", Link: "https://example.org/article?utm=x", Canonical: "https://example.org/article"},
		"bad canonical":  {Title: "Canon", Slug: "canon", Text: "Body.", Canonical: "ftp://example.org/x"},
		"long title":     {Title: strings.Repeat("Title ", 40), Slug: "t", Text: "Body."},
		"title only":     {Title: "Only a title"},
		"tags":           {Title: "Tags", Slug: "tags", Text: "Body.", Tags: []string{"go", "#News", "not ok", "", "a", "b", "c"}},
		"markdown":       {Title: "Markdown", Slug: "md", Text: "# Head\n\nSome *emphasis* and [a link](https://example.org).\n\n- one\n- two\n", Markdown: true},
		"mentions":       {Title: "M", Slug: "m", Text: "Hi @alice@social.example and @bob.bsky.social #tag"},
	}
}

type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("this test calls no network")
}

// Every network's offline rules (Network.Offline, what validation, previews
// and loads use) find the same problems, thread the same way and preview
// the same as the publisher New builds with the channel's secrets: the two
// cannot drift apart.
func TestOfflineRulesMatchAdapters(t *testing.T) {
	dir := t.TempDir()
	cases := offlineCases(dir)
	posts := offlinePosts(t, dir)
	for _, name := range publishers.Names() {
		nw, _ := publishers.Lookup(name)
		c, ok := cases[name]
		if !ok {
			t.Errorf("%s: no settings in offlineCases: add the network there", name)
			continue
		}
		if nw.Offline == nil {
			t.Errorf("%s has no offline rules", name)
			continue
		}
		for i, settings := range c.settings {
			built, err := nw.New(publishers.Config{Channel: "c", Settings: settings, Secrets: c.secrets,
				HTTP: &http.Client{Transport: noNetwork{}}, Out: io.Discard})
			if err != nil {
				t.Errorf("%s settings %d: New: %v", name, i, err)
				continue
			}
			chk, err := nw.Check("c", settings)
			if err != nil {
				t.Errorf("%s settings %d: Check: %v", name, i, err)
				continue
			}
			bpr, bIsPreviewer := publishers.Unwrap(built).(publishers.Previewer)
			for what, p := range posts {
				where := fmt.Sprintf("%s settings %d, post %q", name, i, what)
				if got, want := problems(chk.Validate(p)), problems(built.Validate(p)); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: offline Validate\n  %q\nthe adapter's\n  %q", where, got, want)
				}
				if got, want := problems(chk.Threading(p)), problems(publishers.CheckThreading(built, p)); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: offline Threading\n  %q\nthe adapter's\n  %q", where, got, want)
				}
				pv, ok := chk.Preview(p)
				if ok != bIsPreviewer {
					t.Errorf("%s: offline preview %v, the adapter's %v", where, ok, bIsPreviewer)
					continue
				}
				if ok {
					if got, want := previewed(pv), previewed(bpr.Preview(p)); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: offline Preview\n  %+v\nthe adapter's\n  %+v", where, got, want)
					}
				}
			}
		}
	}
}

func problems(ps []publishers.Problem) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

// previewed is a preview without the Date lines (a preview is dated when
// it is made).
func previewed(pv publishers.Preview) publishers.Preview {
	undate := func(s string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "Date: ") {
				lines[i] = "Date: (now)"
			}
		}
		return strings.Join(lines, "\n")
	}
	parts := make([]string, len(pv.Parts))
	for i, p := range pv.Parts {
		parts[i] = undate(p)
	}
	pv.Parts, pv.Extra = parts, undate(pv.Extra)
	if pv.Problems == nil {
		pv.Problems = []publishers.Problem{} // nil and none are the same
	}
	return pv
}
