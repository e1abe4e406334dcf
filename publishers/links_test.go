package publishers

import "testing"

func TestTagURL(t *testing.T) {
	utm := map[string]string{"utm_source": "mastodon", "utm_medium": "social", "utm_campaign": "spring sale"}
	cases := []struct {
		name, in, want string
		params         map[string]string
	}{
		{"plain", "https://example.com/a", "https://example.com/a?utm_campaign=spring+sale&utm_medium=social&utm_source=mastodon", utm},
		{"keeps query", "https://example.com/a?id=7&x=%2F", "https://example.com/a?id=7&x=%2F&utm_campaign=spring+sale&utm_medium=social&utm_source=mastodon", utm},
		{"existing utm wins", "https://example.com/?utm_source=newsletter", "https://example.com/?utm_source=newsletter&utm_campaign=spring+sale&utm_medium=social", utm},
		{"fragment kept after query", "https://example.com/doc#section-2", "https://example.com/doc?utm_medium=social#section-2", map[string]string{"utm_medium": "social"}},
		{"query and fragment", "http://example.com/p?q=1#top", "http://example.com/p?q=1&utm_medium=social#top", map[string]string{"utm_medium": "social"}},
		{"trailing ampersand", "https://example.com/?a=1&", "https://example.com/?a=1&utm_medium=social", map[string]string{"utm_medium": "social"}},
		{"empty question mark", "https://example.com/?", "https://example.com/?utm_medium=social", map[string]string{"utm_medium": "social"}},
		{"empty values skipped", "https://example.com/", "https://example.com/?utm_source=x", map[string]string{"utm_source": "x", "utm_medium": ""}},
		{"nothing to add", "https://example.com/?utm_medium=a", "https://example.com/?utm_medium=a", map[string]string{"utm_medium": "social"}},
		{"not http", "mailto:a@example.com", "mailto:a@example.com", utm},
		{"no host", "https:///path", "https:///path", utm},
		{"path escapes untouched", "https://example.com/caf%C3%A9/a%20b", "https://example.com/caf%C3%A9/a%20b?utm_medium=social", map[string]string{"utm_medium": "social"}},
		{"value escaped", "https://example.com/", "https://example.com/?utm_term=a%26b%3Dc", map[string]string{"utm_term": "a&b=c"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TagURL(c.in, c.params); got != c.want {
				t.Errorf("TagURL(%q) =\n%q\nwant\n%q", c.in, got, c.want)
			}
		})
	}
}

func TestTagLinks(t *testing.T) {
	p := map[string]string{"utm_source": "mastodon"}
	cases := []struct{ name, in, want string }{
		{"no links", "Nothing to see.", "Nothing to see."},
		{"period after URL", "Read https://example.com/post.", "Read https://example.com/post?utm_source=mastodon."},
		{"several with punctuation", "A: https://a.org/x, B: https://b.org/y?k=v#f! Done?",
			"A: https://a.org/x?utm_source=mastodon, B: https://b.org/y?k=v&utm_source=mastodon#f! Done?"},
		{"closing bracket outside", "(see https://a.org/x)", "(see https://a.org/x?utm_source=mastodon)"},
		{"balanced bracket inside", "https://en.wikipedia.org/wiki/Go_(language)", "https://en.wikipedia.org/wiki/Go_(language)?utm_source=mastodon"},
		{"markdown link", "[post](https://a.org/p) here", "[post](https://a.org/p?utm_source=mastodon) here"},
		{"accents around", "Café: https://a.org/é — voilà", "Café: https://a.org/é?utm_source=mastodon — voilà"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := TagLinks(c.in, p); got != c.want {
				t.Errorf("TagLinks =\n%q\nwant\n%q", got, c.want)
			}
		})
	}
	if got := TagLinks("https://a.org", nil); got != "https://a.org" {
		t.Errorf("nil params changed the text: %q", got)
	}
}

func TestWithLink(t *testing.T) {
	const link = "https://acme.example/guide?utm_campaign=winter&utm_source=mastodon"
	cases := []struct{ name, text, link, want string }{
		{"appended on its own paragraph", "Read our guide", link, "Read our guide\n\n" + link},
		{"trailing space trimmed", "Read our guide \n", link, "Read our guide\n\n" + link},
		{"already there, tagged", "Read " + link + " now", link, "Read " + link + " now"},
		{"already there, bare", "Read https://acme.example/guide now", link, "Read https://acme.example/guide now"},
		{"another page of the site is not the link", "See https://acme.example/other", link, "See https://acme.example/other\n\n" + link},
		{"no text", "  ", link, link},
		{"no link", "Read our guide", "", "Read our guide"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := WithLink(c.text, c.link); got != c.want {
				t.Errorf("WithLink(%q, %q) = %q, want %q", c.text, c.link, got, c.want)
			}
		})
	}
	// The link counts as the network counts URLs: 23 on Mastodon.
	if n := (Rules{URLLength: 23}).Length(WithLink("Read our guide", link)); n != len("Read our guide\n\n")+23 {
		t.Errorf("Length = %d, want %d", n, len("Read our guide\n\n")+23)
	}
}
