// Package suggest finds the known word a mistyped one is closest to, for
// the "did you mean" of error messages (file keys, rule kinds, channels).
package suggest

import (
	"fmt"
	"strings"
)

// Closest is the word of known closest to word by edit distance, ignoring
// case and surrounding spaces, when it is at most max edits away and word
// has three letters or more (shorter ones are too easy to match by
// chance); else "". On a tie the first of known wins.
func Closest(word string, known []string, max int) string {
	if len([]rune(strings.TrimSpace(word))) < 3 {
		return ""
	}
	return ClosestShort(word, known, max)
}

// ClosestShort is Closest for words of any length: for lists of short
// names (a network called x, a setting called id), where a one-letter
// slip is the likely mistake.
func ClosestShort(word string, known []string, max int) string {
	word = strings.ToLower(strings.TrimSpace(word))
	best, bestD := "", max+1
	for _, k := range known {
		if d := Distance(word, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// DidYouMean is ` (did you mean "x"?)` for the closest known word at most
// two edits away, or "".
func DidYouMean(word string, known []string) string {
	return phrase(Closest(word, known, 2))
}

// DidYouMeanShort is DidYouMean by ClosestShort.
func DidYouMeanShort(word string, known []string) string {
	return phrase(ClosestShort(word, known, 2))
}

func phrase(k string) string {
	if k == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", k)
}

// Distance is the Levenshtein distance between a and b, in runes.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
