package publishers

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rivo/uniseg"
)

const family = "👨\u200d👩\u200d👧" // one grapheme, 5 code points, 8 UTF-16 units

func TestCounts(t *testing.T) {
	cases := []struct {
		in                      string
		runes, graphemes, utf16 int
	}{
		{"", 0, 0, 0},
		{"hello", 5, 5, 5},
		{"héllo", 5, 5, 5},       // precomposed é
		{"he\u0301llo", 6, 5, 6}, // e + combining acute
		{"👍", 1, 1, 2},           // outside the BMP
		{"👍🏽", 2, 1, 4},          // skin tone modifier
		{family, 5, 1, 8},        // ZWJ sequence
		{"🇫🇷", 2, 1, 4},          // flag: two regional indicators
		{"日本語", 3, 3, 3},         // CJK
		{"a\r\nb", 4, 3, 4},      // CRLF is one grapheme
		{"caf\xe9", 4, 4, 4},     // invalid UTF-8 byte counts once
		{"I ❤️ Go", 7, 6, 7},     // heart + variation selector
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := CountRunes(c.in); got != c.runes {
				t.Errorf("CountRunes = %d, want %d", got, c.runes)
			}
			if got := CountGraphemes(c.in); got != c.graphemes {
				t.Errorf("CountGraphemes = %d, want %d", got, c.graphemes)
			}
			if got := CountUTF16(c.in); got != c.utf16 {
				t.Errorf("CountUTF16 = %d, want %d", got, c.utf16)
			}
		})
	}
}

func TestURLs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"no links here", nil},
		{"see https://example.com/a?b=1&c=2#frag.", []string{"https://example.com/a?b=1&c=2#frag"}},
		{"http://a.org, https://b.org! HTTPS://C.ORG/X?", []string{"http://a.org", "https://b.org", "HTTPS://C.ORG/X"}},
		{"(see https://en.wikipedia.org/wiki/Foo_(bar)).", []string{"https://en.wikipedia.org/wiki/Foo_(bar)"}},
		{"[docs](https://a.org/p) and <https://b.org/q>", []string{"https://a.org/p", "https://b.org/q"}},
		{`"https://a.org/quoted"`, []string{"https://a.org/quoted"}},
		{"ftp://a.org mailto:x@a.org https:// xhttps://a.org", nil},
		{"end https://a.org/x;", []string{"https://a.org/x"}},
		{"日本 https://例え.jp/パス。", []string{"https://例え.jp/パス。"}}, // a CJK full stop is not ASCII punctuation
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got := URLs(c.in)
			if len(got) == 0 && len(c.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("URLs = %q, want %q", got, c.want)
			}
		})
	}
}

func TestLengthAndCheck(t *testing.T) {
	mastodon := Rules{Limit: 30, Unit: "characters", Count: CountRunes, URLLength: 23}
	bluesky := Rules{Limit: 300, Unit: "graphemes", Count: CountGraphemes, ByteLimit: 3000}
	cases := []struct {
		name  string
		rules Rules
		text  string
		len   int
		probs []string
	}{
		{"url counts as 23", mastodon, "go https://example.com/a/very/long/path/indeed", 3 + 23, nil},
		{"two urls", mastodon, "https://a.org https://b.org/" + strings.Repeat("x", 50), 23 + 1 + 23, []string{"text: 47/30 characters: 17 over the limit"}},
		{"exactly the limit", mastodon, strings.Repeat("é", 30), 30, nil},
		{"one over", mastodon, strings.Repeat("é", 31), 31, []string{"text: 31/30 characters: 1 over the limit"}},
		{"graphemes over", bluesky, strings.Repeat(family, 412), 412, []string{
			"text: 412/300 graphemes: 112 over the limit",
			fmt.Sprintf("text: %d/3000 bytes: %d over the limit", 412*18, 412*18-3000),
		}},
		{"bytes only", bluesky, strings.Repeat(family, 200), 200, []string{"text: 3600/3000 bytes: 600 over the limit"}},
		{"no limit", Rules{}, strings.Repeat("x", 100000), 100000, nil},
		{"default unit", Rules{Limit: 2}, "abc", 3, []string{"text: 3/2 characters: 1 over the limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.rules.Length(c.text); got != c.len {
				t.Errorf("Length = %d, want %d", got, c.len)
			}
			var got []string
			for _, p := range c.rules.Check("text", c.text) {
				got = append(got, p.String())
			}
			if !reflect.DeepEqual(got, c.probs) {
				t.Errorf("Check = %q, want %q", got, c.probs)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	runes := func(limit int) Rules { return Rules{Limit: limit, Count: CountRunes} }
	var words []string
	for i := 1; i <= 30; i++ {
		words = append(words, fmt.Sprintf("w%02d", i))
	}
	var numbered []string
	for i, w := range words {
		numbered = append(numbered, fmt.Sprintf("%s %d/30", w, i+1))
	}

	cases := []struct {
		name    string
		text    string
		rules   Rules
		counter bool
		want    []string
	}{
		{"fits: no counter", "Hello world.", runes(20), true, []string{"Hello world."}},
		{"exactly the limit", "0123456789", runes(10), true, []string{"0123456789"}},
		{"no limit", strings.Repeat("long text ", 1000), Rules{}, true, []string{strings.TrimSpace(strings.Repeat("long text ", 1000))}},
		{"trims", "  padded  ", runes(10), false, []string{"padded"}},
		{"sentences", "First sentence here. Second one is here. Third.", runes(25), false,
			[]string{"First sentence here.", "Second one is here.", "Third."}},
		{"questions and exclamations", "Ready? Go! Now we run far.", runes(12), false,
			[]string{"Ready? Go!", "Now we run", "far."}},
		{"short sentence loses to words", "Hi. This is a much longer sentence that goes on", runes(30), false,
			[]string{"Hi. This is a much longer", "sentence that goes on"}},
		{"words", "one two three four five six", runes(10), false, []string{"one two", "three four", "five six"}},
		{"paragraphs", "Para one.\n\nPara two is here.", runes(20), false, []string{"Para one.", "Para two is here."}},
		{"word longer than the limit", "abcdefghijklmnop", runes(5), false, []string{"abcde", "fghij", "klmno", "p"}},
		{"long word amid words", "ab cdefghijkl mn", runes(5), false, []string{"ab", "cdefg", "hijkl", "mn"}},
		{"ZWJ sequences by graphemes", family + family + family, Rules{Limit: 2, Count: CountGraphemes}, false,
			[]string{family + family, family}},
		{"ZWJ sequence never cut by runes", family + family, runes(6), false, []string{family, family}},
		{"ZWJ sequence never cut by UTF-16", "ab" + family, Rules{Limit: 8, Count: CountUTF16}, false, []string{"ab", family}},
		{"combining accents stay", "e\u0301e\u0301e\u0301", runes(3), false, []string{"e\u0301", "e\u0301", "e\u0301"}},
		{"CJK sentences", "日本語の文章です。次の文です。", runes(10), false, []string{"日本語の文章です。", "次の文です。"}},
		{"CJK hard", "日本語日本語日本語", runes(4), false, []string{"日本語日", "本語日本", "語"}},
		{"URL kept whole when over limit", "aaa https://example.com/long/path bbb", runes(12), false,
			[]string{"aaa", "https://example.com/long/path", "bbb"}},
		{"URL at URLLength", "aaa https://example.com/long/path bbb", Rules{Limit: 12, URLLength: 5}, false,
			[]string{"aaa https://example.com/long/path", "bbb"}},
		{"URL not cut in a hard split", "xxxx—https://a.org/abcdef", runes(6), false, []string{"xxxx—", "https://a.org/abcdef"}},
		{"byte limit", "ééééé", Rules{ByteLimit: 4}, false, []string{"éé", "éé", "é"}},
		{"counter", "one two three four five six", runes(14), true, []string{"one two 1/3", "three four 2/3", "five six 3/3"}},
		{"lone long URL: no 1/1", "https://example.com/long/path", runes(10), true, []string{"https://example.com/long/path"}},
		{"counter widens past 9 parts", strings.Join(words, " "), runes(10), true, numbered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Split(c.text, c.rules, c.counter)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Split =\n%q\nwant\n%q", got, c.want)
			}
			checkSplit(t, c.text, c.rules, c.counter, got)
		})
	}
}

var counterSuffix = regexp.MustCompile(` \d+/\d+$`)

// checkSplit asserts what every split promises: parts fit (unless a lone URL
// is over), the words are kept in order, and no grapheme or URL is broken.
func checkSplit(t *testing.T, text string, r Rules, counter bool, parts []string) {
	t.Helper()
	var bare []string
	for i, p := range parts {
		if p == "" {
			t.Errorf("part %d is empty", i)
		}
		if len(parts) > 1 && counter {
			want := fmt.Sprintf(" %d/%d", i+1, len(parts))
			if !strings.HasSuffix(p, want) {
				t.Errorf("part %d %q lacks counter %q", i, p, want)
			}
			p = counterSuffix.ReplaceAllString(p, "")
		}
		if probs := r.Check("", parts[i]); len(probs) > 0 && !isOneURL(p) {
			t.Errorf("part %d %q: %v", i, parts[i], probs)
		}
		bare = append(bare, p)
	}
	joined := strings.Join(bare, "")
	if got, want := strings.Join(strings.Fields(joined), ""), strings.Join(strings.Fields(text), ""); got != want {
		t.Errorf("parts lose or reorder text: %q vs %q", got, want)
	}
	if got, want := uniseg.GraphemeClusterCount(strings.Join(strings.Fields(joined), "")), uniseg.GraphemeClusterCount(strings.Join(strings.Fields(text), "")); got != want {
		t.Errorf("a grapheme was cut: %d graphemes, want %d", got, want)
	}
	for _, u := range URLs(text) {
		found := false
		for _, p := range bare {
			found = found || strings.Contains(p, u)
		}
		if !found {
			t.Errorf("URL %q was cut", u)
		}
	}
}

func isOneURL(s string) bool {
	u := URLs(s)
	return len(u) == 1 && u[0] == s
}

func TestSplitLongTextInvariants(t *testing.T) {
	text := strings.Repeat("Un café ☕ à Paris 🇫🇷 avec "+family+" — voir https://example.org/menu?jour=lundi#plats. Ensuite, 日本語の文章です。", 20)
	for _, r := range []Rules{
		{Limit: 50, Count: CountRunes, URLLength: 23},
		{Limit: 40, Count: CountGraphemes},
		{Limit: 60, Count: CountUTF16},
		{Limit: 300, Count: CountGraphemes, ByteLimit: 100},
	} {
		for _, counter := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/%v", r.Limit, counter), func(t *testing.T) {
				parts := Split(text, r, counter)
				if len(parts) < 2 {
					t.Fatalf("expected several parts, got %d", len(parts))
				}
				checkSplit(t, text, r, counter, parts)
			})
		}
	}
}

// Fits agrees with Length against the limit, whether its cheap bound or the
// count decides: a short URL that counts as 23 must not slip through.
func TestFits(t *testing.T) {
	mastodon := Rules{Limit: 30, URLLength: 23}
	bluesky := Rules{Limit: 5, Count: CountGraphemes}
	cases := []struct {
		name string
		r    Rules
		s    string
	}{
		{"short text", mastodon, "Hello"},
		{"short URL counts 23", mastodon, "Go https://a.b now, and later"},
		{"long URL counts 23", mastodon, "See https://example.com/a/very/long/path/indeed"},
		{"over", mastodon, strings.Repeat("x", 31)},
		{"graphemes under their bytes", bluesky, "éééé"},
		{"emoji family is one grapheme", bluesky, "👨‍👩‍👧abcd"},
		{"graphemes over", bluesky, "abcdef"},
		{"no limit", Rules{}, strings.Repeat("x", 10000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.r.Limit <= 0 || c.r.Length(c.s) <= c.r.Limit
			if got := c.r.Fits(c.s); got != want {
				t.Errorf("Fits(%q) = %v, Length %d against %d", c.s, got, c.r.Length(c.s), c.r.Limit)
			}
		})
	}
}
