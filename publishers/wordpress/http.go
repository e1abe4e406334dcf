package wordpress

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/crieur/crieur/publishers"
)

// maxBody caps what is read of an answer: posts come back with their
// rendered content, but never near this.
const maxBody = 4 << 20

// apiError is WordPress's error body: {"code","message","data":{"status"}}.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Data    struct {
		Status int   `json:"status"`
		TermID int64 `json:"term_id"` // with code term_exists
	} `json:"data"`
}

func (e *apiError) Error() string { return e.Message + " (" + e.Code + ")" }

var markup = regexp.MustCompile(`<[^>]*>`)

// authCodes are the error codes that mean the credentials were refused,
// whatever status a security plugin or proxy answered with.
var authCodes = map[string]bool{
	"incorrect_password":             true,
	"invalid_username":               true,
	"invalid_email":                  true,
	"rest_not_logged_in":             true,
	"rest_cannot_create":             true,
	"application_passwords_disabled": true,
}

// do sends a JSON request (body may be nil) and decodes the answer into out
// (which may be nil).
func (p *Publisher) do(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return publishers.Errorf(publishers.Permanent, "encoding the request: %v", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return publishers.Errorf(publishers.Permanent, "building the request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return p.send(req, out)
}

// send authenticates req, sends it and classifies a failure.
func (p *Publisher) send(req *http.Request, out any) error {
	req.SetBasicAuth(p.user, p.password)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crieur")
	resp, err := p.cfg.Client().Do(req)
	if err != nil {
		return publishers.Transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return publishers.Transport(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return classify(resp, data, p.cfg.Clock())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return publishers.Errorf(publishers.Transient, "unreadable answer from WordPress (%d): %v", resp.StatusCode, err)
	}
	return nil
}

// classify turns a failed answer into a classified error carrying
// WordPress's message; the decoded body is kept as the cause.
func classify(resp *http.Response, data []byte, now time.Time) error {
	var ae apiError
	msg := ""
	if json.Unmarshal(data, &ae) == nil && (ae.Code != "" || ae.Message != "") {
		// Some messages carry markup ("<strong>Error:</strong> …").
		ae.Message = html.UnescapeString(markup.ReplaceAllString(ae.Message, ""))
		msg = ae.Error()
	}
	e := publishers.FromResponse(resp, msg, now)
	if ae.Code != "" {
		e.Err = &ae
		if authCodes[ae.Code] && e.Class != publishers.RateLimited {
			e.Class = publishers.Auth
		}
	}
	return e
}
