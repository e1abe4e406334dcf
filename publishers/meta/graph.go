// Package meta is what Meta's three networks share: a client of their Graph
// APIs (Facebook Pages on graph.facebook.com, Instagram on
// graph.facebook.com or graph.instagram.com, Threads on graph.threads.net),
// which all answer errors in the same shape and throttle the same way, and
// the container flow Instagram and Threads publish through (container.go)
// and what their publishers share (account.go).
package meta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Doer sends one request with the access token it gives call: the
// channel's OAuth session (oauth.Session.Do, which renews a refused token
// and calls again once), or Static.
type Doer func(ctx context.Context, call func(token string) (*http.Response, error)) (*http.Response, error)

// Static sends the token it holds, never renewed (the login's calls made
// with a token just granted); an empty one sends no Authorization.
func Static(token string) Doer {
	return func(_ context.Context, call func(string) (*http.Response, error)) (*http.Response, error) {
		return call(token)
	}
}

// Refused reports whether a Graph API answer refuses the access token
// (expired, revoked: error code 190; Graph API › Overview › Handling
// Errors): Meta did not act on the request. The networks' oauth.Provider
// use it, so that their session renews the token and retries once.
func Refused(status int, body []byte) bool {
	return status == http.StatusUnauthorized || status >= 400 && errorOf(body).Code == codeToken
}

// Graph is one network's Graph API, authenticated by Auth.
type Graph struct {
	Base    string // scheme and host, no trailing slash: https://graph.facebook.com
	Version string // the path's version: v24.0
	// Auth sends each request with the channel's token; nil sends none
	// (the calls that carry their credentials in their parameters).
	Auth Doer
	HTTP *http.Client
	Now  func() time.Time
	// Name is the network as the user calls it, for messages.
	Name string
	// Hint says how to give the channel a new token (`crieur channel login`).
	Hint string
	// Backoff is the wait for a throttled call whose answer names none.
	Backoff time.Duration
}

// DefaultBackoff is how long a throttled call waits when Meta's headers do
// not say: the platform rate limits are counted over a rolling hour (Graph
// API › Overview › Rate Limiting), so part of it.
const DefaultBackoff = 15 * time.Minute

// URL is the full address of a Graph path at the channel's version.
func (g *Graph) URL(path string) string {
	if g.Version == "" {
		return g.Base + "/" + strings.TrimPrefix(path, "/")
	}
	return g.Base + "/" + g.Version + "/" + strings.TrimPrefix(path, "/")
}

// Get reads path with query q into out.
func (g *Graph) Get(ctx context.Context, path string, q url.Values, out any) error {
	u := g.URL(path)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return g.call(ctx, http.MethodGet, u, func() (io.Reader, string) { return nil, "" }, out)
}

// Post sends form to path (the Graph APIs take a POST's parameters as a
// form) and decodes the answer into out.
func (g *Graph) Post(ctx context.Context, path string, form url.Values, out any) error {
	body := form.Encode()
	return g.call(ctx, http.MethodPost, g.URL(path), func() (io.Reader, string) {
		return strings.NewReader(body), "application/x-www-form-urlencoded"
	}, out)
}

// Upload sends form and a file (as the multipart field named field) to path.
func (g *Graph) Upload(ctx context.Context, path string, form url.Values, field, filename, ctype string, data []byte, out any) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	h.Set("Content-Type", ctype)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(data)
	_ = w.Close()
	body, ct := buf.Bytes(), w.FormDataContentType()
	return g.call(ctx, http.MethodPost, g.URL(path), func() (io.Reader, string) { return bytes.NewReader(body), ct }, out)
}

// call makes one authenticated request. The token goes in the
// Authorization header (never in the URL, which errors may quote). A token
// Meta refuses (401, or error code 190) is renewed by the channel's
// session, which calls again once.
func (g *Graph) call(ctx context.Context, method, u string, body func() (io.Reader, string), out any) error {
	auth := g.Auth
	if auth == nil {
		auth = Static("")
	}
	resp, err := auth(ctx, func(tok string) (*http.Response, error) {
		rd, ct := body()
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, &publishers.Error{Class: publishers.Permanent, Message: "building the request to " + pathOf(u), Err: err}
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		req.Header.Set("User-Agent", "crieur")
		resp, err := g.HTTP.Do(req)
		if err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				// Its URL may carry a query with an app secret (the login
				// kit's exchanges): name the path only.
				err = fmt.Errorf("%s %s: %w", ue.Op, pathOf(ue.URL), ue.Err)
			}
			return nil, publishers.Transport(err)
		}
		return resp, nil
	})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	status, header := resp.StatusCode, resp.Header
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return publishers.Transport(err)
	}
	if status >= 300 && status < 400 {
		return publishers.FromResponse(resp, "", g.now())
	}
	if status < 200 || status > 299 {
		return g.Failure(status, header, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &publishers.Error{Class: publishers.Transient, Status: status, Message: fmt.Sprintf("%s %s: the answer is not %s's JSON", method, pathOf(u), g.Name), Err: err}
		}
	}
	return nil
}

func (g *Graph) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// apiError is the Graph APIs' error body (Graph API › Overview › Handling
// Errors): {"error": {message, type, code, error_subcode, is_transient,
// error_user_msg, fbtrace_id}}.
type apiError struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	UserMsg     string `json:"error_user_msg"`
}

func errorOf(body []byte) apiError {
	var e struct {
		Error apiError `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Error
}

// Error codes of Graph API › Overview › Handling Errors (and Rate Limiting's
// throttling codes).
const (
	codeUnknown       = 1   // API Unknown: retry
	codeService       = 2   // API Service: a temporary issue
	codeAppLimit      = 4   // API Too Many Calls (the app's platform limit)
	codePermission    = 10  // API Permission Denied
	codeUserLimit     = 17  // API User Too Many Calls
	codePageLimit     = 32  // Page-level throttling
	codeToken         = 190 // Access token has expired (or was invalidated)
	codeAppCallLimit  = 341 // Application limit reached
	codePolicyBlocked = 368 // Temporarily blocked for policies violations
	codeDuplicate     = 506 // Duplicate Post
	codeCustomLimit   = 613 // Calls within one hour exceeded
)

// Throttled reports whether code is one of Meta's throttling codes: the
// platform's (4, 17, 32, 341, 613) and the business use case limits
// (80001 to 80014: Pages, Instagram, and the others).
func Throttled(code int) bool {
	switch code {
	case codeAppLimit, codeUserLimit, codePageLimit, codeAppCallLimit, codeCustomLimit:
		return true
	}
	return code >= 80001 && code <= 80014
}

// Failure classifies a Graph API error answer: a refused token is Auth
// (naming the login to run), a missing permission too (naming it), a
// throttled call is RateLimited for as long as Meta's usage headers say,
// a transient or server error is retried, anything else is the post's fault.
func (g *Graph) Failure(status int, header http.Header, body []byte) *publishers.Error {
	e := errorOf(body)
	msg := strings.TrimSpace(e.Message)
	if u := strings.TrimSpace(e.UserMsg); u != "" && !strings.Contains(msg, u) {
		msg += ": " + u
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	if e.Code != 0 {
		msg += fmt.Sprintf(" [code %d", e.Code)
		if e.Subcode != 0 {
			msg += fmt.Sprintf(", subcode %d", e.Subcode)
		}
		msg += "]"
	}
	out := &publishers.Error{Status: status, Message: msg, Err: graphCode{code: e.Code, subcode: e.Subcode}}
	switch {
	case Throttled(e.Code) || status == http.StatusTooManyRequests:
		out.Class = publishers.RateLimited
		out.RetryAfter = Wait(header, g.now())
		if out.RetryAfter <= 0 {
			out.RetryAfter = g.Backoff
		}
		if out.RetryAfter <= 0 {
			out.RetryAfter = DefaultBackoff
		}
	case e.Code == codePolicyBlocked:
		// Meta blocks the account for a while; a person should look.
		out.Class = publishers.RateLimited
		out.RetryAfter = max(g.Backoff, time.Hour)
		out.Message += "; Meta has temporarily blocked the account from posting: check the account's notices"
	case e.Code == codeToken || status == http.StatusUnauthorized:
		out.Class = publishers.Auth
		out.Message += "; " + g.Hint
	case e.Code == codePermission || e.Code >= 200 && e.Code <= 299 || status == http.StatusForbidden:
		out.Class = publishers.Auth
		out.Message += "; the token lacks a permission the call needs: grant it in the app, then " + g.Hint
	case e.IsTransient || e.Code == codeUnknown || e.Code == codeService || status >= 500 || status == http.StatusRequestTimeout:
		out.Class = publishers.Transient
		out.RetryAfter = publishers.RetryAfter(header, g.now())
	default:
		out.Class = publishers.Permanent
	}
	return out
}

// graphCode is the error code of a Graph API answer, kept in the
// classified error (its Err) so that a caller can tell one refusal from
// another.
type graphCode struct{ code, subcode int }

func (c graphCode) Error() string { return fmt.Sprintf("graph error code %d", c.code) }

// Codes of a read of an object that is not there (Graph API › Overview ›
// Handling Errors): 100 with subcode 33, "Object with ID … does not exist,
// cannot be loaded due to missing permissions, or does not support this
// operation"; 803, "Some of the aliases you requested do not exist", as a
// read of several ids (?ids=) answers when one of them is gone.
const (
	codeParameter  = 100
	subcodeMissing = 33
	codeNoAlias    = 803
)

// Gone reports whether err is the Graph API saying the object read does
// not exist (a deleted post: 404, 410, code 100 subcode 33, or code 803).
func Gone(err error) bool {
	var pe *publishers.Error
	if !errors.As(err, &pe) {
		return false
	}
	if pe.Status == http.StatusNotFound || pe.Status == http.StatusGone {
		return true
	}
	var c graphCode
	return errors.As(err, &c) && (c.code == codeParameter && c.subcode == subcodeMissing || c.code == codeNoAlias)
}

// Denied reports whether err is the Graph API refusing a call for a
// permission the token lacks (code 10, or 200 to 299), not the token itself.
func Denied(err error) bool {
	var c graphCode
	return errors.As(err, &c) && (c.code == codePermission || c.code >= 200 && c.code <= 299)
}

// Duplicate reports whether err is Meta refusing a post as a duplicate of
// one it has (code 506).
func Duplicate(body []byte) bool { return errorOf(body).Code == codeDuplicate }

// Wait reads how long Meta asks to wait from its usage headers: the
// business use case header (X-Business-Use-Case-Usage: per business id, a
// list of usages each with estimated_time_to_regain_access in minutes),
// else Retry-After. Zero when none says. X-App-Usage carries percentages only
// (call_count, total_cputime, total_time): it says the app is throttled,
// not for how long.
func Wait(h http.Header, now time.Time) time.Duration {
	var wait time.Duration
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]struct {
			Type   string      `json:"type"`
			Regain json.Number `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, u := range list {
					if m, err := strconv.ParseFloat(u.Regain.String(), 64); err == nil && m > 0 {
						wait = max(wait, time.Duration(m*float64(time.Minute)))
					}
				}
			}
		}
	}
	if wait == 0 {
		wait = publishers.RetryAfter(h, now)
	}
	return wait
}

// pathOf is a URL without its query, for messages.
func pathOf(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// Clock is the Graph's clock (time.Now when none was set).
func (g *Graph) Clock() time.Time { return g.now() }
