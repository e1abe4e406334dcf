package bluesky

import (
	"fmt"
	"testing"
)

func TestFindSpans(t *testing.T) {
	type sp = span
	cases := []struct {
		text string
		want []span
	}{
		{"plain text", nil},
		// "é" is 2 bytes, "☕" 3, "👋" 4: offsets are bytes, not runes.
		{"Café ☕ @bob.test", []sp{{featureMention, 10, 19, "bob.test"}}},
		{"👋 #golang!", []sp{{featureTag, 5, 12, "golang"}}},
		{"déjà https://ex.com/a?b=1.", []sp{{featureLink, 7, 27, "https://ex.com/a?b=1"}}},
		{"(https://ex.com/x_(y)) ok", []sp{{featureLink, 1, 21, "https://ex.com/x_(y)"}}},
		{"👩‍👩‍👧 #crieur @Bob.Test.", []sp{{featureTag, 19, 26, "crieur"}, {featureMention, 27, 36, "bob.test"}}},
		{"fullwidth ＃タグ end", []sp{{featureTag, 10, 19, "タグ"}}},
		{"#1 is a number, #2024goals is a tag", []sp{{featureTag, 16, 26, "2024goals"}}},
		{"mail bob@ex.com, see @bob and @-x.test", nil},
		{"https://ex.com/@bob.test#frag", []sp{{featureLink, 0, 29, "https://ex.com/@bob.test#frag"}}},
		{"a#notatag #️⃣", nil},
		{"#tag1#tag2 #ok", []sp{{featureTag, 0, 5, "tag1"}, {featureTag, 11, 14, "ok"}}},
		{"xhttps://a.com https://a.com", []sp{{featureLink, 15, 28, "https://a.com"}}},
		{"same https://a.com twice https://a.com", []sp{{featureLink, 5, 18, "https://a.com"}, {featureLink, 25, 38, "https://a.com"}}},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			got := findSpans(c.text)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("findSpans(%q)\n got %v\nwant %v", c.text, got, c.want)
			}
			for _, s := range got {
				if s.Kind == featureLink && c.text[s.Start:s.End] != s.Value {
					t.Errorf("link span %v covers %q", s, c.text[s.Start:s.End])
				}
			}
		})
	}
}

func TestValidHandle(t *testing.T) {
	cases := map[string]bool{
		"bob.test": true, "alice.bsky.social": true, "a-b.c-d.example": true, "xn--ls8h.test": true,
		"bob": false, "bob.": false, ".bob.test": false, "bob..test": false, "-bob.test": false,
		"bob.1test": false, "bob.test-": false,
	}
	for h, want := range cases {
		if got := validHandle(h); got != want {
			t.Errorf("validHandle(%q) = %v, want %v", h, got, want)
		}
	}
}
