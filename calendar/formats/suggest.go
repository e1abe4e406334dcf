package formats

import (
	"fmt"
	"strings"
)

// documentKeys are a post document's front matter keys ($EDITOR, a
// Markdown folder).
var documentKeys = []string{"slug", "title", "at", "status", "channels", "campaign", "tags", "link", "excerpt", "media", "variants", "thread", "category", "max_repeats", "min_gap", "expires"}

// didYouMean names the known key a mistyped one is closest to, as
// ` (did you mean "channels"?)`, or "" when none is close (two edits at
// most, on keys of three letters or more).
func didYouMean(key string, known []string) string {
	key = strings.ToLower(strings.TrimSpace(key))
	if len(key) < 3 {
		return ""
	}
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}
