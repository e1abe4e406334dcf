package longform

import (
	"fmt"
	"html"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
)

// PostHTML is the HTML body a blog receives for a post: its Markdown
// rendered by HTML, or its plain text escaped into paragraphs with its URLs
// as links, the post's link appended when the body does not already hold it.
func PostHTML(post publishers.Post) (string, error) {
	text := post.Text
	link := !publishers.HasLink(text, post.Link)
	if !post.Markdown {
		if link {
			text += "\n\n" + post.Link
		}
		return linkedTextHTML(text), nil
	}
	if link {
		text += "\n\n<" + post.Link + ">"
	}
	return HTML(text)
}

// CheckPost lists what stops a blog post's body and slug: an empty body,
// Markdown that does not render, or a slug without a letter or digit to name
// the post on the site and find it again by.
func CheckPost(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	if strings.TrimSpace(post.Text) == "" {
		probs = append(probs, publishers.Problem{Field: "text", Message: "the body is empty"})
	} else if _, err := PostHTML(post); err != nil {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("cannot render the body: %v", err)})
	}
	if Slug(post.Slug, math.MaxInt) == "" {
		probs = append(probs, publishers.Problem{Field: "slug", Message: "needs letters or digits: it names the post on the site and finds it again after a failure"})
	}
	return probs
}

// Preview shows a blog post's body as written and, in Extra, the HTML that
// PostHTML sends.
func Preview(post publishers.Post, problems []publishers.Problem) publishers.Preview {
	pv := publishers.Preview{
		Parts:    []string{post.Text},
		Count:    []int{utf8.RuneCountInString(post.Text)},
		Unit:     "characters",
		Problems: problems,
	}
	if h, err := PostHTML(post); err == nil {
		pv.Extra = h
	}
	return pv
}

// linkedTextHTML writes plain text as HTML paragraphs (split on blank lines,
// line breaks kept) with its http(s) URLs as links.
func linkedTextHTML(text string) string {
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
