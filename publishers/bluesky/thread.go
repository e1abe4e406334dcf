package bluesky

import (
	"strings"

	"github.com/crieur/crieur/publishers"
)

// TextThread says how many posts the post's text (with its link) becomes.
func (pub *Publisher) TextThread(p publishers.Post) (posts, length, limit int, unit string) {
	p.Thread = nil
	ps := parts(p)
	if len(ps) == 1 && strings.TrimSpace(ps[0]) == "" {
		return 0, 0, rules.Limit, rules.Unit
	}
	text := strings.TrimSpace(p.Text)
	if p.Link != "" && !strings.Contains(text, p.Link) {
		if text != "" {
			text += "\n\n"
		}
		text += p.Link
	}
	return len(ps), rules.Length(text), rules.Limit, rules.Unit
}
