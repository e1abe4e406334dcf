package publishers

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/crieur/crieur/internal/urls"
)

// Rules say how a network measures a text and how much one post may hold.
type Rules struct {
	Limit int    // max per part, 0 = no limit
	Unit  string // "characters", "graphemes", "UTF-16 units", "bytes"
	// Count is how the network counts; nil means CountRunes.
	Count func(string) int
	// ByteLimit is an optional second limit in UTF-8 bytes (Bluesky: 3000), 0 = none.
	ByteLimit int
	// URLLength, if > 0, is what every http(s) URL counts as, whatever its
	// real length (Mastodon: 23).
	URLLength int
}

// CountRunes counts Unicode code points (Mastodon, Discord, Slack).
func CountRunes(s string) int { return utf8.RuneCountInString(s) }

// CountGraphemes counts extended grapheme clusters, what a reader sees as one
// character (Bluesky).
func CountGraphemes(s string) int { return uniseg.GraphemeClusterCount(s) }

// CountUTF16 counts UTF-16 code units (Telegram): characters outside the Basic
// Multilingual Plane, such as most emoji, count twice.
func CountUTF16(s string) int {
	n := 0
	for _, r := range s {
		if l := utf16.RuneLen(r); l > 0 {
			n += l
		} else {
			n++ // invalid UTF-8 decodes to U+FFFD: one unit
		}
	}
	return n
}

func (r Rules) count(s string) int {
	if r.Count != nil {
		return r.Count(s)
	}
	return CountRunes(s)
}

func (r Rules) unit() string {
	if r.Unit != "" {
		return r.Unit
	}
	return "characters"
}

// Length is s's length as the network counts it, URLs at URLLength if set.
func (r Rules) Length(s string) int {
	if r.URLLength <= 0 {
		return r.count(s)
	}
	spans := urlSpans(s)
	if len(spans) == 0 {
		return r.count(s)
	}
	var rest strings.Builder
	last := 0
	for _, sp := range spans {
		rest.WriteString(s[last:sp[0]])
		last = sp[1]
	}
	rest.WriteString(s[last:])
	return r.count(rest.String()) + r.URLLength*len(spans)
}

// Fits reports whether s is within r.Limit, counting only when a cheap
// bound cannot tell: every counter here (code points, graphemes, UTF-16
// units, weighted characters) counts at most one per byte, and a URL adds at
// most URLLength. Loads check every post of a campaign, most of them short.
func (r Rules) Fits(s string) bool {
	if r.Limit <= 0 {
		return true
	}
	bound := len(s)
	if r.URLLength > 0 {
		bound += r.URLLength * strings.Count(s, "http")
	}
	return bound <= r.Limit || r.Length(s) <= r.Limit
}

// Check returns the problems of s against r's limits, reported under field.
func (r Rules) Check(field, s string) []Problem {
	var out []Problem
	if r.Limit > 0 && !r.Fits(s) {
		if n := r.Length(s); n > r.Limit {
			out = append(out, Problem{Field: field, Message: fmt.Sprintf("%d/%d %s: %d over the limit", n, r.Limit, r.unit(), n-r.Limit)})
		}
	}
	if r.ByteLimit > 0 && len(s) > r.ByteLimit {
		out = append(out, Problem{Field: field, Message: fmt.Sprintf("%d/%d bytes: %d over the limit", len(s), r.ByteLimit, len(s)-r.ByteLimit)})
	}
	return out
}

// Split cuts text into parts that each fit r, at sentence bounds, then word
// bounds, then hard (never inside a grapheme or a URL). With counter, each
// part ends with " 1/3" and the counter's length is accounted for. A text that
// fits returns one part without counter. A URL longer than the limit on its
// own stays whole in an over-long part, which Check reports.
func Split(text string, r Rules, counter bool) []string {
	text = strings.TrimSpace(text)
	if text == "" || r.fits(text, 0, 0) {
		return []string{text}
	}
	if !counter {
		return r.split(text, 0, 0)
	}
	// Reserve room for the widest counter of an assumed part count; if the
	// text needs more parts than that, widen and split again.
	for n := 9; ; n = n*10 + 9 {
		widest := fmt.Sprintf(" %d/%d", n, n)
		parts := r.split(text, r.count(widest), len(widest))
		if len(parts) == 1 { // an unsplittable text (one long URL) gets no "1/1"
			return parts
		}
		if len(parts) <= n {
			for i := range parts {
				parts[i] += fmt.Sprintf(" %d/%d", i+1, len(parts))
			}
			return parts
		}
	}
}

// fits reports whether s plus a reserved suffix is within both limits.
func (r Rules) fits(s string, reserve, reserveBytes int) bool {
	if r.Limit > 0 && r.Length(s)+reserve > r.Limit {
		return false
	}
	return r.ByteLimit <= 0 || len(s)+reserveBytes <= r.ByteLimit
}

func (r Rules) split(text string, reserve, reserveBytes int) []string {
	cuts := findCuts(text)
	var parts []string
	start := 0
	for start < len(text) {
		rest := text[start:]
		if r.fits(rest, reserve, reserveBytes) {
			parts = append(parts, rest)
			break
		}
		fit := func(end int) bool {
			return r.fits(strings.TrimRightFunc(text[start:end], unicode.IsSpace), reserve, reserveBytes)
		}
		end := chooseCut(cuts, start, fit)
		parts = append(parts, strings.TrimRightFunc(text[start:end], unicode.IsSpace))
		start = end
		for start < len(text) {
			c, size := utf8.DecodeRuneInString(text[start:])
			if !unicode.IsSpace(c) {
				break
			}
			start += size
		}
	}
	return parts
}

// cuts are the byte offsets where a text may be cut, by preference.
type cuts struct {
	sentence, word, hard []int
}

// findCuts lists the places a text may be cut: every grapheme boundary outside
// URLs (hard), the starts of whitespace runs (word), and UAX #29 sentence
// boundaries (sentence).
func findCuts(text string) cuts {
	spans := urlSpans(text)
	inURL := func(pos int) bool {
		for _, sp := range spans {
			if pos > sp[0] && pos < sp[1] {
				return true
			}
		}
		return false
	}
	var c cuts
	g := uniseg.NewGraphemes(text)
	prevSpace := true
	for g.Next() {
		from, to := g.Positions()
		space := isSpace(text[from:to])
		if space && !prevSpace && !inURL(from) {
			c.word = append(c.word, from)
		}
		prevSpace = space
		if inURL(to) {
			continue
		}
		c.hard = append(c.hard, to)
		if g.IsSentenceBoundary() {
			c.sentence = append(c.sentence, to)
		}
	}
	return c
}

func isSpace(s string) bool {
	return strings.TrimFunc(s, unicode.IsSpace) == ""
}

// chooseCut picks where the part starting at start ends. A sentence bound is
// preferred unless it leaves the part less than half as long as a word cut
// would; a word bound is preferred to a hard cut. When nothing fits, the
// smallest possible part is taken so that splitting always progresses.
func chooseCut(c cuts, start int, fit func(int) bool) int {
	sentence := largestFit(c.sentence, start, fit)
	word := largestFit(c.word, start, fit)
	switch {
	case sentence > 0 && (word == 0 || sentence-start >= (word-start)/2):
		return sentence
	case word > 0:
		return word
	}
	if hard := largestFit(c.hard, start, fit); hard > 0 {
		return hard
	}
	i := sort.SearchInts(c.hard, start+1)
	if i < len(c.hard) {
		return c.hard[i]
	}
	return c.hard[len(c.hard)-1]
}

// largestFit returns the largest cut after start whose part fits, or 0. Parts
// grow with their end, so the fitting cuts are a prefix of those after start.
func largestFit(cs []int, start int, fit func(int) bool) int {
	lo := sort.SearchInts(cs, start+1)
	after := cs[lo:]
	n := sort.Search(len(after), func(i int) bool { return !fit(after[i]) })
	if n == 0 {
		return 0
	}
	return after[n-1]
}

// URLs returns the http(s) URLs in a text, in order.
func URLs(text string) []string {
	spans := urlSpans(text)
	out := make([]string, 0, len(spans))
	for _, sp := range spans {
		out = append(out, text[sp[0]:sp[1]])
	}
	return out
}

// urlSpans returns the [start, end) byte ranges of the http(s) URLs in text
// (the one URL finder crieur has: see internal/urls).
func urlSpans(text string) [][2]int { return urls.Spans(text) }

// Paragraphs is a post's text for a network without threads: its explicit
// thread parts follow as paragraphs; with media, the link ends the text
// (the post shows the media, not a link card).
func Paragraphs(post Post) string {
	parts := []string{strings.TrimSpace(post.Text)}
	for _, t := range post.Thread {
		if t = strings.TrimSpace(t); t != "" {
			parts = append(parts, t)
		}
	}
	s := strings.TrimSpace(strings.Join(parts, "\n\n"))
	if len(post.Media) > 0 {
		s = WithLink(s, post.Link)
	}
	return s
}
