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
	// The link goes in the status (no link field), so it counts too.
	full := publishers.WithLink(text, post.Link)
	if r.Fits(full) {
		return 1, 0, r.Limit, r.Unit // fits: no need to count or cut it (loads ask for every post)
	}
	n := r.Length(full)
	post.Thread = nil
	return len(parts(post, l)), n, r.Limit, r.Unit
}
