package calendar

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// PostFilter selects posts for List.
type PostFilter struct {
	Status   []string
	Channel  string
	Campaign string
	Tag      string
	From, To *time.Time // publish_at in [From, To)
	Limit    int        // 0: no limit
	Offset   int
	// Light skips variants, media and notes (deliveries are always loaded).
	Light bool
}

func NonNilList(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

type StatusChange struct{ Slug, From, To string }

// ApprovalMoves are the posts (slugs) that changing a channel's approval
// rule moved: to review (the gate now holds them) or back to scheduled.
type ApprovalMoves struct {
	ToReview    []string `json:"to_review"`
	ToScheduled []string `json:"to_scheduled"`
}

var slugRE = namePattern{extra: "._/-", max: 200}

// ValidSlug checks a slug: lower-case letters, digits, '.', '_', '-', '/'.
func ValidSlug(slug string) error {
	if !slugRE.MatchString(slug) || strings.Contains(slug, "..") {
		return Invalid("slug", "%q is not a valid slug: use lower-case letters, digits, '-', '_', '.', '/' (up to 200)", slug)
	}
	if _, err := strconv.ParseInt(slug, 10, 64); err == nil {
		return Invalid("slug", "%q is all digits, which reads as a post id: add a letter", slug)
	}
	return nil
}

// Slugify makes a slug from a title: accents folded, words joined by '-'.
func Slugify(s string) string {
	s = norm.NFD.String(strings.ToLower(s))
	var b strings.Builder
	dash := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 60 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		out = "post"
	}
	if _, err := strconv.Atoi(out); err == nil {
		out = "post-" + out
	}
	return out
}

func FirstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
