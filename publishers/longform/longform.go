// Package longform turns a post's Markdown into what long-form networks take:
// HTML (CommonMark + GitHub extensions), plain text for text parts and
// previews, and an excerpt; and, for blogs, a post's HTML body, slug, checks
// and preview. Rendering is safe: raw HTML in the Markdown is
// dropped and javascript:-style links are emptied, because post bodies come
// from imports and editors we do not control and end up in mail clients and
// feed readers.
package longform

import (
	"bytes"
	"html"
	"strings"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
)

// Options change how Render writes HTML.
type Options struct {
	// Image, if set, maps each image's destination to the src written in the
	// HTML (an email uses cid: references); returning "" keeps the original.
	Image func(dest string) string
}

// markdown is safe for concurrent use: goldmark keeps no per-call state in it.
// It is built on first use, not when the program starts.
var markdown = sync.OnceValue(func() goldmark.Markdown { return goldmark.New(goldmark.WithExtensions(extension.GFM)) })

// HTML renders Markdown to an HTML fragment.
func HTML(md string) (string, error) {
	return Render(md, Options{})
}

// Render renders Markdown to an HTML fragment with options.
func Render(md string, o Options) (string, error) {
	src := []byte(md)
	doc := parse(src)
	if o.Image != nil {
		_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
			if img, ok := n.(*ast.Image); ok && entering {
				if to := o.Image(string(img.Destination)); to != "" {
					img.Destination = []byte(to)
				}
			}
			return ast.WalkContinue, nil
		})
	}
	var buf bytes.Buffer
	if err := markdown().Renderer().Render(&buf, src, doc); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// TextHTML shows plain text (not Markdown) as HTML: escaped, blank lines
// between paragraphs, single line breaks kept.
func TextHTML(text string) string {
	var b strings.Builder
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, para := range strings.Split(text, "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n") + "</p>\n")
		}
	}
	return b.String()
}

// Images lists the destinations of the images the Markdown shows, in order.
func Images(md string) []string {
	var out []string
	_ = ast.Walk(parse([]byte(md)), func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			out = append(out, string(img.Destination))
		}
		return ast.WalkContinue, nil
	})
	return out
}

// PlainText renders Markdown as readable plain text: blocks separated by a
// blank line, list markers and quote marks kept, links as "label (url)",
// images as "[image: alt]", raw HTML dropped.
func PlainText(md string) string {
	src := []byte(md)
	return strings.TrimSpace(blocks(parse(src), src))
}

// FirstLine is the first non-empty line of the plain text: a subject or title
// when the post has none.
func FirstLine(md string) string {
	for _, line := range strings.Split(PlainText(md), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// Excerpt is the first paragraph of prose (headings, code and image-only
// paragraphs skipped) on one line, cut to at most n characters at a word
// boundary with an ellipsis; n <= 0 keeps the whole paragraph.
func Excerpt(md string, n int) string {
	src := []byte(md)
	var para string
	_ = ast.Walk(parse(src), func(node ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch node.(type) {
		case *ast.Heading, *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.Paragraph, *ast.TextBlock:
			if s := strings.Join(strings.Fields(inlines(node, src, false)), " "); s != "" {
				para = s
				return ast.WalkStop, nil
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return truncate(para, n)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if n <= 0 || len(r) <= n {
		return s
	}
	cut := string(r[:n-1]) // room for the ellipsis
	if r[n-1] != ' ' {     // the cut falls inside a word: drop that word
		if i := strings.LastIndexByte(cut, ' '); i > 0 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, " ,;:.-") + "…"
}

func parse(src []byte) ast.Node {
	return markdown().Parser().Parse(text.NewReader(src))
}
