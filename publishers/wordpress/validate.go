package wordpress

import (
	"fmt"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// Validate lists what would stop the post: a blog post needs a title and a
// body, a slug to be found again by, and at most one image (the featured
// image) that exists on disk.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(post.Title) == "" {
		add("title", "a blog post needs a title")
	}
	if strings.TrimSpace(post.Text) == "" {
		add("text", "the body is empty")
	} else if _, err := renderHTML(post); err != nil {
		add("text", "cannot render the body: %v", err)
	}
	if slugify(post.Slug) == "" {
		add("slug", "needs letters or digits: it names the post on the site and finds it again after a failure")
	}
	if len(post.Media) > 1 {
		add("media", "WordPress takes one featured image, got %d; put other images in the body", len(post.Media))
	}
	for i, m := range post.Media {
		if _, err := imageType(m.Path); err != nil {
			add(fmt.Sprintf("media[%d]", i), "%v", err)
		}
	}
	for i, t := range post.Tags {
		if strings.TrimSpace(t) == "" {
			add(fmt.Sprintf("tags[%d]", i), "empty tag")
		}
	}
	return probs
}

// invalid turns Validate's problems into the error Publish returns.
func invalid(probs []publishers.Problem) error {
	s := make([]string, len(probs))
	for i, pr := range probs {
		s[i] = pr.String()
	}
	return publishers.Errorf(publishers.Permanent, "%s", strings.Join(s, "; "))
}
