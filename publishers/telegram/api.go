package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/multipart"
)

// envelope is the Bot API's answer to every method.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      float64 `json:"retry_after"`
		MigrateToChatID int64   `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// message is the part of a Bot API Message this adapter reads.
type message struct {
	MessageID int64 `json:"message_id"`
	Date      int64 `json:"date"`
	Chat      chat  `json:"chat"`
}

type chat struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Username string `json:"username"`
}

type user struct {
	FirstName string `json:"first_name"`
	Username  string `json:"username"`
}

// callJSON calls a method with a JSON body.
func (p *Publisher) callJSON(ctx context.Context, method string, params map[string]any, out any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return &publishers.Error{Class: publishers.Permanent, Message: method + ": " + err.Error(), Err: err}
	}
	return p.call(ctx, method, bytes.NewReader(body), 0, "application/json", out)
}

// callForm calls a method with a multipart form.
func (p *Publisher) callForm(ctx context.Context, method string, fields []multipart.Field, out any) error {
	f, err := multipart.Stream(fields)
	if err != nil {
		return &publishers.Error{Class: publishers.Permanent, Message: method + ": " + err.Error(), Err: err}
	}
	return p.call(ctx, method, f.Body, f.Length, f.ContentType, out)
}

// call sends one request to the Bot API and decodes its result into out;
// length is the body's when the request cannot tell it (a stream). The token
// sits in the URL path, so no error it returns may quote the URL.
func (p *Publisher) call(ctx context.Context, method string, body io.Reader, length int64, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.api+"/bot"+p.token+"/"+method, body)
	if err != nil {
		if c, ok := body.(io.Closer); ok {
			_ = c.Close()
		}
		return p.transport(method, err)
	}
	if length > 0 {
		req.ContentLength = length
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := p.cfg.Client().Do(req)
	if err != nil {
		return p.transport(method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return p.transport(method, err)
	}
	var env envelope
	parsed := json.Unmarshal(data, &env) == nil
	if resp.StatusCode/100 != 2 || !parsed || !env.OK {
		return p.failure(method, resp, env, parsed)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		// The method succeeded; only its answer is unreadable. Posting again
		// would duplicate the post, so this is not retried.
		return &publishers.Error{Class: publishers.Permanent, Status: resp.StatusCode,
			Message: method + ": unreadable answer: " + err.Error(), Err: err}
	}
	return nil
}

// failure classifies a Bot API error. The HTTP status and error_code agree;
// 429 carries its wait in parameters.retry_after.
func (p *Publisher) failure(method string, resp *http.Response, env envelope, parsed bool) *publishers.Error {
	msg := ""
	if parsed {
		msg = p.redact(env.Description)
	}
	e := publishers.FromResponse(resp, msg, p.cfg.Clock())
	if resp.StatusCode/100 == 2 {
		// A 2xx whose body is not a Bot API answer: the post may be out, so
		// it is not retried blindly.
		e.Class = publishers.Permanent
		e.Message = "unexpected answer from the Bot API"
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		if env.Parameters.RetryAfter > 0 {
			e.RetryAfter = time.Duration(env.Parameters.RetryAfter * float64(time.Second))
		}
	case http.StatusNotFound:
		// The Bot API answers 404 to a token it does not know.
		e.Class = publishers.Auth
		e.Message += " (check the bot_token and the api setting)"
	}
	if id := env.Parameters.MigrateToChatID; id != 0 {
		e.Message += fmt.Sprintf(" (the group became a supergroup: set chat_id to %d)", id)
	}
	e.Message = method + ": " + e.Message
	return e
}

// transport turns a failed request into a transient error that names the
// method, never the URL holding the token.
func (p *Publisher) transport(method string, err error) *publishers.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = &url.Error{Op: ue.Op, URL: p.api + "/bot<bot_token>/" + method, Err: ue.Err}
	}
	e := publishers.Transport(err)
	e.Message = p.redact(e.Message)
	return e
}

// redact removes the token from a text that may echo it.
func (p *Publisher) redact(s string) string {
	if p.token == "" {
		return s
	}
	return strings.ReplaceAll(s, p.token, "<bot_token>")
}
