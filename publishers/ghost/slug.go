package ghost

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// maxSlug stays under the 191 characters of Ghost's slug column.
const maxSlug = 185

// slugify derives the slug sent with a post from the calendar's slug: lower
// case ASCII letters and digits joined by single dashes, accents dropped.
// Ghost keeps such a slug as it is, which is what makes Find exact.
func slugify(s string) string {
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
	if len(out) > maxSlug {
		out = strings.TrimRight(out[:maxSlug], "-")
	}
	return out
}
