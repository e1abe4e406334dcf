package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/messages"
	"github.com/crieur/crieur/publishers/multipart"
)

// Publish sends the post's messages in order, each after the first as a reply
// to the one before, and returns the first message. Messages an earlier
// attempt sent (post.Live) are not sent again: it resumes after them.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	steps := p.plan(post)
	var res publishers.Result
	var replyTo int64
	next, live := post.Resume()
	if next > 0 {
		res = live[0].Result
		replyTo, _ = strconv.ParseInt(live[next-1].RemoteID, 10, 64)
	}
	for i, s := range steps {
		if i < next {
			continue
		}
		var m message
		var err error
		if s.media != nil {
			m, err = p.sendMedia(ctx, s.media, s.text, replyTo)
		} else {
			m, err = p.sendText(ctx, s.text, replyTo)
		}
		if err != nil {
			if i == 0 {
				return res, err
			}
			return res, messages.Partial(err, i, len(steps), res.RemoteID)
		}
		if i == 0 {
			res = p.result(m)
		}
		replyTo = m.MessageID
		if err := post.Confirm(publishers.PartResult{Index: i, Result: p.result(m)}); err != nil {
			return res, messages.Partial(err, i+1, len(steps), res.RemoteID)
		}
	}
	return res, nil
}

func (p *Publisher) sendText(ctx context.Context, text string, replyTo int64) (message, error) {
	params := map[string]any{"chat_id": p.chatID, "text": text}
	if p.parseMode != "" {
		params["parse_mode"] = p.parseMode
	}
	if replyTo != 0 {
		params["reply_parameters"] = map[string]int64{"message_id": replyTo}
	}
	var m message
	err := p.callJSON(ctx, "sendMessage", params, &m)
	return m, err
}

// inputMedia is the Bot API's InputMediaPhoto / InputMediaVideo.
type inputMedia struct {
	Type      string `json:"type"`
	Media     string `json:"media"`
	Caption   string `json:"caption,omitempty"`
	ParseMode string `json:"parse_mode,omitempty"`
}

// sendMedia sends one photo or video (sendPhoto, sendVideo) or an album
// (sendMediaGroup, the caption on its first item so that it shows under the
// album). Local files are uploaded; URLs are fetched by Telegram.
func (p *Publisher) sendMedia(ctx context.Context, media []publishers.Media, caption string, replyTo int64) (message, error) {
	fields := []multipart.Field{{Name: "chat_id", Value: p.chatID}}
	if replyTo != 0 {
		fields = append(fields, multipart.Field{Name: "reply_parameters", Value: fmt.Sprintf(`{"message_id":%d}`, replyTo)})
	}
	if len(media) == 1 {
		kind := kindOf(media[0].Path)
		if caption != "" {
			fields = append(fields, multipart.Field{Name: "caption", Value: caption})
			if p.parseMode != "" {
				fields = append(fields, multipart.Field{Name: "parse_mode", Value: p.parseMode})
			}
		}
		fields = append(fields, mediaField(kind, media[0].Path))
		var m message
		err := p.callForm(ctx, "send"+strings.ToUpper(kind[:1])+kind[1:], fields, &m)
		return m, err
	}

	items := make([]inputMedia, len(media))
	var files []multipart.Field
	for i, m := range media {
		items[i] = inputMedia{Type: kindOf(m.Path), Media: m.Path}
		if !isURL(m.Path) {
			name := "file" + strconv.Itoa(i)
			items[i].Media = "attach://" + name
			files = append(files, multipart.Field{Name: name, Path: m.Path, Limit: uploadLimit(items[i].Type)})
		}
	}
	if caption != "" {
		items[0].Caption, items[0].ParseMode = caption, p.parseMode
	}
	list, err := json.Marshal(items)
	if err != nil {
		return message{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	fields = append(fields, multipart.Field{Name: "media", Value: string(list)})
	fields = append(fields, files...)
	var album []message
	if err := p.callForm(ctx, "sendMediaGroup", fields, &album); err != nil {
		return message{}, err
	}
	if len(album) == 0 {
		return message{}, &publishers.Error{Class: publishers.Permanent, Message: "sendMediaGroup: the answer lists no message"}
	}
	return album[0], nil
}

// mediaField is the photo or video part: the file, or the URL Telegram fetches.
func mediaField(kind, path string) multipart.Field {
	if isURL(path) {
		return multipart.Field{Name: kind, Value: path}
	}
	return multipart.Field{Name: kind, Path: path, Limit: uploadLimit(kind)}
}

// uploadLimit is the most bytes Telegram takes in an upload of that kind.
func uploadLimit(kind string) int64 {
	if kind == "photo" {
		return maxPhoto
	}
	return maxUpload
}

// result describes the first message. Only messages of public chats (those
// with a username) have a t.me link.
func (p *Publisher) result(m message) publishers.Result {
	res := publishers.Result{RemoteID: strconv.FormatInt(m.MessageID, 10), PublishedAt: p.cfg.Clock().UTC()}
	if m.Date > 0 {
		res.PublishedAt = time.Unix(m.Date, 0).UTC()
	}
	name := p.publicChat()
	if m.Chat.Username != "" && m.Chat.Type != "private" {
		name = m.Chat.Username
	}
	if name != "" {
		res.RemoteURL = "https://t.me/" + name + "/" + res.RemoteID
	}
	return res
}

// Check reads the bot's identity (getMe) and the chat (getChat): both fail
// on a wrong token or a chat the bot cannot see, and neither posts anything.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var me user
	if err := p.callJSON(ctx, "getMe", map[string]any{}, &me); err != nil {
		return "", err
	}
	var c chat
	if err := p.callJSON(ctx, "getChat", map[string]any{"chat_id": p.chatID}, &c); err != nil {
		return "", err
	}
	where := c.Title
	if where == "" {
		where = p.chatID
	}
	return fmt.Sprintf("bot @%s reaches %s %q", me.Username, c.Type, where), nil
}
