package rules

import (
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

func mustParse(t *testing.T, src string) *Set {
	t.Helper()
	s, err := Parse([]byte(src), "rules.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

var nets = map[string]string{"fb": "facebook", "masto": "mastodon", "blog": "wordpress"}

func TestContentRules(t *testing.T) {
	const src = `
rules:
  - name: disclosure
    when: {tag: partenariat}
    require_any: ["#sponsorisé", "#ad", "Partenariat rémunéré"]
  - name: no-share-to-enter
    when: {tag: concours, network: facebook}
    forbid: ["partagez pour participer", "share to enter"]
  - name: banned
    severity: warning
    forbid: [gratuit]
  - name: tagged-links
    severity: warning
    require_utm: true
  - name: alt
    require_alt: true
    when: {channel: masto}
`
	s := mustParse(t, src)
	tests := []struct {
		name string
		post calendar.Post
		want []string // rule@field
	}{
		{"disclosed", calendar.Post{Body: "Merci à X #ad", Tags: []string{"partenariat"}, Channels: []string{"masto"}}, nil},
		{"not disclosed", calendar.Post{Body: "Merci à X", Tags: []string{"Partenariat"}, Channels: []string{"masto"}}, []string{"disclosure@body"}},
		{"disclosure words any case", calendar.Post{Body: "PARTENARIAT RÉMUNÉRÉ avec X", Tags: []string{"partenariat"}}, nil},
		{"no tag, no rule", calendar.Post{Body: "Merci à X", Channels: []string{"masto"}}, nil},
		{"variant checked on its channel", calendar.Post{Body: "#ad body", Variants: map[string]string{"fb": "no word"}, Tags: []string{"partenariat"}, Channels: []string{"fb", "masto"}}, []string{"disclosure@variants.fb"}},
		{"forbidden on facebook", calendar.Post{Body: "Partagez  pour\nparticiper !", Tags: []string{"concours"}, Channels: []string{"fb"}}, []string{"no-share-to-enter@body"}},
		{"network filter: not on mastodon", calendar.Post{Body: "Share to enter!", Tags: []string{"concours"}, Channels: []string{"masto"}}, nil},
		{"whole words only", calendar.Post{Body: "Gratuitement vôtre", Channels: []string{"blog"}}, nil},
		{"excerpt and thread read", calendar.Post{Body: "ok", Excerpt: "gratuit", Thread: []string{"x"}, Channels: []string{"blog"}}, []string{"banned@body"}},
		{"thread part read", calendar.Post{Body: "ok", Thread: []string{"x", "Gratuit !"}, Channels: []string{"blog"}}, []string{"banned@body"}},
		{"word found", calendar.Post{Body: "C'est GRATUIT.", Channels: []string{"blog"}}, []string{"banned@body"}},
		{"link without utm", calendar.Post{Body: "See https://example.com/a?x=1.", Channels: []string{"blog"}}, []string{"tagged-links@body"}},
		{"link field without utm", calendar.Post{Body: "Hi", Link: "https://example.com/", Channels: []string{"blog"}}, []string{"tagged-links@link"}},
		{"link with utm", calendar.Post{Body: "See https://example.com/?utm_source=x", Link: "https://example.com/?UTM_medium=y", Channels: []string{"blog"}}, nil},
		{"campaign tags links", calendar.Post{Body: "See https://example.com/", Campaign: "spring", Channels: []string{"blog"}}, nil},
		{"image without alt", calendar.Post{Body: "x", Media: []calendar.Media{{Path: "/a/b.png", Alt: "a cat"}, {Path: "/a/c.JPG"}, {Path: "/a/v.mp4"}}, Channels: []string{"masto"}}, []string{"alt@media[1]"}},
		{"alt rule on another channel", calendar.Post{Body: "x", Media: []calendar.Media{{Path: "/a/c.jpg"}}, Channels: []string{"fb"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.post.Slug = "p"
			var got []string
			for _, f := range s.Check(&tc.post, nets, nil, nil, nil) {
				got = append(got, f.Rule+"@"+f.Field)
				if f.Message == "" || (f.Rule == "banned" && f.Severity != calendar.SeverityWarning) || (f.Rule == "disclosure" && f.Severity != calendar.SeverityError) {
					t.Errorf("finding %+v", f)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCalendarRules(t *testing.T) {
	s := mustParse(t, `
rules:
  - name: two-a-day
    max_per_day: 2
  - name: breathe
    severity: warning
    min_gap: 60
  - name: one-contest-a-day
    when: {tag: concours}
    max_per_day: 1
`)
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			panic(err)
		}
		return t
	}
	zone := func(string) *time.Location { return paris }
	tests := []struct {
		name   string
		tags   []string
		when   string
		others []calendar.Placement
		want   []string
	}{
		{"alone", nil, "2026-03-02 09:00", nil, nil},
		{"third of the day", nil, "2026-03-02 20:00", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-02 09:00")}, {Slug: "b", Channel: "fb", At: at("2026-03-02 12:00")}}, []string{"two-a-day"}},
		{"days counted in the channel's zone", nil, "2026-03-02 00:30", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-01 23:30")}, {Slug: "b", Channel: "fb", At: at("2026-03-01 22:00")}}, nil},
		{"other channel not counted", nil, "2026-03-02 20:00", []calendar.Placement{{Slug: "a", Channel: "masto", At: at("2026-03-02 09:00")}, {Slug: "b", Channel: "masto", At: at("2026-03-02 12:00")}}, nil},
		{"too close", nil, "2026-03-02 09:30", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-02 09:00")}}, []string{"breathe"}},
		{"far enough", nil, "2026-03-02 10:00", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-02 09:00")}}, nil},
		{"itself not counted", nil, "2026-03-02 09:00", []calendar.Placement{{Slug: "p", Channel: "fb", At: at("2026-03-02 09:00")}}, nil},
		{"second contest", []string{"concours"}, "2026-03-02 18:00", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-02 09:00"), Tags: []string{"concours"}}}, []string{"one-contest-a-day"}},
		{"contest after a plain post", []string{"concours"}, "2026-03-02 18:00", []calendar.Placement{{Slug: "a", Channel: "fb", At: at("2026-03-02 09:00")}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := calendar.Post{Slug: "p", Body: "x", Tags: tc.tags, Channels: []string{"fb"}}
			mine := []calendar.Placement{{Slug: "p", Channel: "fb", At: at(tc.when)}}
			var got []string
			for _, f := range s.Check(&p, nets, mine, tc.others, zone) {
				got = append(got, f.Rule)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNeedsApproval(t *testing.T) {
	s := mustParse(t, `
rules:
  - name: contest-approval
    when: {tag: [concours, contest]}
    require_approval: true
`)
	for _, tc := range []struct {
		tags []string
		want string
	}{{[]string{"contest"}, "contest-approval"}, {[]string{"Concours"}, "contest-approval"}, {[]string{"news"}, ""}, {nil, ""}} {
		if got := s.NeedsApproval(&calendar.Post{Tags: tc.tags}, nets); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.tags, got, tc.want)
		}
	}
	var none *Set
	if none.NeedsApproval(&calendar.Post{Tags: []string{"contest"}}, nil) != "" || none.Check(&calendar.Post{}, nil, nil, nil, nil) != nil {
		t.Error("no rules file must find nothing")
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		field     string
		msg       string
	}{
		{"unknown key", "rules:\n  - name: x\n    forbid: [a]\n    severty: error\n", 4, "rules[0].severty", "unknown key"},
		{"unknown kind near", "rules:\n  - name: x\n    require-any: [a]\n", 3, "rules[0].require-any", "did you mean require_any"},
		{"kind a letter off", "rules:\n  - name: x\n    requir_any: [a]\n", 3, "rules[0].requir_any", "did you mean require_any"},
		{"kind two letters off", "rules:\n  - name: x\n    min_gpa: 60\n", 3, "rules[0].min_gpa", "did you mean min_gap"},
		{"key a letter off", "rules:\n  - name: x\n    forbid: [a]\n    severty: error\n", 4, "rules[0].severty", "did you mean severity"},
		{"no kind", "rules:\n  - name: x\n    severity: error\n", 2, "rules[0].kind", "no kind"},
		{"two kinds", "rules:\n  - name: x\n    forbid: [a]\n    require_utm: true\n", 4, "rules[0].require_utm", "one kind"},
		{"bad severity", "rules:\n  - name: x\n    severity: fatal\n    forbid: [a]\n", 3, "rules[0].severity", "error or warning"},
		{"bad filter", "rules:\n  - name: x\n    when: {tags: a}\n    forbid: [a]\n", 3, "rules[0].when.tags", "unknown filter"},
		{"bad number", "rules:\n  - name: x\n    max_per_day: lots\n", 3, "rules[0].max_per_day", "whole number"},
		{"top-level key", "rule:\n  - name: x\n", 1, "rule", "unknown key"},
		{"no name", "rules:\n  - forbid: [a]\n", 2, "rules[0].name", "no name"},
		{"duplicate name", "rules:\n  - name: x\n    forbid: [a]\n  - name: x\n    forbid: [b]\n", 4, "name", "already defined at line 2"},
		{"approval without tag", "rules:\n  - name: x\n    require_approval: true\n", 3, "rules[0].require_approval", "needs a when"},
		{"not yaml", "rules: [\n", 1, "", "not valid YAML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src), "rules.yaml")
			var verr *calendar.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("got %v, want a validation error", err)
			}
			for _, p := range verr.Problems {
				if p.File == "rules.yaml" && p.Line == tc.line && p.Field == tc.field && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("got %v, want rules.yaml:%d: %s: …%s…", err, tc.line, tc.field, tc.msg)
		})
	}
}

func TestParseChannelsAndEmpty(t *testing.T) {
	s := mustParse(t, "channels:\n  acme-fb: facebook\nrules: []\n")
	if s.Channels["acme-fb"] != "facebook" || len(s.Rules) != 0 {
		t.Errorf("got %+v", s)
	}
	if s := mustParse(t, ""); len(s.Rules) != 0 {
		t.Errorf("empty file: %+v", s)
	}
	if s, err := Load(t.TempDir()+"/rules.yaml", false); s != nil || err != nil {
		t.Errorf("absent file: %v %v", s, err)
	}
	if _, err := Load(t.TempDir()+"/rules.yaml", true); err == nil {
		t.Error("an absent file given with --rules must be refused")
	}
}

func TestParseChannelSettings(t *testing.T) {
	s := mustParse(t, "channels:\n  m: {network: mastodon, settings: {instance: https://mastodon.social}}\n  b: bluesky\n")
	if s.Channels["m"] != "mastodon" || s.Settings["m"]["instance"] != "https://mastodon.social" || s.Channels["b"] != "bluesky" {
		t.Errorf("got %+v", s)
	}
	_, err := Parse([]byte("channels:\n  m: {netwerk: mastodon}\n"), "r.yaml")
	if err == nil || !strings.Contains(err.Error(), `r.yaml:2: channels.m.netwerk: unknown key "netwerk"`) {
		t.Errorf("got %v", err)
	}
}

// The contest checklist README.md shows is testdata/contest.yaml, word for
// word, and it does what the README says.
func TestContestExample(t *testing.T) {
	data, err := os.ReadFile("testdata/contest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), string(data)) {
		t.Error("README.md does not show testdata/contest.yaml as it is")
	}
	s, err := Parse(data, "contest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nets := map[string]string{"acme-facebook": "webhook", "acme-masto": "mastodon"}
	if !maps.Equal(s.Channels, nets) {
		t.Errorf("channels %v", s.Channels)
	}
	errorsOf := func(p calendar.Post) []string {
		var out []string
		for _, f := range s.Check(&p, nets, nil, nil, nil) {
			if f.Severity == calendar.SeverityError {
				out = append(out, f.Rule)
			}
		}
		return out
	}
	bad := calendar.Post{Slug: "c", Body: "Gagnez un panier ! Partagez pour participer.", Tags: []string{"concours"}, Channels: []string{"acme-facebook", "acme-masto"}}
	if got := strings.Join(errorsOf(bad), " "); got != "contest-rules-link no-share-to-enter facebook-not-sponsor" {
		t.Errorf("a bad contest: %s", got)
	}
	good := calendar.Post{Slug: "c", Body: "Gagnez un panier ! Règlement : https://acme.fr/r?utm_source=x. Ce jeu n'est ni organisé ni parrainé par Facebook.",
		Tags: []string{"concours"}, Channels: []string{"acme-facebook", "acme-masto"}}
	if got := errorsOf(good); len(got) > 0 {
		t.Errorf("a good contest: %v", got)
	}
	if s.NeedsApproval(&good, nets) != "contest-approval" {
		t.Error("a contest must wait for approval")
	}
	if got := errorsOf(calendar.Post{Slug: "s", Body: "Merci à Café Lumière", Tags: []string{"partenariat"}}); len(got) != 1 || got[0] != "disclosure" {
		t.Errorf("an undisclosed partnership: %v", got)
	}
}

// A calendar rule's message names the zone its day and time are in (the
// channel's), which may not be the zone the person typed the time in.
func TestCalendarRuleMessagesNameTheZone(t *testing.T) {
	s := mustParse(t, "rules:\n  - name: one-a-day\n    max_per_day: 1\n  - name: breathe\n    min_gap: 60\n")
	la, _ := time.LoadLocation("America/Los_Angeles")
	at := time.Date(2026, 12, 5, 17, 0, 0, 0, la) // 2026-12-06 02:00 in Paris
	p := calendar.Post{Slug: "p", Body: "x", Channels: []string{"fb"}}
	mine := []calendar.Placement{{Slug: "p", Channel: "fb", At: at}}
	others := []calendar.Placement{{Slug: "a", Channel: "fb", At: at.Add(-30 * time.Minute)}}
	var got []string
	for _, f := range s.Check(&p, nets, mine, others, func(string) *time.Location { return la }) {
		got = append(got, f.Message)
	}
	want := []string{
		"fb would have 2 posts on 2026-12-05 (America/Los_Angeles; at most 1 a day; already: a)",
		"p at 2026-12-05 17:00 PST is 30 minutes from a on fb (at least 60 minutes apart)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
