package x

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// request is one call to the API; body is built again for each sending
// (a retry after a refreshed token sends it twice).
type request struct {
	method, path string
	body         func() (io.Reader, string, error) // nil: no body
	out          any                               // decoded from a 2xx JSON answer, if set
}

// jsonBody is a request body of v as JSON.
func jsonBody(v any) func() (io.Reader, string, error) {
	return func() (io.Reader, string, error) {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, "", err
		}
		return bytes.NewReader(data), "application/json", nil
	}
}

// do sends one authenticated request: the only place the access token is
// attached to a request. The channel's OAuth session (oauth.Session.Do)
// gives the token, renews it before it expires, and after a 401 renews it
// and sends the request once more; a second 401 pauses the channel with
// `crieur channel login NAME`. It returns the answer's headers, and a
// classified error for anything but a 2xx. The token never reaches an
// error: X's words are kept, and the registry's Redactor removes the
// channel's secrets besides.
func (p *Publisher) do(ctx context.Context, r request) (http.Header, error) {
	resp, err := p.sess.Do(ctx, func(token string) (*http.Response, error) { return p.send(ctx, r, token) })
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.Header, publishers.Transport(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, p.classify(resp, data)
	}
	if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r.out); err != nil {
			// A 2xx that is not the API's JSON is a proxy or a maintenance
			// page: the request may not have been seen.
			return resp.Header, &publishers.Error{Class: publishers.Transient, Status: resp.StatusCode,
				Message: r.method + " " + pathOnly(r.path) + ": the answer is not X's JSON", Err: err}
		}
	}
	return resp.Header, nil
}

// send builds and sends one request with token (again for each sending:
// its body is built anew).
func (p *Publisher) send(ctx context.Context, r request, token string) (*http.Response, error) {
	var rd io.Reader
	ctype := ""
	if r.body != nil {
		b, ct, err := r.body()
		if err != nil {
			return nil, &publishers.Error{Class: publishers.Permanent, Message: "encoding the request", Err: err}
		}
		rd, ctype = b, ct
	}
	req, err := http.NewRequestWithContext(ctx, r.method, p.base+r.path, rd)
	if err != nil {
		return nil, &publishers.Error{Class: publishers.Permanent, Message: "building the request", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crieur")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, publishers.Transport(err)
	}
	return resp, nil
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// errDuplicate marks X's refusal of a text the account already posted.
var errDuplicate = errors.New("duplicate content")

// classify turns an answer that is not a 2xx into a classified error (a
// 401 never comes here: the session renews the token, then pauses the
// channel with `crieur channel login NAME`); a 403 for duplicate content is
// marked (errDuplicate) for Publish to look the post up; a 429 waits until
// the limit X names resets.
func (p *Publisher) classify(resp *http.Response, body []byte) *publishers.Error {
	msg := errorMessage(body)
	e := publishers.FromResponse(resp, msg, p.now())
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "duplicate"):
		e.Class, e.Err = publishers.Permanent, errDuplicate
	case resp.StatusCode == http.StatusForbidden:
		p.forbidden(e, body)
	case resp.StatusCode == http.StatusTooManyRequests:
		e.RetryAfter = rateLimitWait(resp.Header, p.now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = 15 * time.Minute // X's windows are 15 minutes
		}
	}
	return e
}

// errNotPermitted marks X's bare "You are not permitted to perform this
// action": about the post when it answers a reply (Publish decides), about
// the account otherwise.
var errNotPermitted = errors.New("not permitted")

// forbidden sorts a 403 (other than duplicate content) by X's problem type
// and words (https://docs.x.com/x-api/fundamentals/response-codes-and-errors):
// one about the app or the account (client-forbidden: the app is not in a
// Project with access; unsupported-authentication: not a user's token; a
// token without the scopes or an app without write permission; a suspended
// or locked account) pauses the channel (Auth) and says what to do; one
// about this post (not-authorized-for-resource and disallowed-resource: a
// post it may not reply to or see; a reply restricted by its author; a text
// X refuses) fails the delivery alone (Permanent), in X's words. A 403 it
// does not recognise pauses the channel, as before: a person looks.
func (p *Publisher) forbidden(e *publishers.Error, body []byte) {
	var pr struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(body, &pr)
	kind := pr.Type[strings.LastIndexByte(pr.Type, '/')+1:]
	words := strings.ToLower(e.Message)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(words, s) {
				return true
			}
		}
		return false
	}
	login := p.sess.Fix()
	switch {
	case kind == "client-forbidden" || pr.Reason == "client-not-enrolled" || pr.Reason == "official-client-forbidden" || has("attached to a project", "enrolled"):
		e.Class = publishers.Auth
		e.Message += " — in X's developer console, attach the channel's app (its client_id) to a Project whose access includes posting, then log in again"
		e.Fix = login
	case kind == "unsupported-authentication":
		e.Class, e.Fix = publishers.Auth, login
		e.Message += " — the channel's token is not an account's: log in as the account"
	case has("suspended", "locked", "temporarily restricted"):
		e.Class = publishers.Auth
		e.Fix = "sign in at x.com as the account and follow X's steps until the restriction is lifted"
	case has("scope", "oauth1 app permissions", "client app is not configured", "app permissions"):
		e.Class, e.Fix = publishers.Auth, login
		e.Message += " — set the app's permissions to \"Read and write\" in X's developer console, then log in again (crieur asks for tweet.write)"
	case kind == "not-authorized-for-resource" || kind == "disallowed-resource" || kind == "resource-not-found" || kind == "resource-unavailable",
		has("reply to this conversation", "not allowed to reply", "replies are restricted", "exclusive", "might be automated"):
		e.Class = publishers.Permanent
	case has("not permitted to perform this action"):
		e.Err = errNotPermitted // Auth unless it answers a reply (Publish)
	}
}

// rateLimitWait reads how long X asks to wait after a 429 (rate limits,
// https://docs.x.com/x-api/fundamentals/rate-limits): until
// x-rate-limit-reset (a Unix time) for the 15-minute window, or, when a
// 24-hour limit of the user or of the app is spent (its remaining is 0),
// until that limit's reset, whichever is later.
func rateLimitWait(h http.Header, now time.Time) time.Duration {
	var until time.Time
	later := func(reset string) {
		n, err := strconv.ParseInt(strings.TrimSpace(h.Get(reset)), 10, 64)
		if err != nil || n <= 0 {
			return
		}
		if t := time.Unix(n, 0); t.After(until) {
			until = t
		}
	}
	later("x-rate-limit-reset")
	for _, who := range []string{"user", "app"} {
		if strings.TrimSpace(h.Get("x-"+who+"-limit-24hour-remaining")) == "0" {
			later("x-" + who + "-limit-24hour-reset")
		}
	}
	if until.IsZero() {
		return publishers.RetryAfter(h, now)
	}
	if d := until.Sub(now); d > 0 {
		return d
	}
	return time.Second
}

// errorMessage takes X's words from an error answer: an HTTP problem
// object ({"title", "detail"}, RFC 7807, as the v2 endpoints answer), or
// {"errors": [{"message"}|{"detail"}]}.
func errorMessage(body []byte) string {
	var e struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
			Detail  string `json:"detail"`
			Title   string `json:"title"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.Detail != "":
			return e.Detail
		case len(e.Errors) > 0 && e.Errors[0].Detail != "":
			return e.Errors[0].Detail
		case len(e.Errors) > 0 && e.Errors[0].Message != "":
			return e.Errors[0].Message
		case e.Title != "":
			return e.Title
		case len(e.Errors) > 0:
			return e.Errors[0].Title
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 || strings.HasPrefix(s, "<") {
		return ""
	}
	return s
}

// wait pauses between checks of a processing upload; it gives up when ctx does.
func wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return publishers.Transport(ctx.Err())
	}
}

// prefix says where in a multi-step publish an error happened, keeping its class.
func prefix(err error, where string) error {
	var pe *publishers.Error
	if errors.As(err, &pe) {
		cp := *pe
		cp.Message = where + ": " + pe.Message
		return &cp
	}
	return fmt.Errorf("%s: %w", where, err)
}
