package longform

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
)

// blocks renders the block children of parent, separated by a blank line.
func blocks(parent ast.Node, src []byte) string {
	return joinBlocks(parent, src, "\n\n")
}

func joinBlocks(parent ast.Node, src []byte, sep string) string {
	var parts []string
	for c := parent.FirstChild(); c != nil; c = c.NextSibling() {
		if s := block(c, src); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep)
}

func block(n ast.Node, src []byte) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		return strings.TrimSpace(inlines(n, src, true))
	case *ast.ThematicBreak:
		return "---"
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		return strings.TrimRight(lines(n, src), "\n")
	case *ast.HTMLBlock:
		return "" // raw HTML is not rendered, so it is not text either
	case *ast.Blockquote:
		return prefixLines(blocks(n, src), "> ", "> ")
	case *ast.List:
		return list(n, src)
	case *east.Table:
		var rows []string
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				cells = append(cells, strings.TrimSpace(inlines(c, src, true)))
			}
			rows = append(rows, strings.Join(cells, " | "))
		}
		return strings.Join(rows, "\n")
	}
	return blocks(n, src)
}

func list(l *ast.List, src []byte) string {
	sep := "\n\n"
	if l.IsTight {
		sep = "\n"
	}
	var items []string
	i := l.Start
	for it := l.FirstChild(); it != nil; it = it.NextSibling() {
		marker := "- "
		if l.IsOrdered() {
			marker = strconv.Itoa(i) + ". "
			i++
		}
		body := joinBlocks(it, src, sep)
		items = append(items, prefixLines(body, marker, strings.Repeat(" ", len(marker))))
	}
	return strings.Join(items, sep)
}

// prefixLines puts first before the first line and rest before the others;
// empty lines get rest without its trailing spaces.
func prefixLines(s, first, rest string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		p := rest
		if i == 0 {
			p = first
		}
		if l == "" {
			p = strings.TrimRight(p, " ")
		}
		ls[i] = p + l
	}
	return strings.Join(ls, "\n")
}

func lines(n ast.Node, src []byte) string {
	var b strings.Builder
	segs := n.Lines()
	for i := 0; i < segs.Len(); i++ {
		seg := segs.At(i)
		b.Write(seg.Value(src))
	}
	return b.String()
}

// inlines renders the inline children of n; withURLs adds link targets.
func inlines(n ast.Node, src []byte, withURLs bool) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(src))
			if c.SoftLineBreak() || c.HardLineBreak() {
				b.WriteByte('\n')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.Link:
			label := inlines(c, src, withURLs)
			b.WriteString(label)
			dest := string(c.Destination)
			if withURLs && dest != "" && dest != label && !html.IsDangerousURL(c.Destination) {
				b.WriteString(" (" + dest + ")")
			}
		case *ast.AutoLink:
			b.Write(c.Label(src))
		case *ast.Image:
			if alt := inlines(c, src, false); alt != "" && withURLs {
				b.WriteString("[image: " + alt + "]")
			}
		case *ast.RawHTML:
			// dropped, as in the HTML
		case *east.TaskCheckBox:
			if c.IsChecked {
				b.WriteString("[x] ")
			} else {
				b.WriteString("[ ] ")
			}
		default:
			b.WriteString(inlines(c, src, withURLs))
		}
	}
	return b.String()
}
