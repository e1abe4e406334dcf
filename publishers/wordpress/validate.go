package wordpress

import (
	"fmt"
	"strings"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// maxSlug stays under WordPress's 200-byte post_name column.
const maxSlug = 190

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
	probs = append(probs, longform.CheckPost(post)...)
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

// Preview shows the body as written and, in Extra, the HTML that would be sent.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	return longform.Preview(post, p.Validate(post))
}
