package x

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"

	"github.com/rivo/uniseg"
	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// X counts a post's text by the rules twitter-text publishes as its v3
// configuration (twitter-text's config/v3.json and config/README.md):
// the text is NFC-normalised; each code point weighs defaultWeight unless a
// range gives it another weight; an emoji, however many code points it is
// made of, weighs defaultWeight; every URL weighs transformedURLLength
// whatever its length; the length is the sum of the weights divided by
// scale, and a post may be maxWeightedTweetLength long.
const (
	maxWeighted   = 280
	scale         = 100
	defaultWeight = 200
	urlWeight     = 23 * scale // transformedURLLength
)

// weightRanges are the code points that weigh less than defaultWeight
// (config v3's ranges: Latin and most alphabetic scripts, and general
// punctuation such as spaces, dashes and quotes).
var weightRanges = []struct {
	lo, hi rune
	weight int
}{
	{0, 4351, 100},
	{8192, 8205, 100},
	{8208, 8223, 100},
	{8242, 8247, 100},
}

func weight(r rune) int {
	for _, w := range weightRanges {
		if r >= w.lo && r <= w.hi {
			return w.weight
		}
	}
	return defaultWeight
}

// Length is s's length as X counts it: what must stay within 280.
func Length(s string) int {
	s = norm.NFC.String(s)
	total, last := 0, 0
	for _, sp := range urlSpans(s) {
		total += weighText(s[last:sp[0]]) + urlWeight
		last = sp[1]
	}
	total += weighText(s[last:])
	return total / scale
}

// weighText weighs a text without URLs, grapheme by grapheme: an emoji
// sequence (joined, modified, a keycap, a flag) weighs as one emoji, any
// other grapheme as the sum of its code points.
func weighText(s string) int {
	total := 0
	g := uniseg.NewGraphemes(s)
	for g.Next() {
		rs := g.Runes()
		if len(rs) > 1 && emojiSequence(rs) {
			total += defaultWeight
			continue
		}
		for _, r := range rs {
			total += weight(r)
		}
	}
	return total
}

// emojiSequence reports whether a grapheme of several code points is an
// emoji: it carries a joiner, an emoji presentation selector, a keycap, a
// skin tone or a tag, or it is a pair of regional indicators (a flag), or it
// starts with a code point of the emoji planes.
func emojiSequence(rs []rune) bool {
	if rs[0] >= 0x1F000 && rs[0] <= 0x1FAFF {
		return true
	}
	for _, r := range rs {
		switch {
		case r == 0x200D, r == 0xFE0F, r == 0x20E3,
			r >= 0x1F3FB && r <= 0x1F3FF, // skin tones
			r >= 0xE0020 && r <= 0xE007F: // tags (subdivision flags)
			return true
		}
	}
	return false
}

// invalidChars are the code points X refuses in a post (twitter-text's
// invalid characters: non-characters and the byte order mark).
const invalidChars = "\uFFFE\uFEFF\uFFFF"

// hasInvalid reports whether s holds a code point X refuses.
func hasInvalid(s string) bool { return strings.ContainsAny(s, invalidChars) }

// URLs are found as X finds them, closely enough to count as it does: with
// a scheme (http or https), or without one when the host ends in a known
// top-level domain; a host label longer than 63 characters (punycode for
// non-ASCII labels) makes it no URL; trailing punctuation and unbalanced
// closing brackets are not part of it.
var (
	withScheme = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\bhttps?://[^\s\p{Cf}<>"'` + "`" + `]+`)
	})
	// bare is a host with a top-level domain of letters, then a port and
	// a path; the TLD is checked against knownTLD.
	bare = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?\.)+([a-z]{2,})(?::[0-9]{1,5})?(?:[/?#][^\s\p{Cf}<>"'` + "`" + `]*)?`)
	})
)

// urlSpans returns the [start, end) byte ranges of the URLs X would find in s.
func urlSpans(s string) [][2]int {
	if !strings.Contains(s, ".") {
		return nil // every URL has a dot in its host
	}
	var out [][2]int
	taken := func(pos int) bool {
		for _, sp := range out {
			if pos >= sp[0] && pos < sp[1] {
				return true
			}
		}
		return false
	}
	for _, m := range withScheme().FindAllStringIndex(s, -1) {
		end := trimURL(s, m[0], m[1])
		u := s[m[0]:end]
		_, rest, _ := strings.Cut(u, "://")
		if validHost(hostOf(rest)) {
			out = append(out, [2]int{m[0], end})
		}
	}
	for _, m := range bare().FindAllStringSubmatchIndex(s, -1) {
		if taken(m[0]) {
			continue
		}
		if m[0] > 0 {
			prev, _ := utf8.DecodeLastRuneInString(s[:m[0]])
			if unicode.IsLetter(prev) || unicode.IsDigit(prev) || strings.ContainsRune("@$#.-_/:", prev) {
				continue // part of a word, an address or a path
			}
		}
		if !knownTLD(strings.ToLower(s[m[2]:m[3]])) {
			continue
		}
		end := trimURL(s, m[0], m[1])
		if next, _ := utf8.DecodeRuneInString(s[end:]); end < len(s) && (unicode.IsLetter(next) || unicode.IsDigit(next) || next == '@') {
			continue
		}
		if validHost(hostOf(s[m[0]:end])) {
			out = append(out, [2]int{m[0], end})
		}
	}
	if len(out) > 1 {
		sortSpans(out)
	}
	return out
}

func sortSpans(sp [][2]int) {
	for i := 1; i < len(sp); i++ {
		for j := i; j > 0 && sp[j][0] < sp[j-1][0]; j-- {
			sp[j], sp[j-1] = sp[j-1], sp[j]
		}
	}
}

// trimURL leaves trailing sentence punctuation and unbalanced closing
// brackets out of the URL s[start:end].
func trimURL(s string, start, end int) int {
	for end > start {
		u := s[start:end]
		last := u[len(u)-1]
		if strings.IndexByte(".,;:!?*'\"", last) >= 0 {
			end--
			continue
		}
		if open, ok := map[byte]byte{')': '(', ']': '[', '}': '{'}[last]; ok && strings.Count(u, string(last)) > strings.Count(u, string(open)) {
			end--
			continue
		}
		break
	}
	return end
}

// hostOf is the host of a URL without its scheme.
func hostOf(rest string) string {
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// validHost reports whether every label of host is 63 characters or
// fewer, non-ASCII labels counted in their punycode form, as DNS requires.
func validHost(host string) bool {
	if host == "" || !strings.Contains(host, ".") {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" {
			return false
		}
		ascii := label
		for _, r := range label {
			if r >= utf8.RuneSelf {
				a, err := idna.Punycode.ToASCII(label)
				if err != nil {
					return false
				}
				ascii = a
				break
			}
		}
		if len(ascii) > 63 {
			return false
		}
	}
	return true
}

// knownTLD reports whether a host without a scheme ends in a top-level
// domain X links: any in the root zone, as X's own list is IANA's. The
// Public Suffix List (golang.org/x/net/publicsuffix, already a dependency)
// carries every root-zone domain in its ICANN section; a label it does not
// list is only its default rule (icann false).
func knownTLD(tld string) bool {
	suffix, icann := publicsuffix.PublicSuffix("x." + tld)
	return icann && suffix == tld
}
