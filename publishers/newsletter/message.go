package newsletter

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// message is one post as an email: the go-mail message and what a preview shows.
type message struct {
	msg     *gomail.Msg
	id      string // Message-ID with its angle brackets
	subject string
	text    string
	html    string
	headers []string // "Name: value", in the order a reader sees them
}

const undisclosed = "undisclosed-recipients:;"

// imageTypes are the image formats mail clients show inline.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// sniffImage returns the content type of an image file from its first bytes.
func sniffImage(path string) (string, error) {
	f, _, err := safefile.Open(path, false) // a FIFO would hang, a device never end
	if err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("%s: no such file", path)
		}
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", fmt.Errorf("%s: %v", path, err)
	}
	ct := http.DetectContentType(head[:n])
	if !imageTypes[ct] {
		return "", fmt.Errorf("%s is %s, not a PNG, JPEG, GIF or WebP image", path, ct)
	}
	return ct, nil
}

// messageID derives the Message-ID's left part from the delivery, so every
// attempt of one delivery carries the same id. Characters a Message-ID may not
// hold are escaped as =XX ('=' included), which keeps distinct keys distinct.
func messageID(post publishers.Post) string {
	key := post.IdempotencyKey
	if key == "" {
		key = fmt.Sprintf("delivery-%d", post.DeliveryID)
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c != '=' && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-/?^_`{|}~", c) >= 0 ||
			c == '.' && i > 0 && i < len(key)-1 && key[i-1] != '.') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "=%02X", c)
	}
	return b.String() + "@crieur"
}

// subject is the post's title, else the first line of its text.
func subject(post publishers.Post) string {
	s := strings.TrimSpace(post.Title)
	if s == "" {
		if post.Markdown {
			s = longform.FirstLine(post.Text)
		} else {
			s, _, _ = strings.Cut(strings.TrimSpace(post.Text), "\n")
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:199]) + "…"
	}
	return s
}

// build turns a post into an email to rcpts. Media files are embedded with a
// Content-ID; an image the Markdown already shows by the same path is pointed
// at it, the others are shown after the body.
func (p *Publisher) build(post publishers.Post, rcpts []*mail.Address, now time.Time) (*message, error) {
	m := &message{id: "<" + messageID(post) + ">", subject: subject(post)}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(p.from)
	if len(rcpts) == 1 {
		msg.ToMailAddress(rcpts...)
		m.headers = append(m.headers, "From: "+p.from.String(), "To: "+rcpts[0].String())
	} else {
		// Several readers must not see each other's addresses: they go in the
		// envelope only (Bcc), and To is the empty group of RFC 5322.
		msg.BccMailAddress(rcpts...)
		msg.SetGenHeaderPreformatted(gomail.Header(gomail.HeaderTo), undisclosed)
		m.headers = append(m.headers, "From: "+p.from.String(), "To: "+undisclosed,
			fmt.Sprintf("Bcc: %d recipients", len(rcpts)))
	}
	msg.Subject(m.subject)
	msg.SetDateWithValue(now)
	msg.SetMessageIDWithValue(strings.Trim(m.id, "<>"))
	msg.SetUserAgent("crieur")
	m.headers = append(m.headers, "Subject: "+m.subject, "Date: "+now.Format(time.RFC1123Z), "Message-ID: "+m.id)
	if p.unsubscribe != "" {
		if strings.HasPrefix(p.unsubscribe, "https:") {
			if err := msg.SetListUnsubscribeOneClick(p.unsubscribe); err != nil {
				return nil, err
			}
			m.headers = append(m.headers, "List-Unsubscribe: <"+p.unsubscribe+">", "List-Unsubscribe-Post: List-Unsubscribe=One-Click")
		} else {
			msg.SetListUnsubscribe(p.unsubscribe)
			m.headers = append(m.headers, "List-Unsubscribe: <"+p.unsubscribe+">")
		}
	}

	// Embed the media and map their paths to cid: references.
	cids := map[string]string{}
	type inline struct{ cid, alt string }
	var images []inline
	for i, media := range post.Media {
		ct, err := sniffImage(media.Path)
		if err != nil {
			return nil, fmt.Errorf("media[%d]: %w", i, err)
		}
		cid := fmt.Sprintf("media%d.%s", i, messageID(post))
		msg.EmbedFile(media.Path,
			gomail.WithFileContentID("<"+cid+">"),
			gomail.WithFileName(filepath.Base(media.Path)),
			gomail.WithFileContentType(gomail.ContentType(ct)),
			gomail.WithFileDescription(media.Alt))
		cids[media.Path] = cid
		cids[filepath.Base(media.Path)] = cid
		images = append(images, inline{cid, media.Alt})
	}

	var body, text string
	shown := map[string]bool{}
	if post.Markdown {
		var err error
		body, err = longform.Render(post.Text, longform.Options{Image: func(dest string) string {
			if cid, ok := cids[dest]; ok {
				shown[cid] = true
				return "cid:" + cid
			}
			return ""
		}})
		if err != nil {
			return nil, err
		}
		text = longform.PlainText(post.Text)
	} else {
		body = longform.TextHTML(post.Text)
		text = strings.TrimSpace(post.Text)
	}
	var extraHTML, extraText []string
	for _, img := range images {
		if shown[img.cid] {
			continue
		}
		extraHTML = append(extraHTML, fmt.Sprintf(`<p><img src="cid:%s" alt="%s"></p>`, img.cid, html.EscapeString(img.alt)))
		if img.alt != "" {
			extraText = append(extraText, "[image: "+img.alt+"]")
		}
	}
	if !publishers.HasLink(post.Text, post.Link) {
		extraHTML = append(extraHTML, fmt.Sprintf(`<p><a href="%s">%s</a></p>`, html.EscapeString(post.Link), html.EscapeString(post.Link)))
		extraText = append(extraText, post.Link)
	}
	if p.unsubscribe != "" {
		extraHTML = append(extraHTML, fmt.Sprintf(`<p style="font-size:small"><a href="%s">Unsubscribe</a></p>`, html.EscapeString(p.unsubscribe)))
		extraText = append(extraText, "Unsubscribe: "+p.unsubscribe)
	}
	m.html = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.EscapeString(m.subject) +
		"</title></head>\n<body>\n" + body + strings.Join(extraHTML, "\n") + "\n</body></html>\n"
	m.text = strings.TrimSpace(strings.Join(append([]string{text}, extraText...), "\n\n")) + "\n"

	msg.SetBodyString(gomail.TypeTextPlain, m.text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.html)
	m.msg = msg
	return m, nil
}

// Preview shows the headers and the text part; Extra is the HTML part.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{Unit: "characters", Problems: p.Validate(post)}
	rcpts, _ := p.recipients() // on error, Validate has reported it and To shows no one
	var ok []publishers.Media
	for _, m := range post.Media {
		if _, err := sniffImage(m.Path); err == nil {
			ok = append(ok, m) // Validate already reports the others
		}
	}
	post.Media = ok
	m, err := p.build(post, rcpts, p.cfg.Clock())
	if err != nil {
		pv.Problems = append(pv.Problems, publishers.Problem{Message: err.Error()})
		return pv
	}
	part := strings.Join(m.headers, "\n") + "\n\n" + m.text
	pv.Parts = []string{part}
	pv.Count = []int{len([]rune(part))}
	pv.Extra = m.html
	return pv
}
