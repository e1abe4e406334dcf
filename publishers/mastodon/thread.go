package mastodon

import (
	"strings"

	"github.com/crieur/crieur/publishers"
)

// TextThread says how many statuses the post's text becomes.
func (p *Publisher) TextThread(post publishers.Post) (posts, length, limit int, unit string) {
	r := p.current().rules()
	text := strings.TrimSpace(post.Text)
	if text == "" {
		return 0, 0, r.Limit, r.Unit
	}
	post.Thread = nil
	return len(parts(post, r)), r.Length(text), r.Limit, r.Unit
}
