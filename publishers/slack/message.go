package slack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/messages"
)

// Slack's limits for a Block Kit message.
var (
	sectionRules = publishers.Rules{Limit: 3000, Unit: "characters", Count: publishers.CountRunes}
	textRules    = publishers.Rules{Limit: 4000, Unit: "characters", Count: publishers.CountRunes}
)

const (
	maxBlocks   = 50
	maxAlt      = 2000
	maxImageURL = 3000
)

// message is an incoming webhook's JSON: text is the notification fallback.
type message struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks,omitempty"`
}

type block struct {
	Type     string   `json:"type"`
	Text     *textObj `json:"text,omitempty"`
	ImageURL string   `json:"image_url,omitempty"`
	AltText  string   `json:"alt_text,omitempty"`
}

type textObj struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// mrkdwnText is the whole post in Slack's mrkdwn: the text, its link, and
// explicit thread parts as further paragraphs (a webhook cannot thread).
func mrkdwnText(post publishers.Post) string {
	parts := []string{messages.WithLink(strings.TrimSpace(post.Text), post.Link)}
	parts = append(parts, post.Thread...)
	var out []string
	for _, t := range parts {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if post.Markdown {
			out = append(out, fromMarkdown(t))
		} else {
			out = append(out, escape(t))
		}
	}
	return strings.Join(out, "\n\n")
}

// build turns a post into the webhook's message: sections of at most 3,000
// characters, then one image block per media.
func build(post publishers.Post) message {
	text := mrkdwnText(post)
	m := message{Text: text}
	if text != "" {
		for _, s := range publishers.Split(text, sectionRules, false) {
			m.Blocks = append(m.Blocks, block{Type: "section", Text: &textObj{Type: "mrkdwn", Text: s}})
		}
	}
	for _, md := range post.Media {
		m.Blocks = append(m.Blocks, block{Type: "image", ImageURL: md.Path, AltText: md.Alt})
	}
	if m.Text == "" && len(post.Media) > 0 {
		m.Text = post.Media[0].Alt // what a notification shows for an image-only post
	}
	return m
}

func marshal(m message) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep <url|label> readable; JSON does not need it
	err := enc.Encode(m)
	return bytes.TrimSpace(buf.Bytes()), err
}

// Validate checks lengths and images without calling the network.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	m := build(post)
	var probs []publishers.Problem
	if m.Text == "" && len(post.Media) == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "nothing to post"})
	}
	probs = append(probs, textRules.Check("text", m.Text)...)
	for _, b := range m.Blocks {
		if b.Type == "section" {
			probs = append(probs, sectionRules.Check("text", b.Text.Text)...)
		}
	}
	if len(m.Blocks) > maxBlocks {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d blocks, Slack takes at most %d", len(m.Blocks), maxBlocks)})
	}
	for i, md := range post.Media {
		field := fmt.Sprintf("media[%d]", i)
		l := strings.ToLower(md.Path)
		switch {
		case !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "http://"):
			probs = append(probs, publishers.Problem{Field: field, Message: "an incoming webhook cannot upload files: use a public http(s) image URL"})
		case len(md.Path) > maxImageURL:
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("image URL over %d characters", maxImageURL)})
		}
		switch n := sectionRules.Length(md.Alt); {
		case strings.TrimSpace(md.Alt) == "":
			probs = append(probs, publishers.Problem{Field: field, Message: "Slack requires alt text for an image"})
		case n > maxAlt:
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("alt text is %d characters, Slack takes %d", n, maxAlt)})
		}
	}
	return probs
}

// Preview shows the sections and the JSON the webhook receives.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	m := build(post)
	pv := publishers.Preview{Limit: sectionRules.Limit, Unit: sectionRules.Unit, Problems: p.Validate(post)}
	for _, b := range m.Blocks {
		if b.Type == "section" {
			pv.Parts = append(pv.Parts, b.Text.Text)
			pv.Count = append(pv.Count, sectionRules.Length(b.Text.Text))
		}
	}
	if body, err := marshal(m); err == nil {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			pv.Extra = buf.String()
		}
	}
	return pv
}

// escape makes plain text safe for mrkdwn, where &, < and > are control characters.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escape(s string) string { return escaper.Replace(s) }

var (
	mdLink    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`!?\[([^\]\n]+)\]\(\s*(https?://[^)\s]+)\s*\)`) })
	mdBold    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\*\*([^*\n]+)\*\*|__([^_\n]+)__`) })
	mdItalic  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(^|[^*\w])\*([^*\s][^*\n]*?)\*`) })
	mdStrike  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`~~([^~\n]+)~~`) })
	mdHeading = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^#{1,6}[ \t]+(.+?)[ \t#]*$`) })
)

// fromMarkdown converts the common Markdown forms to mrkdwn: links (and
// inline images, which a section cannot show) become <url|label>, **bold** *bold*, *italic* _italic_, ~~strike~~ ~strike~ and
// headings bold lines. Code spans and blocks are written alike in both.
func fromMarkdown(s string) string {
	s = escape(s)
	s = mdLink().ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink().FindStringSubmatch(m)
		label := strings.NewReplacer("|", "¦").Replace(sub[1])
		return "<" + sub[2] + "|" + label + ">"
	})
	// Bold is marked with a placeholder so that the italic rule, which also
	// reads single stars, leaves it alone.
	const star = "\x00"
	s = mdBold().ReplaceAllStringFunc(s, func(m string) string {
		sub := mdBold().FindStringSubmatch(m)
		return star + sub[1] + sub[2] + star
	})
	s = mdHeading().ReplaceAllString(s, star+"$1"+star)
	s = mdItalic().ReplaceAllString(s, "${1}_${2}_")
	s = mdStrike().ReplaceAllString(s, "~$1~")
	return strings.ReplaceAll(s, star, "*")
}
