package discord

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// textRules: a message's content holds 2,000 characters (code points).
var textRules = publishers.Rules{Limit: 2000, Unit: "characters", Count: publishers.CountRunes}

const (
	maxFiles = 10   // attachments per message
	maxAlt   = 1024 // characters of an attachment description
)

// payload is the JSON of one webhook execution.
type payload struct {
	Content         string          `json:"content,omitempty"`
	AllowedMentions allowedMentions `json:"allowed_mentions"`
	Attachments     []attachment    `json:"attachments,omitempty"`
}

type allowedMentions struct {
	Parse []string `json:"parse"` // empty, not null: nothing pings
}

type attachment struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// piece is one message's text and the field Validate reports it under.
type piece struct {
	field string
	text  string
}

// pieces cuts the post into messages: explicit thread parts as given, else
// the text split at sentence and word bounds. Discord renders Markdown, so
// the text is sent as written.
func pieces(post publishers.Post) []piece {
	text := withLink(strings.TrimSpace(post.Text), post.Link)
	var out []piece
	if len(post.Thread) == 0 {
		for _, s := range publishers.Split(text, textRules, false) {
			if s != "" {
				out = append(out, piece{"text", s})
			}
		}
		return out
	}
	if text != "" {
		out = append(out, piece{"text", text})
	}
	for i, t := range post.Thread {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, piece{fmt.Sprintf("thread[%d]", i), t})
		}
	}
	return out
}

// Validate checks lengths and attachments without calling the network.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	pcs := pieces(post)
	var probs []publishers.Problem
	if len(pcs) == 0 && len(post.Media) == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "nothing to post"})
	}
	for _, pc := range pcs {
		probs = append(probs, textRules.Check(pc.field, pc.text)...)
	}
	if len(post.Media) > maxFiles {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d files, Discord takes at most %d per message", len(post.Media), maxFiles)})
	}
	for i, m := range post.Media {
		if msg := p.checkMedia(m); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// checkMedia returns why Discord would refuse one attachment, or "".
func (p *Publisher) checkMedia(m publishers.Media) string {
	if l := strings.ToLower(m.Path); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
		return "a webhook uploads local files; put an image URL in the text instead"
	}
	if n := textRules.Length(m.Alt); n > maxAlt {
		return fmt.Sprintf("alt text is %d characters, Discord takes %d", n, maxAlt)
	}
	info, err := os.Stat(m.Path)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot read %s: %v", m.Path, err)
	case !info.Mode().IsRegular():
		return fmt.Sprintf("%s is not a file", m.Path)
	case info.Size() == 0:
		return fmt.Sprintf("%s is empty", m.Path)
	case info.Size() > p.maxUpload:
		return fmt.Sprintf("%s is %d bytes, over the upload limit of %d MB (setting max_upload_mb)", m.Path, info.Size(), p.maxUpload>>20)
	}
	return ""
}

// Publish sends the post as one message per piece, the media with the first.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, invalid(probs)
	}
	pcs := pieces(post)
	if len(pcs) == 0 {
		pcs = []piece{{field: "text"}} // media alone
	}
	var res publishers.Result
	for i, pc := range pcs {
		pl := payload{Content: pc.text, AllowedMentions: allowedMentions{Parse: p.mentions}}
		var files []string
		if i == 0 {
			for j, m := range post.Media {
				pl.Attachments = append(pl.Attachments, attachment{ID: j, Filename: filepath.Base(m.Path), Description: m.Alt})
				files = append(files, m.Path)
			}
		}
		m, err := p.execute(ctx, pl, files)
		if err != nil {
			if i == 0 {
				return res, err
			}
			return res, partial(err, i, len(pcs), res.RemoteID)
		}
		if i == 0 {
			res = p.result(ctx, m)
		}
	}
	return res, nil
}

// result describes the first message; its link needs the server's id, which
// the webhook knows.
func (p *Publisher) result(ctx context.Context, m message) publishers.Result {
	res := publishers.Result{RemoteID: m.ID, PublishedAt: p.cfg.Clock().UTC()}
	if t, err := time.Parse(time.RFC3339Nano, m.Timestamp); err == nil {
		res.PublishedAt = t.UTC()
	}
	guild := m.GuildID
	if guild == "" {
		guild = p.guild(ctx)
	}
	if guild != "" && m.ChannelID != "" && m.ID != "" {
		res.RemoteURL = "https://discord.com/channels/" + guild + "/" + m.ChannelID + "/" + m.ID
	}
	return res
}

// Preview shows the messages a post becomes.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{Limit: textRules.Limit, Unit: textRules.Unit, Problems: p.Validate(post)}
	for _, pc := range pieces(post) {
		pv.Parts = append(pv.Parts, pc.text)
		pv.Count = append(pv.Count, textRules.Length(pc.text))
	}
	if n := len(post.Media); n > 0 {
		pv.Extra = fmt.Sprintf("%d attachment(s) with the first message", n)
	}
	return pv
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

// invalid is the error for a post Validate refuses.
func invalid(probs []publishers.Problem) *publishers.Error {
	msgs := make([]string, len(probs))
	for i, pr := range probs {
		msgs[i] = pr.String()
	}
	return &publishers.Error{Class: publishers.Permanent, Message: strings.Join(msgs, "; ")}
}

// partial reports messages cut short after the first ones went out. Retrying
// would post those again, so it is permanent whatever the cause; the first
// message's id is kept so that the calendar records it.
func partial(err error, sent, total int, firstID string) *publishers.Error {
	e := &publishers.Error{Class: publishers.Permanent, Err: err,
		Message: fmt.Sprintf("only %d of %d messages published (first: %s), not retried to avoid duplicates: %v", sent, total, firstID, err)}
	var pe *publishers.Error
	if errors.As(err, &pe) {
		e.Status = pe.Status
	}
	return e
}
