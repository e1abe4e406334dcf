// Package urls finds the http(s) URLs in a text: the one finder behind the
// networks' link counting and tagging (publishers) and the report's link of a
// post whose link is only in its body (calendar/sqlstore).
package urls

import (
	"regexp"
	"strings"
	"sync"
)

var urlPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("(?i)\\bhttps?://[^\\s<>\"'`]+") })

// Spans returns the [start, end) byte ranges of the http(s) URLs in text.
// Trailing sentence punctuation and unbalanced closing brackets are left out,
// so "(see https://x.org/a_(b))." yields "https://x.org/a_(b)".
func Spans(text string) [][2]int {
	if !strings.Contains(text, "://") {
		return nil // every match holds "://": skip the regexp (most texts have no URL)
	}
	var out [][2]int
	for _, m := range urlPattern().FindAllStringIndex(text, -1) {
		end := m[1]
		for end > m[0] {
			u := text[m[0]:end]
			last := u[len(u)-1]
			if strings.IndexByte(".,;:!?*_", last) >= 0 {
				end--
				continue
			}
			if open, ok := closers[last]; ok && strings.Count(u, string(last)) > strings.Count(u, string(open)) {
				end--
				continue
			}
			break
		}
		if u := text[m[0]:end]; !strings.HasSuffix(u, "://") {
			out = append(out, [2]int{m[0], end})
		}
	}
	return out
}

var closers = map[byte]byte{')': '(', ']': '[', '}': '{'}

// First returns the first http(s) URL in text, or "".
func First(text string) string {
	if sp := Spans(text); len(sp) > 0 {
		return text[sp[0][0]:sp[0][1]]
	}
	return ""
}
