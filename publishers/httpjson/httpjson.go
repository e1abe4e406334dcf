// Package httpjson sends JSON requests to a network's HTTP API and turns the
// answers into decoded values or classified errors. What differs between
// networks (credentials, the shape of an error body) is given by the adapter.
package httpjson

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Client calls one channel's API.
type Client struct {
	// Config gives the HTTP client and the clock.
	Config publishers.Config
	// Network names the API in errors: "unreadable answer from Ghost (200): …".
	Network string
	// MaxBody caps what is read of an answer.
	MaxBody int64
	// Accept is the Accept header; "" is application/json.
	Accept string
	// Authorize adds the credentials to each request; its error is returned
	// as it is, before anything is sent. Nil sends none.
	Authorize func(req *http.Request) error
	// Failure classifies an answer that is not 2xx from its body, usually
	// with publishers.FromResponse and the network's own words. Nil uses
	// FromResponse alone.
	Failure func(resp *http.Response, data []byte, now time.Time) error
}

// Do sends a JSON request (body may be nil) and decodes the answer into out
// (which may be nil).
func (c *Client) Do(ctx context.Context, method, url string, body, out any) error {
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
	return c.Send(req, out)
}

// Send authorizes req, sends it, classifies a failure and decodes a success
// into out (which may be nil). A success whose body cannot be decoded is
// transient, so Client suits adapters that look an earlier attempt up
// (publishers.RetryLookup) before the scheduler retries.
func (c *Client) Send(req *http.Request, out any) error {
	if c.Authorize != nil {
		if err := c.Authorize(req); err != nil {
			return err
		}
	}
	accept := c.Accept
	if accept == "" {
		accept = "application/json"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "crieur")
	resp, err := c.Config.Client().Do(req)
	if err != nil {
		return publishers.Transport(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxBody))
	if err != nil {
		return publishers.Transport(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if c.Failure == nil {
			return publishers.FromResponse(resp, "", c.Config.Clock())
		}
		return c.Failure(resp, data, c.Config.Clock())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return publishers.Errorf(publishers.Transient, "unreadable answer from %s (%d): %v", c.Network, resp.StatusCode, err)
	}
	return nil
}
