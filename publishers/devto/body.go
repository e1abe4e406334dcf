package devto

import (
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// bodyMarkdown is the article body Forem receives: the post's Markdown (plain
// text is escaped so that it reads as written), with the post's link
// appended when the body does not already hold it.
func bodyMarkdown(post publishers.Post) string {
	text := post.Text
	if !post.Markdown {
		text = plainMarkdown(text)
	}
	if !publishers.HasLink(post.Text, post.Link) {
		text += "\n\n" + post.Link
	}
	return text
}

// markdownPunct are the characters that could start Markdown syntax inline.
var markdownPunct = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`, `#`, `\#`, `|`, `\|`, `~`, `\~`, `&`, `\&`,
)

// listStart matches what would make a line a list item.
var listStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\s*)([-+]|\d+[.)])(\s)`) })

// plainMarkdown escapes plain text into Markdown that renders as the text:
// punctuation outside URLs is escaped, list markers at a line's start too,
// and line breaks are kept as hard breaks.
func plainMarkdown(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, line := range lines {
		var b strings.Builder
		rest := line
		for _, u := range publishers.URLs(line) {
			j := strings.Index(rest, u)
			if j < 0 {
				continue
			}
			b.WriteString(markdownPunct.Replace(rest[:j]))
			b.WriteString(u)
			rest = rest[j+len(u):]
		}
		b.WriteString(markdownPunct.Replace(rest))
		line = listStart().ReplaceAllStringFunc(b.String(), func(m string) string {
			sub := listStart().FindStringSubmatch(m)
			marker := sub[2]
			return sub[1] + marker[:len(marker)-1] + `\` + marker[len(marker)-1:] + sub[3]
		})
		// Two trailing spaces: a hard break, where the next line goes on the
		// same paragraph.
		if i < len(lines)-1 && strings.TrimSpace(line) != "" && strings.TrimSpace(lines[i+1]) != "" {
			line += "  "
		}
		lines[i] = line
	}
	return strings.Join(lines, "\n")
}

// Preview shows the Markdown that would be sent and, in Extra, the HTML it
// renders to (Forem renders it itself; this is a close approximation).
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	md := bodyMarkdown(post)
	pv := publishers.Preview{
		Parts:    []string{md},
		Count:    []int{utf8.RuneCountInString(md)},
		Unit:     "characters",
		Problems: p.Validate(post),
	}
	if h, err := longform.HTML(md); err == nil {
		pv.Extra = h
	}
	return pv
}
