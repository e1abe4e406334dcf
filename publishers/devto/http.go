package devto

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/crieur/crieur/publishers"
)

// maxBody caps what is read of an answer: a page of 1000 articles with their
// Markdown bodies can be large, but not this large.
const maxBody = 64 << 20

// acceptV1 selects the Forem API v1 (without it, the deprecated v0 answers).
const acceptV1 = "application/vnd.forem.api-v1+json"

// do sends a JSON request (body may be nil) with the API key and decodes the
// answer into out (which may be nil).
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
	req.Header.Set("api-key", p.key)
	req.Header.Set("Accept", acceptV1)
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
		// Forem's errors: {"error": "…", "status": N}.
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(data, &e)
		return publishers.FromResponse(resp, e.Error, p.cfg.Clock())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return publishers.Errorf(publishers.Transient, "unreadable answer from Forem (%d): %v", resp.StatusCode, err)
	}
	return nil
}
