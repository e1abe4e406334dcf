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

// secretAccessToken is the channel secret that holds the OAuth 2.0 user
// access token (X's OAuth 2.0 Authorization Code with PKCE, user context).
const secretAccessToken = "access_token"

// tokenSource gives the access token a request carries. It is the one seam
// between this adapter and the channel's OAuth life cycle: today
// newTokenSource reads the token the channel holds; the OAuth kit replaces
// it with a source that refreshes the token before it expires (and, through
// Refused, once after X refused it).
type tokenSource interface {
	// Token is the access token to send now.
	Token(ctx context.Context) (string, error)
	// Refused is told that X answered 401 to token. retry true means a new
	// token is available and the request is sent once more; false means
	// the channel needs `crieur channel login`.
	Refused(ctx context.Context, token string) (retry bool, err error)
}

// newTokenSource builds the channel's token source.
func newTokenSource(cfg publishers.Config) tokenSource { return storedToken{cfg: cfg} }

// storedToken reads the channel's access token as the calendar holds it
// now (a login since the publisher was built included); it cannot refresh.
type storedToken struct{ cfg publishers.Config }

func (s storedToken) Token(context.Context) (string, error) {
	v, err := s.cfg.Secret(secretAccessToken)
	if err != nil || strings.TrimSpace(v) == "" {
		return "", &publishers.Error{Class: publishers.Auth, Message: loginHint(s.cfg.Channel, "the channel has no access token")}
	}
	return strings.TrimSpace(v), nil
}

func (storedToken) Refused(context.Context, string) (bool, error) { return false, nil }

// loginHint says what to run to give the channel a working token.
func loginHint(channel, why string) string {
	name := channel
	if name == "" {
		name = "NAME"
	}
	return fmt.Sprintf("%s: run `crieur channel login %s`", why, name)
}

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
// attached to a request, and where a 401 is handled (see tokenSource). It
// returns the answer's headers, and a classified error for anything but a
// 2xx. The token never reaches an error: X's words are kept, and the
// registry's Redactor removes the channel's secrets besides.
func (p *Publisher) do(ctx context.Context, r request) (http.Header, error) {
	for attempt := 0; ; attempt++ {
		token, err := p.tokens.Token(ctx)
		if err != nil {
			return nil, err
		}
		h, status, err := p.send(ctx, r, token)
		if status != http.StatusUnauthorized || attempt > 0 {
			return h, err
		}
		retry, rerr := p.tokens.Refused(ctx, token)
		if rerr != nil {
			return h, rerr
		}
		if !retry {
			return h, err
		}
	}
}

func (p *Publisher) send(ctx context.Context, r request, token string) (http.Header, int, error) {
	var rd io.Reader
	ctype := ""
	if r.body != nil {
		b, ct, err := r.body()
		if err != nil {
			return nil, 0, &publishers.Error{Class: publishers.Permanent, Message: "encoding the request", Err: err}
		}
		rd, ctype = b, ct
	}
	req, err := http.NewRequestWithContext(ctx, r.method, p.base+r.path, rd)
	if err != nil {
		return nil, 0, &publishers.Error{Class: publishers.Permanent, Message: "building the request", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crieur")
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, 0, publishers.Transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.Header, resp.StatusCode, publishers.Transport(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, resp.StatusCode, p.classify(resp, data)
	}
	if r.out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, r.out); err != nil {
			// A 2xx that is not the API's JSON is a proxy or a maintenance
			// page: the request may not have been seen.
			return resp.Header, resp.StatusCode, &publishers.Error{Class: publishers.Transient, Status: resp.StatusCode,
				Message: r.method + " " + pathOnly(r.path) + ": the answer is not X's JSON", Err: err}
		}
	}
	return resp.Header, resp.StatusCode, nil
}

func pathOnly(p string) string {
	path, _, _ := strings.Cut(p, "?")
	return path
}

// errDuplicate marks X's refusal of a text the account already posted.
var errDuplicate = errors.New("duplicate content")

// classify turns an answer that is not a 2xx into a classified error: a
// 401 asks for `crieur channel login`; a 403 for duplicate content is
// marked (errDuplicate) for Publish to look the post up; a 429 waits until
// the limit X names resets.
func (p *Publisher) classify(resp *http.Response, body []byte) *publishers.Error {
	msg := errorMessage(body)
	e := publishers.FromResponse(resp, msg, p.now())
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		e.Message = loginHint(p.channel, "X refused the access token (expired or revoked)")
		if msg != "" {
			e.Message += " (X says: " + msg + ")"
		}
	case resp.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(msg), "duplicate"):
		e.Class, e.Err = publishers.Permanent, errDuplicate
	case resp.StatusCode == http.StatusTooManyRequests:
		e.RetryAfter = rateLimitWait(resp.Header, p.now())
		if e.RetryAfter <= 0 {
			e.RetryAfter = 15 * time.Minute // X's windows are 15 minutes
		}
	}
	return e
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
