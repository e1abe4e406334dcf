package formats

import "github.com/crieur/crieur/internal/suggest"

// documentKeys are a post document's front matter keys ($EDITOR, a
// Markdown folder).
var documentKeys = []string{"slug", "title", "at", "status", "channels", "campaign", "tags", "link", "excerpt", "media", "variants", "thread", "category", "max_repeats", "min_gap", "expires"}

// didYouMean names the known key a mistyped one is closest to, as
// ` (did you mean "channels"?)`, or "" when none is close.
func didYouMean(key string, known []string) string { return suggest.DidYouMean(key, known) }
