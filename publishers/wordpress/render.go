package wordpress

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// renderHTML is the post content WordPress receives: the Markdown rendered by
// longform (plain text is escaped into paragraphs), with the post's link
// appended when the body does not already hold it.
func renderHTML(post publishers.Post) (string, error) {
	text := post.Text
	link := post.Link != "" && !strings.Contains(text, post.Link)
	if !post.Markdown {
		if link {
			text += "\n\n" + post.Link
		}
		return plainHTML(text), nil
	}
	if link {
		text += "\n\n<" + post.Link + ">"
	}
	return longform.HTML(text)
}

// plainHTML writes plain text as HTML paragraphs (split on blank lines, line
// breaks kept) with its http(s) URLs as links.
func plainHTML(text string) string {
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p>")
		rest := para
		for _, u := range publishers.URLs(para) {
			i := strings.Index(rest, u)
			if i < 0 {
				continue
			}
			b.WriteString(escapeLines(rest[:i]))
			fmt.Fprintf(&b, `<a href="%s">%s</a>`, html.EscapeString(u), html.EscapeString(u))
			rest = rest[i+len(u):]
		}
		b.WriteString(escapeLines(rest))
		b.WriteString("</p>\n")
	}
	return b.String()
}

func escapeLines(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>\n")
}

// Preview shows the body as written and, in Extra, the HTML that would be sent.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{
		Parts:    []string{post.Text},
		Count:    []int{utf8.RuneCountInString(post.Text)},
		Unit:     "characters",
		Problems: p.Validate(post),
	}
	if h, err := renderHTML(post); err == nil {
		pv.Extra = h
	}
	return pv
}
