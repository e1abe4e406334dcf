package linkedin

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// LinkedIn reads a post's commentary in its "little" text format (Microsoft
// Learn, LinkedIn Marketing › Community Management › Shares › "little Text
// Format"): plain text in which some characters are markup. Each of them
// must be escaped with a backslash to stand for itself, even where it would
// not start an element; LinkedIn silently cuts a commentary at the first one
// it cannot parse. Hashtags are written with the hashtag template and
// mentions with the mention element.

// reserved are the characters the little format reserves.
const reserved = `\|{}@[]()<>#*_~`

// mentionPattern is a mention as an author writes it in a post's text: the
// little format's own mention element, naming a person or an organization
// by its URN, e.g. @[Acme Corp](urn:li:organization:1234).
var mentionPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^@\[([^\[\]\n]+)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)`)
})

// piece is one element of a commentary: plain text, a hashtag or a mention.
type piece struct {
	kind byte   // 't' text, '#' hashtag, '@' mention
	text string // the text, the hashtag's word, or the mention's name
	urn  string // a mention's URN
}

// pieces cuts a post's text into plain text, hashtags and mentions.
func pieces(text string) []piece {
	var out []piece
	var plain strings.Builder
	flush := func() {
		if plain.Len() > 0 {
			out = append(out, piece{kind: 't', text: plain.String()})
			plain.Reset()
		}
	}
	prev := rune(-1) // the rune before i; -1 at the start
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '@':
			if m := mentionPattern().FindStringSubmatch(text[i:]); m != nil {
				flush()
				out = append(out, piece{kind: '@', text: m[1], urn: m[2]})
				i += len(m[0])
				prev = ')'
				continue
			}
		case r == '#' && hashtagMayStart(prev):
			if word := hashtagWord(text[i+size:]); word != "" {
				flush()
				out = append(out, piece{kind: '#', text: word})
				i += size + len(word)
				prev = 'x'
				continue
			}
		}
		plain.WriteRune(r)
		prev = r
		i += size
	}
	flush()
	return out
}

// hashtagMayStart reports whether a '#' after prev starts a hashtag: at the
// start of the text, after a space or an opening bracket or quote; never
// inside a word or a URL (a fragment, "page#top").
func hashtagMayStart(prev rune) bool {
	return prev == -1 || unicode.IsSpace(prev) || strings.ContainsRune(`([{"'«“‘`, prev)
}

// hashtagWord is the hashtag's word at the start of s: letters, digits,
// marks and underscores, with at least one letter; "" when there is none.
func hashtagWord(s string) string {
	end, letter := 0, false
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_') {
			break
		}
		letter = letter || unicode.IsLetter(r)
		end += size
	}
	if !letter {
		return ""
	}
	return s[:end]
}

// escape backslash-escapes every reserved character of s.
func escape(s string) string {
	if !strings.ContainsAny(s, reserved) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(reserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// commentary is text in the little format: reserved characters escaped,
// hashtags as hashtag templates ({hashtag|\#|word}), mentions written as
// little mentions kept as mentions (their name escaped).
func commentary(text string) string {
	var b strings.Builder
	for _, p := range pieces(text) {
		switch p.kind {
		case '#':
			b.WriteString(`{hashtag|\#|` + escape(p.text) + `}`)
		case '@':
			b.WriteString("@[" + escape(p.text) + "](" + p.urn + ")")
		default:
			b.WriteString(escape(p.text))
		}
	}
	return b.String()
}

// visible is text as LinkedIn shows it: a mention as its name, a hashtag
// as #word. It is what the 3,000-character limit counts.
func visible(text string) string {
	var b strings.Builder
	for _, p := range pieces(text) {
		switch p.kind {
		case '#':
			b.WriteString("#" + p.text)
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// hashtagTemplate matches a hashtag template in little text.
var hashtagTemplate = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\{hashtag\|(?:\\#|＃|#)\|((?:\\.|[^\\}])*)\}`)
})

// littleMention matches a mention element in little text.
var littleMention = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^@\[((?:\\.|[^\\\]])*)\]\(([^)]*)\)`)
})

// plainOf reads little text back as what LinkedIn shows (the commentary of
// a post it returns): escapes undone, templates and mentions as their text.
func plainOf(little string) string {
	var b strings.Builder
	for i := 0; i < len(little); {
		rest := little[i:]
		if m := hashtagTemplate().FindStringSubmatch(rest); m != nil {
			b.WriteString("#" + unescape(m[1]))
			i += len(m[0])
			continue
		}
		if m := littleMention().FindStringSubmatch(rest); m != nil {
			b.WriteString(unescape(m[1]))
			i += len(m[0])
			continue
		}
		if rest[0] == '\\' && len(rest) > 1 {
			_, size := utf8.DecodeRuneInString(rest[1:])
			b.WriteString(rest[1 : 1+size])
			i += 1 + size
			continue
		}
		_, size := utf8.DecodeRuneInString(rest)
		b.WriteString(rest[:size])
		i += size
	}
	return b.String()
}

// unescape undoes backslash escapes.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
