package linkedin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
)

// tokenSource is where the adapter gets the OAuth access token it sends,
// and what it tells when LinkedIn refuses one. It is the one seam the OAuth
// kit replaces (refresh before expiry under the channel's lock, the new
// token saved before use, a 401 refreshed once): newTokenSource builds it.
type tokenSource interface {
	// Token returns the access token to send now. An error of class Auth
	// pauses the channel; any other is retried later.
	Token(ctx context.Context) (string, error)
	// Refused is told that LinkedIn answered 401 to token. It returns a new
	// token to retry the request with once, or "" when there is none: the
	// 401 then pauses the channel until `crieur channel login`.
	Refused(ctx context.Context, token string) (string, error)
}

// newTokenSource is the channel's token: access_token from its credentials,
// read at each request, never refreshed.
func newTokenSource(cfg publishers.Config) tokenSource {
	return storedToken{cfg: cfg}
}

// storedToken reads the token the channel holds.
type storedToken struct{ cfg publishers.Config }

func (s storedToken) Token(context.Context) (string, error) {
	tok, err := s.cfg.Secret("access_token")
	if err != nil && !errors.Is(err, publishers.ErrNoSecret) {
		// The calendar could not be read: try again later.
		return "", &publishers.Error{Class: publishers.Transient, Message: "reading the channel's access token: " + err.Error(), Err: err}
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", &publishers.Error{Class: publishers.Auth, Message: "the channel has no access token: " + loginHint(s.cfg.Channel)}
	}
	s.cfg.Redact.Add(tok)
	return tok, nil
}

func (storedToken) Refused(context.Context, string) (string, error) { return "", nil }

// loginHint says how to give the channel a new token.
func loginHint(channel string) string {
	if channel == "" {
		channel = "NAME"
	}
	return fmt.Sprintf("run `crieur channel login %s` (LinkedIn access tokens last 60 days)", channel)
}

// restli is what every call to LinkedIn's versioned API carries (Posts API
// and Images API: the LinkedIn-Version and Rest.li protocol headers).
func (p *Publisher) restli(h http.Header) {
	h.Set("LinkedIn-Version", p.version)
	h.Set("X-Restli-Protocol-Version", "2.0.0")
}

// reply is a successful answer.
type reply struct {
	status int
	header http.Header
}

// do sends one authenticated request to LinkedIn's API at url and decodes
// a JSON answer into out. A 401 is told to the token source, which may give
// a new token to retry with once (LinkedIn did not act on a refused call);
// a second 401 is an Auth error naming `crieur channel login`.
func (p *Publisher) do(ctx context.Context, method, url string, body []byte, header http.Header, out any) (reply, error) {
	tok, err := p.tokens.Token(ctx)
	if err != nil {
		return reply{}, err
	}
	for try := 0; ; try++ {
		req, err := p.request(ctx, method, url, body, header)
		if err != nil {
			return reply{}, err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rep, data, err := p.send(req)
		if err != nil {
			return reply{}, err
		}
		if rep.status == http.StatusUnauthorized && try == 0 {
			next, rerr := p.tokens.Refused(ctx, tok)
			if rerr != nil {
				return reply{}, rerr
			}
			if next != "" && next != tok {
				tok = next
				continue
			}
		}
		if rep.status < 200 || rep.status > 299 {
			return rep, p.failure(rep, data)
		}
		if out != nil && len(bytes.TrimSpace(data)) > 0 {
			if err := json.Unmarshal(data, out); err != nil {
				// A 2xx that is not the API's JSON is a proxy's page.
				return rep, &publishers.Error{Class: publishers.Transient, Status: rep.status, Message: method + " " + pathOf(url) + ": the answer is not LinkedIn's JSON", Err: err}
			}
		}
		return rep, nil
	}
}

func (p *Publisher) request(ctx context.Context, method, url string, body []byte, header http.Header) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, &publishers.Error{Class: publishers.Permanent, Message: "building the request to " + pathOf(url), Err: err}
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "crieur")
	return req, nil
}

// send makes one call and reads its answer (at most 1 MiB).
func (p *Publisher) send(req *http.Request) (reply, []byte, error) {
	resp, err := p.client.Do(req)
	if err != nil {
		return reply{}, nil, publishers.Transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	rep := reply{status: resp.StatusCode, header: resp.Header}
	if err != nil {
		return rep, nil, publishers.Transport(err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return rep, nil, publishers.FromResponse(resp, errorMessage(data), p.now())
	}
	return rep, data, nil
}

// failure classifies a non-2xx answer. A 401 asks for a new login; a 429
// (LinkedIn sends no rate-limit headers: its limits are daily and reset at
// midnight UTC) waits until then, or the channel's rate_limit_backoff.
func (p *Publisher) failure(rep reply, data []byte) error {
	resp := &http.Response{StatusCode: rep.status, Header: rep.header}
	e := publishers.FromResponse(resp, errorMessage(data), p.now())
	switch {
	case rep.status == http.StatusUnauthorized:
		e.Message += "; " + loginHint(p.channel)
	case rep.status == http.StatusForbidden:
		e.Message += "; the token lacks a scope (w_member_social to post as a member, w_organization_social as a page you administer): add the product to the app, then " + loginHint(p.channel)
	case e.Class == publishers.RateLimited && e.RetryAfter <= 0:
		e.RetryAfter = p.backoff
		if e.RetryAfter <= 0 {
			now := p.now().UTC()
			e.RetryAfter = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC).Sub(now)
		}
	case rep.status == http.StatusUnprocessableEntity:
		if urn, ok := duplicateOf(data); ok {
			return &duplicateError{urn: urn, status: rep.status, err: e}
		}
	}
	return e
}

// apiError is LinkedIn's error body (Rest.li): its words in message, and
// for a refused post the inputs at fault with their codes.
type apiError struct {
	Message      string `json:"message"`
	Code         string `json:"code"`
	ErrorDetails struct {
		InputErrors []struct {
			Code        string `json:"code"`
			Description string `json:"description"`
		} `json:"inputErrors"`
	} `json:"errorDetails"`
}

// errorMessage takes LinkedIn's words from an error body.
func errorMessage(body []byte) string {
	var e apiError
	if json.Unmarshal(body, &e) == nil && e.Message != "" {
		msg := e.Message
		for _, ie := range e.ErrorDetails.InputErrors {
			if ie.Code != "" && !strings.Contains(msg, ie.Code) {
				msg += " [" + ie.Code + "]"
			}
		}
		return msg
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 || strings.HasPrefix(s, "<") {
		return ""
	}
	return s
}

// postURN finds a post's URN in a message.
var postURN = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`urn:li:(?:share|ugcPost):[0-9]+`) })

// duplicateOf reads a 422 that refuses a post as a duplicate: its input
// error code DUPLICATE_POST, and its message naming the post LinkedIn
// already has ("… duplicate of urn:li:share:…").
func duplicateOf(body []byte) (string, bool) {
	var e apiError
	if json.Unmarshal(body, &e) != nil {
		return "", false
	}
	dup := e.Code == "DUPLICATE_POST"
	for _, ie := range e.ErrorDetails.InputErrors {
		dup = dup || ie.Code == "DUPLICATE_POST"
	}
	urn := postURN().FindString(e.Message)
	return urn, dup && urn != ""
}

// duplicateError is LinkedIn refusing a post it already has, urn.
type duplicateError struct {
	urn    string
	status int
	err    *publishers.Error
}

func (d *duplicateError) Error() string { return d.err.Error() }
func (d *duplicateError) Unwrap() error { return d.err }

// before reports whether the existing post was made before t. A post URN's
// number starts with the instant it was made (milliseconds since 1970,
// shifted left 22 bits, as LinkedIn's activity ids are; not documented, so
// an instant that is not plausible says nothing). A post made before the
// delivery was due is another post with the same text, not an earlier
// attempt's.
func (d *duplicateError) before(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	n, err := strconv.ParseUint(d.urn[strings.LastIndexByte(d.urn, ':')+1:], 10, 64)
	if err != nil {
		return false
	}
	made := time.UnixMilli(int64(n >> 22))
	if made.Year() < 2015 || made.After(time.Now().Add(24*time.Hour)) {
		return false
	}
	return made.Before(t)
}

// pathOf is a URL without its query, for messages.
func pathOf(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// The Posts API's create request (Posts API › Create a post: the Post
// schema's author, commentary, visibility, distribution, lifecycleState,
// isReshareDisabledByAuthor and content fields).
type postRequest struct {
	Author                    string       `json:"author"`
	Commentary                string       `json:"commentary"`
	Visibility                string       `json:"visibility"`
	Distribution              distribution `json:"distribution"`
	Content                   *content     `json:"content,omitempty"`
	LifecycleState            string       `json:"lifecycleState"`
	IsReshareDisabledByAuthor bool         `json:"isReshareDisabledByAuthor"`
}

type distribution struct {
	FeedDistribution               string `json:"feedDistribution"`
	TargetEntities                 []any  `json:"targetEntities"`
	ThirdPartyDistributionChannels []any  `json:"thirdPartyDistributionChannels"`
}

// content is one of a post's kinds of content: an image (media), several
// (multiImage, Posts API › MultiImage), or a link card (article, Posts API
// › Article: source, title, description).
type content struct {
	Media      *mediaRef   `json:"media,omitempty"`
	MultiImage *multiImage `json:"multiImage,omitempty"`
	Article    *article    `json:"article,omitempty"`
}

type mediaRef struct {
	ID      string `json:"id"`
	AltText string `json:"altText,omitempty"`
}

type multiImage struct {
	Images []mediaRef `json:"images"`
}

type article struct {
	Source      string `json:"source"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// createPost posts body; LinkedIn answers 201 with the new post's URN in
// the x-restli-id header.
func (p *Publisher) createPost(ctx context.Context, body postRequest) (string, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: "encoding the post", Err: err}
	}
	h := http.Header{}
	p.restli(h)
	h.Set("Content-Type", "application/json")
	rep, err := p.do(ctx, http.MethodPost, p.api+"/rest/posts", data, h, nil)
	if err != nil {
		return "", err
	}
	urn := strings.TrimSpace(rep.header.Get("X-Restli-Id"))
	if urn == "" {
		urn = strings.TrimSpace(rep.header.Get("X-LinkedIn-Id"))
	}
	if urn == "" {
		// Made, maybe: a retry meets DUPLICATE_POST, which names it.
		return "", &publishers.Error{Class: publishers.Transient, Status: rep.status, Message: "LinkedIn answered without the new post's id (x-restli-id)"}
	}
	return urn, nil
}

// userinfo is the part of /v2/userinfo (Sign In with LinkedIn using OpenID
// Connect) crieur reads: sub is the member's id in a person URN.
type userinfo struct {
	Sub  string `json:"sub"`
	Name string `json:"name"`
}

// currentAuthor is the author's URN, "" until known.
func (p *Publisher) currentAuthor() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.author
}

// authorURN is the channel's author, or the member whose token it is.
func (p *Publisher) authorURN(ctx context.Context) (string, error) {
	if a := p.currentAuthor(); a != "" {
		return a, nil
	}
	var info userinfo
	if _, err := p.do(ctx, http.MethodGet, p.api+"/v2/userinfo", nil, nil, &info); err != nil {
		var pe *publishers.Error
		if errors.As(err, &pe) && pe.Status == http.StatusForbidden {
			cp := *pe
			cp.Message = "cannot tell who posts: set `--set author=urn:li:person:ID` (or urn:li:organization:ID), or grant the openid and profile scopes: " + pe.Message
			return "", &cp
		}
		return "", err
	}
	if !validID(info.Sub) {
		return "", &publishers.Error{Class: publishers.Transient, Message: "LinkedIn's /v2/userinfo answered without the member's id (sub)"}
	}
	p.mu.Lock()
	p.author = personPrefix + info.Sub
	p.mu.Unlock()
	return personPrefix + info.Sub, nil
}
