package mastodon

import (
	"strings"

	"github.com/crieur/crieur/publishers"
)

// TextThread says how many statuses the post's text becomes.
func (p *Publisher) TextThread(post publishers.Post) (posts, length, limit int, unit string) {
	l := p.current()
	r := l.rules()
	text := strings.TrimSpace(post.Text)
	if text == "" {
		return 0, 0, r.Limit, r.Unit
	}
	post.Thread = nil
	// The link goes in the status (no link field), so it counts too.
	return len(parts(post, l)), r.Length(publishers.WithLink(text, post.Link)), r.Limit, r.Unit
}
