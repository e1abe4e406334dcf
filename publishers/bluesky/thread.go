package bluesky

import (
	"strings"

	"github.com/crieur/crieur/publishers"
)

// TextThread says how many posts the post's text (with its link) becomes.
func (pub *Publisher) TextThread(p publishers.Post) (posts, length, limit int, unit string) {
	text := publishers.WithLink(strings.TrimSpace(p.Text), p.Link)
	if strings.TrimSpace(text) == "" {
		return 0, 0, rules.Limit, rules.Unit
	}
	if rules.Fits(text) {
		return 1, 0, rules.Limit, rules.Unit // fits: no need to count or cut it (loads ask for every post)
	}
	n := rules.Length(text)
	p.Thread = nil
	return len(parts(p)), n, rules.Limit, rules.Unit
}
