package devto

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
)

// Forem's limits.
const (
	maxTags     = 4
	maxTagLen   = 30
	maxTitleLen = 128
)

// normalTag is a tag as Forem stores it: lower case, without a leading "#".
func normalTag(t string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(t), "#"))
}

// normalTags normalises tags and drops blanks and repeats.
func normalTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		if t = normalTag(t); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func alphanumeric(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return s != ""
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Validate lists what Forem would refuse: a title and a body, at most four
// tags of letters and digits, and a cover image given by URL (the API cannot
// upload a file).
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(post.Title) == "" {
		add("title", "an article needs a title")
	} else if n := utf8.RuneCountInString(post.Title); n > maxTitleLen {
		add("title", "%d characters, Forem takes at most %d", n, maxTitleLen)
	}
	if strings.TrimSpace(post.Text) == "" {
		add("text", "the body is empty")
	}
	for i, t := range post.Tags {
		if n := normalTag(t); !alphanumeric(n) {
			add(fmt.Sprintf("tags[%d]", i), "%q: Forem tags are letters and digits only", t)
		} else if len(n) > maxTagLen {
			add(fmt.Sprintf("tags[%d]", i), "%q is longer than %d characters", t, maxTagLen)
		}
	}
	if n := len(normalTags(post.Tags)); n > maxTags {
		add("tags", "%d tags, Forem takes at most %d", n, maxTags)
	}
	if post.Canonical != "" && !httpURL(post.Canonical) {
		add("canonical", "%q is not an http(s) URL", post.Canonical)
	}
	if len(post.Media) > 1 {
		add("media", "Forem takes one cover image, got %d; put other images in the body by URL", len(post.Media))
	}
	for i, m := range post.Media {
		if !httpURL(m.Path) {
			add(fmt.Sprintf("media[%d]", i), "%q: the Forem API takes a cover image by URL only, it cannot upload a file", m.Path)
		}
	}
	return probs
}
