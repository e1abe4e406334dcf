package longform

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Slug derives the slug a blog post is sent with from the calendar's slug:
// lower case ASCII letters and digits joined by single dashes, accents
// dropped, at most max bytes. Blogs keep such a slug as it is, which is what
// makes finding the post again by its slug exact.
func Slug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: "é" decomposes to "e" + this.
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(unicode.ToLower(r))
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = strings.TrimRight(out[:max], "-")
	}
	return out
}
