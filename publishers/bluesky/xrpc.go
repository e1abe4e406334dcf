package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// xrpcError is the body of a failed XRPC call: {"error": name, "message": text}.
// It is kept as the cause of the *publishers.Error so that the session logic
// can tell an expired token from other failures.
type xrpcError struct {
	Name    string `json:"error"`
	Message string `json:"message"`
}

func (e *xrpcError) Error() string {
	switch {
	case e.Name == "":
		return e.Message
	case e.Message == "":
		return e.Name
	}
	return e.Name + ": " + e.Message
}

// errorName returns the XRPC error name carried by err, or "".
func errorName(err error) string {
	var xe *xrpcError
	if errors.As(err, &xe) {
		return xe.Name
	}
	return ""
}

// authErrors are the XRPC error names that mean the credentials, not the
// request, were refused, whatever the HTTP status (the PDS answers a bad
// token with 400).
var authErrors = map[string]bool{
	"AuthenticationRequired":  true,
	"AuthFactorTokenRequired": true,
	"ExpiredToken":            true,
	"InvalidToken":            true,
	"AccountTakedown":         true,
	"AccountDeactivated":      true,
}

// request is one XRPC call.
type request struct {
	method      string // GET (query) or POST (procedure)
	nsid        string
	query       url.Values
	body        any    // JSON-encoded when set
	raw         []byte // sent as is with contentType (uploadBlob)
	contentType string
	token       string // bearer token, empty for unauthenticated calls
}

// call performs r against base and decodes a successful answer into out
// (which may be nil). Every failure is a *publishers.Error; the adapter never
// retries or waits here, the scheduler does.
func (c *client) call(ctx context.Context, base string, r request, out any) error {
	u := strings.TrimRight(base, "/") + "/xrpc/" + r.nsid
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	contentType := r.contentType
	switch {
	case r.raw != nil:
		body = bytes.NewReader(r.raw)
	case r.body != nil:
		b, err := json.Marshal(r.body)
		if err != nil {
			return &publishers.Error{Class: publishers.Permanent, Message: "encoding " + r.nsid + ": " + err.Error(), Err: err}
		}
		body = bytes.NewReader(b)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return &publishers.Error{Class: publishers.Permanent, Message: "bad PDS address: " + err.Error(), Err: err}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return publishers.Transport(redactURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return publishers.Transport(err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			// A 2xx the adapter cannot read may still have done its work;
			// transient lets the lookup path settle it.
			return &publishers.Error{Class: publishers.Transient, Status: resp.StatusCode, Message: r.nsid + ": unreadable answer: " + err.Error(), Err: err}
		}
		return nil
	}
	xe := &xrpcError{}
	if json.Unmarshal(data, xe) != nil || (xe.Name == "" && xe.Message == "") {
		xe = &xrpcError{Message: strings.TrimSpace(string(data))}
		if len(xe.Message) > 200 || strings.HasPrefix(xe.Message, "<") {
			xe.Message = ""
		}
	}
	pe := publishers.FromResponse(resp, xe.Error(), c.now())
	pe.Err = xe
	if authErrors[xe.Name] && pe.Class != publishers.RateLimited {
		pe.Class = publishers.Auth
	}
	return pe
}

// redactURL drops the query string from a transport error's URL: getRecord
// and resolveHandle queries are harmless, but errors should stay short.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}
