package telegram

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
	"github.com/crieur/crieur/publishers/messages"
	"github.com/crieur/crieur/publishers/multipart"
)

// Limits of the Bot API, counted in UTF-16 code units after entity parsing.
// With parse_mode set, markup counts here but not for Telegram, so the check
// errs on the safe side.
var (
	textRules    = publishers.Rules{Limit: 4096, Unit: "UTF-16 units", Count: publishers.CountUTF16}
	captionRules = publishers.Rules{Limit: 1024, Unit: "UTF-16 units", Count: publishers.CountUTF16}
)

// The Bot API's limits for uploaded files (core.telegram.org/bots/api,
// "Sending files": photos up to 10 MB, other files up to 50 MB).
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

// step is one message to send: text, or media with text as its caption.
type step struct {
	text  string
	media []publishers.Media
}

// pieces renders the post's text into messages: explicit thread parts as
// given, else the text split at sentence and word bounds.
func (p *Publisher) pieces(post publishers.Post) []messages.Piece {
	return messages.Pieces(post, textRules, func(text string) string { return p.render(post, text) })
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
		texts = append(texts, pc.Text)
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
	probs := messages.Check(p.pieces(post), len(post.Media), textRules)
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
	size, err := multipart.FileSize(m.Path)
	switch {
	case err != nil:
		return err.Error()
	case kind == "photo" && size > maxPhoto:
		return fmt.Sprintf("%s is %d bytes, Telegram takes photos up to 10 MB", m.Path, size)
	case size > maxUpload:
		return fmt.Sprintf("%s is %d bytes, Telegram takes uploads up to 50 MB", m.Path, size)
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
