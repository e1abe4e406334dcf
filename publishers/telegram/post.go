package telegram

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// Limits of the Bot API, counted in UTF-16 code units after entity parsing.
// With parse_mode set, markup counts here but not for Telegram, so the check
// errs on the safe side.
var (
	textRules    = publishers.Rules{Limit: 4096, Unit: "UTF-16 units", Count: publishers.CountUTF16}
	captionRules = publishers.Rules{Limit: 1024, Unit: "UTF-16 units", Count: publishers.CountUTF16}
)

const (
	maxGroup  = 10       // items in one media group
	maxPhoto  = 10 << 20 // bytes of an uploaded photo
	maxUpload = 50 << 20 // bytes of any other uploaded file
)

// kinds maps a media file's extension to the Bot API's media type. Other
// files are refused: a GIF sent as a photo would lose its animation, and
// documents do not mix with photos in an album.
var kinds = map[string]string{
	".jpg": "photo", ".jpeg": "photo", ".png": "photo", ".webp": "photo",
	".mp4": "video",
}

// piece is one message's text and the field Validate reports it under.
type piece struct {
	field string
	text  string
}

// step is one message to send: text, or media with text as its caption.
type step struct {
	text  string
	media []publishers.Media
}

// pieces renders the post's text into messages: explicit thread parts as
// given, else the text split at sentence and word bounds.
func (p *Publisher) pieces(post publishers.Post) []piece {
	text := withLink(p.render(post, post.Text), post.Link)
	var out []piece
	if len(post.Thread) == 0 {
		for _, s := range publishers.Split(text, textRules, false) {
			if strings.TrimSpace(s) != "" {
				out = append(out, piece{"text", s})
			}
		}
		return out
	}
	if strings.TrimSpace(text) != "" {
		out = append(out, piece{"text", text})
	}
	for i, t := range post.Thread {
		if t = strings.TrimSpace(p.render(post, t)); t != "" {
			out = append(out, piece{fmt.Sprintf("thread[%d]", i), t})
		}
	}
	return out
}

// render turns Markdown into plain text when Telegram gets plain text.
func (p *Publisher) render(post publishers.Post, text string) string {
	if post.Markdown && p.parseMode == "" {
		return longform.PlainText(text)
	}
	return strings.TrimSpace(text)
}

// plan orders the messages. Media carry the first part as caption when it
// fits the caption limit; otherwise the text goes first and the media follow
// without caption, as a reply to the last text message.
func (p *Publisher) plan(post publishers.Post) []step {
	var texts []string
	for _, pc := range p.pieces(post) {
		texts = append(texts, pc.text)
	}
	if len(post.Media) == 0 {
		return textSteps(texts)
	}
	if len(texts) == 0 || captionRules.Length(texts[0]) <= captionRules.Limit {
		caption := ""
		if len(texts) > 0 {
			caption, texts = texts[0], texts[1:]
		}
		return append([]step{{text: caption, media: post.Media}}, textSteps(texts)...)
	}
	return append(textSteps(texts), step{media: post.Media})
}

func textSteps(texts []string) []step {
	out := make([]step, len(texts))
	for i, t := range texts {
		out[i] = step{text: t}
	}
	return out
}

// Validate checks lengths, media types, counts and sizes without calling the network.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	pieces := p.pieces(post)
	var probs []publishers.Problem
	if len(pieces) == 0 && len(post.Media) == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "nothing to post"})
	}
	for _, pc := range pieces {
		probs = append(probs, textRules.Check(pc.field, pc.text)...)
	}
	if len(post.Media) > maxGroup {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d files, Telegram takes at most %d in one album", len(post.Media), maxGroup)})
	}
	for i, m := range post.Media {
		if msg := checkMedia(m); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// checkMedia returns why Telegram would refuse one media file, or "".
func checkMedia(m publishers.Media) string {
	kind := kindOf(m.Path)
	if kind == "" {
		return fmt.Sprintf("%s: Telegram takes JPEG, PNG or WebP photos and MP4 videos", filepath.Base(m.Path))
	}
	if isURL(m.Path) {
		return "" // Telegram fetches it; its size is not known here
	}
	info, err := os.Stat(m.Path)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", m.Path, err)
	case !info.Mode().IsRegular():
		return fmt.Sprintf("%s is not a file", m.Path)
	case info.Size() == 0:
		return fmt.Sprintf("%s is empty", m.Path)
	case kind == "photo" && info.Size() > maxPhoto:
		return fmt.Sprintf("%s is %d bytes, Telegram takes photos up to 10 MB", m.Path, info.Size())
	case info.Size() > maxUpload:
		return fmt.Sprintf("%s is %d bytes, Telegram takes uploads up to 50 MB", m.Path, info.Size())
	}
	return ""
}

// kindOf returns "photo", "video" or "" from a path's or URL's extension.
func kindOf(p string) string {
	if isURL(p) {
		if u, err := url.Parse(p); err == nil {
			p = u.Path
		}
		return kinds[strings.ToLower(path.Ext(p))]
	}
	return kinds[strings.ToLower(filepath.Ext(p))]
}

func isURL(p string) bool {
	l := strings.ToLower(p)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// withLink appends the post's link on its own paragraph unless the text
// already carries it (a copy with UTM parameters counts).
func withLink(text, link string) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return text
	}
	for _, u := range publishers.URLs(text) {
		if bare(u) == bare(link) {
			return text
		}
	}
	if strings.TrimSpace(text) == "" {
		return link
	}
	return strings.TrimRight(text, " \t\n") + "\n\n" + link
}

// bare is a URL without its query and fragment.
func bare(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u
}

// Preview shows the messages a post becomes, in order.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{Limit: textRules.Limit, Unit: textRules.Unit, Problems: p.Validate(post)}
	var extra []string
	for i, s := range p.plan(post) {
		pv.Parts = append(pv.Parts, s.text)
		pv.Count = append(pv.Count, textRules.Length(s.text))
		what := "text"
		if s.media != nil {
			what = fmt.Sprintf("%d media, caption %d/%d", len(s.media), captionRules.Length(s.text), captionRules.Limit)
		}
		if i > 0 {
			what += fmt.Sprintf(", reply to message %d", i)
		}
		extra = append(extra, fmt.Sprintf("message %d: %s", i+1, what))
	}
	pv.Extra = strings.Join(extra, "\n")
	return pv
}
