package discord

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/messages"
	"github.com/crieur/crieur/publishers/multipart"
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

// pieces cuts the post into messages. Discord renders Markdown, so the text
// is sent as written.
func pieces(post publishers.Post) []messages.Piece {
	return messages.Pieces(post, textRules, strings.TrimSpace)
}

// Validate checks lengths and attachments without calling the network.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	probs := messages.Check(pieces(post), len(post.Media), textRules)
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
	size, err := multipart.FileSize(m.Path)
	switch {
	case err != nil:
		return err.Error()
	case size > p.maxUpload:
		return fmt.Sprintf("%s is %d bytes, over the upload limit of %d MB (setting max_upload_mb)", m.Path, size, p.maxUpload>>20)
	}
	return ""
}

// Publish sends the post as one message per piece, the media with the first.
// Messages an earlier attempt sent (post.Live) are not sent again.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	pcs := pieces(post)
	if len(pcs) == 0 {
		pcs = []messages.Piece{{Field: "text"}} // media alone
	}
	var res publishers.Result
	next, live := post.Resume()
	if next > 0 {
		res = live[0].Result
	}
	for i, pc := range pcs {
		if i < next {
			continue
		}
		pl := payload{Content: pc.Text, AllowedMentions: allowedMentions{Parse: p.mentions}}
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
			return res, messages.Partial(err, i, len(pcs), res.RemoteID)
		}
		part := p.result(ctx, m)
		if i == 0 {
			res = part
		}
		if err := post.Confirm(publishers.PartResult{Index: i, Result: part}); err != nil {
			return res, messages.Partial(err, i+1, len(pcs), res.RemoteID)
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
		pv.Parts = append(pv.Parts, pc.Text)
		pv.Count = append(pv.Count, textRules.Length(pc.Text))
	}
	if n := len(post.Media); n > 0 {
		pv.Extra = fmt.Sprintf("%d attachment(s) with the first message", n)
	}
	return pv
}
