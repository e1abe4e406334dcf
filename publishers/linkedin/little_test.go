package linkedin

import (
	"strings"
	"testing"
)

// Every character the little format reserves is escaped with a backslash,
// alone and inside text: unescaped, LinkedIn cuts the post there.
func TestCommentaryEscapesEveryReservedCharacter(t *testing.T) {
	cases := []struct{ in, want string }{
		{`\`, `\\`},
		{`|`, `\|`},
		{`{`, `\{`},
		{`}`, `\}`},
		{`@`, `\@`},
		{`[`, `\[`},
		{`]`, `\]`},
		{`(`, `\(`},
		{`)`, `\)`},
		{`<`, `\<`},
		{`>`, `\>`},
		{`#`, `\#`},
		{`*`, `\*`},
		{`_`, `\_`},
		{`~`, `\~`},
		{"plain text, unchanged: 100% sure!", "plain text, unchanged: 100% sure!"},
		{"Ask (politely) at hello@acme.example", `Ask \(politely\) at hello\@acme.example`},
		{"a_b *c* ~d~ <e> [f] {g} h|i j\\k", `a\_b \*c\* \~d\~ \<e\> \[f\] \{g\} h\|i j\\k`},
		{"https://example.org/a_(b)?utm_source=x#top", `https://example.org/a\_\(b\)?utm\_source=x\#top`},
		{"C# and F#", `C\# and F\#`},
		{"#1 in sales", `\#1 in sales`},
		{"é–ü “quotes” 🌱", "é–ü “quotes” 🌱"},
	}
	for _, c := range cases {
		if got := commentary(c.in); got != c.want {
			t.Errorf("commentary(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Each reserved character, wherever it is, comes out escaped.
	for _, r := range reserved {
		s := "x" + string(r) + "y"
		if got, want := commentary(s), `x\`+string(r)+"y"; got != want {
			t.Errorf("commentary(%q) = %q, want %q", s, got, want)
		}
	}
}

// Hashtags become the hashtag template; mentions written as little
// mentions stay mentions; everything else is text.
func TestCommentaryHashtagsAndMentions(t *testing.T) {
	cases := []struct{ in, want, shown string }{
		{"#spring", `{hashtag|\#|spring}`, "#spring"},
		{"Out now #Spring #news2026!", `Out now {hashtag|\#|Spring} {hashtag|\#|news2026}!`, "Out now #Spring #news2026!"},
		{"(#été)", `\({hashtag|\#|été}\)`, "(#été)"},
		{"#open_source", `{hashtag|\#|open\_source}`, "#open_source"},
		{"page#top", `page\#top`, "page#top"},
		{"##double", `\#\#double`, "##double"},
		{"Hello @[Acme Corp](urn:li:organization:1234)!", `Hello @[Acme Corp](urn:li:organization:1234)!`, "Hello Acme Corp!"},
		{"By @[Ann_B](urn:li:person:abc-9) #team", `By @[Ann\_B](urn:li:person:abc-9) {hashtag|\#|team}`, "By Ann_B #team"},
		{"@[Not a urn](https://x.org)", `\@\[Not a urn\]\(https://x.org\)`, "@[Not a urn](https://x.org)"},
		{"@alice", `\@alice`, "@alice"},
	}
	for _, c := range cases {
		if got := commentary(c.in); got != c.want {
			t.Errorf("commentary(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := visible(c.in); got != c.shown {
			t.Errorf("visible(%q) = %q, want %q", c.in, got, c.shown)
		}
		if got := plainOf(commentary(c.in)); got != c.shown {
			t.Errorf("plainOf(commentary(%q)) = %q, want %q", c.in, got, c.shown)
		}
	}
}

// A commentary read back from LinkedIn is the text it shows.
func TestPlainOf(t *testing.T) {
	for in, want := range map[string]string{
		`a\_b \(c\)`:                    "a_b (c)",
		`{hashtag|\#|x} {hashtag|＃|y}`:  "#x #y",
		`@[A\]B](urn:li:person:1) ok`:   "A]B ok",
		`trailing \`:                    `trailing \`,
		strings.Repeat(`\*`, 3) + "end": "***end",
	} {
		if got := plainOf(in); got != want {
			t.Errorf("plainOf(%q) = %q, want %q", in, got, want)
		}
	}
}
