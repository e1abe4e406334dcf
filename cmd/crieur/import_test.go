package main

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/calendar"
)

func TestShowProgress(t *testing.T) {
	cases := []struct {
		tty, quiet bool
		items      int
		want       bool
	}{
		{true, false, progressAbove + 1, true},
		{true, false, progressAbove, false}, // small loads finish before a bar helps
		{false, false, 100000, false},       // a pipe or a CI log
		{true, true, 100000, false},         // -q
	}
	for _, c := range cases {
		if got := showProgress(c.tty, c.quiet, c.items); got != c.want {
			t.Errorf("showProgress(%v, %v, %d) = %v", c.tty, c.quiet, c.items, got)
		}
	}
}

// The check reads each network's offline rules (no secret, no client) and
// reports their problems.
func TestNetworkCheck(t *testing.T) {
	long := strings.Repeat("a", 4100)
	cases := []struct {
		ch    calendar.Channel
		post  calendar.Post
		field string
	}{
		{calendar.Channel{Name: "s", Network: "slack"}, calendar.Post{Body: long}, "text"},
		{calendar.Channel{Name: "s", Network: "slack"}, calendar.Post{Body: "short"}, ""},
		{calendar.Channel{Name: "d", Network: "discord"}, calendar.Post{Body: "fine"}, ""},
		{calendar.Channel{Name: "g", Network: "ghost", Settings: map[string]string{"site": "https://blog.example"}}, calendar.Post{Body: "no title"}, "title"},
		{calendar.Channel{Name: "l", Network: "log"}, calendar.Post{Body: long}, ""},
		{calendar.Channel{Name: "x", Network: "nosuch"}, calendar.Post{Body: "x"}, "channels"},
	}
	for _, c := range cases {
		t.Run(c.ch.Network+" "+c.field, func(t *testing.T) {
			probs := networkCheck()(c.ch, &c.post, nil)
			switch {
			case c.field == "" && len(probs) > 0:
				t.Errorf("unexpected problems %+v", probs)
			case c.field != "" && (len(probs) == 0 || probs[0].Field != c.field):
				t.Errorf("want a problem with %s, got %+v", c.field, probs)
			}
			for _, p := range probs {
				if strings.Contains(p.Message, "placeholder") {
					t.Errorf("a placeholder secret leaks into a message: %s", p.Message)
				}
			}
		})
	}
	// A channel that cannot be checked is reported once, not once per post.
	check := networkCheck()
	bad := calendar.Channel{Name: "x", Network: "nosuch"}
	if first, second := check(bad, &calendar.Post{Body: "a"}, nil), check(bad, &calendar.Post{Body: "b"}, nil); len(first) != 1 || len(second) != 0 {
		t.Errorf("reported %d then %d times", len(first), len(second))
	}
}

func TestFormatOf(t *testing.T) {
	for path, want := range map[string]string{"a.csv": "csv", "A.CSV": "csv", "b.yml": "yaml", "c.yaml": "yaml", "d.json": "json", "e.md": "md", "f.xml": "", "noext": ""} {
		if got := formatOf(path); got != want {
			t.Errorf("formatOf(%q) = %q, want %q", path, got, want)
		}
	}
}
