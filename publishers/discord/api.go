package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/multipart"
)

// message is the part of a Discord message object this adapter reads.
type message struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
	Timestamp string `json:"timestamp"`
}

// webhook is the part of a webhook object this adapter reads.
type webhook struct {
	Name      string `json:"name"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
}

// apiError is Discord's error body; a 429 adds retry_after in seconds.
type apiError struct {
	Message    string          `json:"message"`
	Code       int             `json:"code"`
	Errors     json.RawMessage `json:"errors"`
	RetryAfter float64         `json:"retry_after"`
}

// do sends one request to the webhook and decodes a success into out.
// length is the body's when the request cannot tell it (a stream).
func (p *Publisher) do(ctx context.Context, method string, query url.Values, body io.Reader, length int64, contentType string, out any) error {
	u := *p.webhook
	q := u.Query()
	for k, v := range query {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		if c, ok := body.(io.Closer); ok {
			_ = c.Close()
		}
		return p.transport(err)
	}
	if length > 0 {
		req.ContentLength = length
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := p.cfg.Client().Do(req)
	if err != nil {
		return p.transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return p.transport(err)
	}
	if resp.StatusCode/100 != 2 {
		return p.failure(resp, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		// The webhook ran; only its answer is unreadable. Posting again would
		// duplicate the message, so this is not retried.
		return &publishers.Error{Class: publishers.Permanent, Status: resp.StatusCode,
			Message: "unreadable answer from Discord: " + err.Error(), Err: err}
	}
	return nil
}

// failure classifies an error answer: 404 is a deleted webhook, which only a
// person can replace, and a 429 says its wait in the body as well as in
// Retry-After.
func (p *Publisher) failure(resp *http.Response, data []byte) *publishers.Error {
	var ae apiError
	msg := ""
	if json.Unmarshal(data, &ae) == nil {
		msg = ae.Message
		if details := fieldErrors(ae.Errors); details != "" {
			msg += " (" + details + ")"
		}
	} else if text := strings.TrimSpace(string(data)); len(text) <= 200 && !strings.HasPrefix(text, "<") {
		msg = text // a proxy's short plain-text answer; HTML pages say nothing useful
	}
	e := publishers.FromResponse(resp, p.redact(msg), p.cfg.Clock())
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		if ae.RetryAfter > 0 {
			e.RetryAfter = time.Duration(ae.RetryAfter * float64(time.Second))
		}
	case http.StatusNotFound:
		e.Class = publishers.Auth
		e.Message += " (the webhook was deleted: create one and update the secret webhook_url)"
	}
	return e
}

// fieldErrors flattens Discord's nested form errors
// ({"content":{"_errors":[{"message":"…"}]}}) into "content: …".
func fieldErrors(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var tree map[string]json.RawMessage
	if json.Unmarshal(raw, &tree) != nil {
		return ""
	}
	var out []string
	var walk func(path string, node map[string]json.RawMessage)
	walk = func(path string, node map[string]json.RawMessage) {
		keys := make([]string, 0, len(node))
		for k := range node {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "_errors" {
				var list []struct {
					Message string `json:"message"`
				}
				_ = json.Unmarshal(node[k], &list)
				for _, e := range list {
					out = append(out, strings.TrimPrefix(path+": ", ": ")+e.Message)
				}
				continue
			}
			var child map[string]json.RawMessage
			if json.Unmarshal(node[k], &child) == nil {
				walk(strings.TrimPrefix(path+"."+k, "."), child)
			}
		}
	}
	walk("", tree)
	return strings.Join(out, "; ")
}

// transport turns a failed request into a transient error that never quotes
// the webhook URL.
func (p *Publisher) transport(err error) *publishers.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: "discord webhook", Err: ue.Err}
	}
	e := publishers.Transport(err)
	e.Message = p.redact(e.Message)
	return e
}

// redact removes the webhook's URL and token from a text that may echo them.
func (p *Publisher) redact(s string) string {
	token := p.webhook.Path[strings.LastIndex(p.webhook.Path, "/")+1:]
	if len(token) >= 8 {
		s = strings.ReplaceAll(s, token, "<token>")
	}
	return s
}

// execute runs the webhook once with a JSON payload, or a multipart form
// when there are files.
func (p *Publisher) execute(ctx context.Context, pl payload, files []string) (message, error) {
	var m message
	wait := url.Values{"wait": {"true"}}
	body, err := json.Marshal(pl)
	if err != nil {
		return m, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	if len(files) == 0 {
		return m, p.do(ctx, http.MethodPost, wait, bytes.NewReader(body), 0, "application/json", &m)
	}
	fields := []multipart.Field{{Name: "payload_json", Value: string(body)}}
	for i, f := range files {
		fields = append(fields, multipart.Field{Name: fmt.Sprintf("files[%d]", i), Path: f, Limit: p.maxUpload})
	}
	f, err := multipart.Stream(fields)
	if err != nil {
		return m, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	return m, p.do(ctx, http.MethodPost, wait, f.Body, f.Length, f.ContentType, &m)
}

// Check reads the webhook (GET on its URL): it fails once the webhook is
// deleted and posts nothing.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var w webhook
	if err := p.do(ctx, http.MethodGet, nil, nil, 0, "", &w); err != nil {
		return "", err
	}
	p.setGuild(w.GuildID)
	return fmt.Sprintf("webhook %q posts to channel %s", w.Name, w.ChannelID), nil
}

func (p *Publisher) setGuild(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if id != "" {
		p.guildID = id
	}
}

// guild returns the webhook's server id, reading the webhook once if needed.
// A failure only costs the message link, so it is not reported.
func (p *Publisher) guild(ctx context.Context) string {
	p.mu.Lock()
	id := p.guildID
	p.mu.Unlock()
	if id != "" {
		return id
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var w webhook
	if p.do(ctx, http.MethodGet, nil, nil, 0, "", &w) == nil {
		p.setGuild(w.GuildID)
		return w.GuildID
	}
	return ""
}
