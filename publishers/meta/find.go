package meta

import (
	"strings"
	"time"
	"unicode"
)

// FindWindow is how long before a delivery's planned time its post may
// have been made and still be recognised as an earlier attempt's (clocks
// differ).
const FindWindow = 15 * time.Minute

// Same reports whether a text Meta shows is the text crieur sent: their
// letters and digits are the same (Meta may trim spaces, turn line breaks).
func Same(shown, sent string) bool {
	return letters(shown) == letters(sent)
}

func letters(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// Since is the earliest instant a post made for a delivery planned at
// scheduled may carry (zero: no bound).
func Since(scheduled time.Time) time.Time {
	if scheduled.IsZero() {
		return time.Time{}
	}
	return scheduled.Add(-FindWindow)
}
