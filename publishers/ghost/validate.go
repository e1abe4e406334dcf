package ghost

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// Ghost's column limits, in characters.
const (
	maxTitle   = 255
	maxExcerpt = 300
	maxAlt     = 191
	maxTag     = 191
	// maxSlug stays under the 191 characters of Ghost's slug column.
	maxSlug = 185
)

// Validate lists what Ghost would refuse: a post needs a title and a body, a
// slug to be found again by, and at most one image (the feature image) in a
// format Ghost takes; titles, excerpts, alt texts and tags have limits.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	tooLong := func(field, s string, max int) {
		if n := utf8.RuneCountInString(s); n > max {
			add(field, "%d characters, Ghost takes at most %d", n, max)
		}
	}
	if strings.TrimSpace(post.Title) == "" {
		add("title", "a blog post needs a title")
	}
	tooLong("title", post.Title, maxTitle)
	probs = append(probs, longform.CheckPost(post)...)
	tooLong("excerpt", post.Excerpt, maxExcerpt)
	if post.Canonical != "" {
		if u, err := url.Parse(post.Canonical); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("canonical", "%q is not an http(s) URL", post.Canonical)
		}
	}
	if len(post.Media) > 1 {
		add("media", "Ghost takes one feature image, got %d; put other images in the body", len(post.Media))
	}
	for i, m := range post.Media {
		if _, err := imageType(m.Path); err != nil {
			add(fmt.Sprintf("media[%d]", i), "%v", err)
		}
		tooLong(fmt.Sprintf("media[%d].alt", i), m.Alt, maxAlt)
	}
	for i, t := range post.Tags {
		if strings.TrimSpace(t) == "" {
			add(fmt.Sprintf("tags[%d]", i), "empty tag")
		}
		tooLong(fmt.Sprintf("tags[%d]", i), t, maxTag)
	}
	return probs
}

// Preview shows the body as written and, in Extra, the HTML that would be sent.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	return longform.Preview(post, p.Validate(post))
}
