package bluesky

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
)

// Facet kinds, as app.bsky.richtext.facet names its features.
const (
	featureLink    = "app.bsky.richtext.facet#link"
	featureMention = "app.bsky.richtext.facet#mention"
	featureTag     = "app.bsky.richtext.facet#tag"
)

// span is a rich-text range found in a post's text, before mentions are
// resolved. Start and End are UTF-8 byte offsets, as facets require.
type span struct {
	Kind       string // featureLink, featureMention or featureTag
	Start, End int
	Value      string // the URL, the handle (without @) or the tag (without #)
}

// maxTagRunes is the longest tag app.bsky.richtext.facet#tag accepts (64 graphemes).
const maxTagRunes = 64

// findSpans lists the links, mentions and hashtags of text, in order. Links
// come from publishers.URLs; a mention or tag inside a link is not one.
func findSpans(text string) []span {
	var out []span
	from := 0
	for _, u := range publishers.URLs(text) {
		i := indexWord(text, u, from)
		if i < 0 {
			continue
		}
		out = append(out, span{Kind: featureLink, Start: i, End: i + len(u), Value: u})
		from = i + len(u)
	}
	links := len(out)
	inLink := func(pos int) bool {
		for _, l := range out[:links] {
			if pos >= l.Start && pos < l.End {
				return true
			}
		}
		return false
	}
	for i, r := range text {
		if (r != '@' && r != '#' && r != '＃') || inLink(i) || !startsWord(text, i) {
			continue
		}
		after := i + utf8.RuneLen(r)
		if r == '@' {
			if h, end := mentionAt(text, after); h != "" {
				out = append(out, span{Kind: featureMention, Start: i, End: end, Value: h})
			}
			continue
		}
		if tag, end := tagAt(text, after); tag != "" {
			out = append(out, span{Kind: featureTag, Start: i, End: end, Value: tag})
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start < out[b].Start })
	return out
}

// indexWord finds u in text at or after from where it is not glued to a
// preceding letter or digit (publishers.URLs matches at a word start).
func indexWord(text, u string, from int) int {
	for from <= len(text) {
		i := strings.Index(text[from:], u)
		if i < 0 {
			return -1
		}
		i += from
		if startsWordOrPunct(text, i) {
			return i
		}
		from = i + 1
	}
	return -1
}

// startsWord reports whether position i follows the start of text, a space,
// or an opening bracket.
func startsWord(text string, i int) bool {
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	return unicode.IsSpace(prev) || prev == '(' || prev == '['
}

func startsWordOrPunct(text string, i int) bool {
	if i == 0 {
		return true
	}
	prev, _ := utf8.DecodeLastRuneInString(text[:i])
	return !unicode.IsLetter(prev) && !unicode.IsDigit(prev)
}

// mentionAt reads a handle starting at byte i (just after '@') and returns it
// with the offset where it ends; "" when what follows is not a valid handle.
func mentionAt(text string, i int) (string, int) {
	end := i
	for end < len(text) {
		c := text[end]
		if c == '.' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			end++
			continue
		}
		break
	}
	for end > i && (text[end-1] == '.' || text[end-1] == '-') {
		end-- // "@bob.test." at the end of a sentence
	}
	h := text[i:end]
	if !validHandle(h) {
		return "", 0
	}
	return strings.ToLower(h), end
}

// validHandle checks the handle syntax: dot-separated labels of letters,
// digits and inner hyphens, at least two labels, a top-level label starting
// with a letter, 253 characters at most.
func validHandle(h string) bool {
	if len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := labels[len(labels)-1][0]
	return tld >= 'a' && tld <= 'z' || tld >= 'A' && tld <= 'Z'
}

// tagAt reads a hashtag starting at byte i (just after '#'): a run of
// non-space characters without trailing punctuation, not only digits (#1 is
// a number) nor an emoji keycap (#️⃣), at most 64 characters. It returns the tag and where it ends.
func tagAt(text string, i int) (string, int) {
	end := i
	for end < len(text) {
		r, size := utf8.DecodeRuneInString(text[end:])
		if unicode.IsSpace(r) || r == '#' || r == '＃' || r == '\u200b' || r == '\u2060' || r == '\u00ad' {
			break
		}
		end += size
	}
	for end > i {
		r, size := utf8.DecodeLastRuneInString(text[i:end])
		if !unicode.IsPunct(r) {
			break
		}
		end -= size
	}
	tag := text[i:end]
	if tag == "" || strings.HasPrefix(tag, "\ufe0f") || utf8.RuneCountInString(tag) > maxTagRunes {
		return "", 0
	}
	if strings.TrimFunc(tag, unicode.IsDigit) == "" {
		return "", 0
	}
	return tag, end
}
