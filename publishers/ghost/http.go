package ghost

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/crieur/crieur/publishers"
)

// maxBody caps what is read of an answer: posts come back with their HTML
// and relations, but never near this.
const maxBody = 4 << 20

// acceptVersion is the Admin API version the requests are written for.
const acceptVersion = "v5.0"

// token signs a short-lived Admin API token: HS256 with the key's secret,
// the key's id as kid, audience /admin/, valid five minutes (Ghost's limit).
// A fresh one per request means a slow upload never carries a stale token.
func (p *Publisher) token() (string, error) {
	now := p.cfg.Clock()
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(),
		"aud": "/admin/",
	})
	tok.Header["kid"] = p.keyID
	return tok.SignedString(p.secret)
}

// apiError is one entry of Ghost's {"errors":[…]} body.
type apiError struct {
	Message string `json:"message"`
	Context string `json:"context"`
	Type    string `json:"type"`
}

func (e apiError) String() string {
	s := e.Message
	if e.Context != "" && e.Context != e.Message {
		s += ": " + e.Context
	}
	if e.Type != "" {
		s += " (" + e.Type + ")"
	}
	return s
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
	tok, err := p.token()
	if err != nil {
		return publishers.Errorf(publishers.Auth, "signing the Admin API token: %v", err)
	}
	req.Header.Set("Authorization", "Ghost "+tok)
	req.Header.Set("Accept-Version", acceptVersion)
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
		var body struct {
			Errors []apiError `json:"errors"`
		}
		var msgs []string
		if json.Unmarshal(data, &body) == nil {
			for _, e := range body.Errors {
				msgs = append(msgs, e.String())
			}
		}
		return publishers.FromResponse(resp, strings.Join(msgs, "; "), p.cfg.Clock())
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return publishers.Errorf(publishers.Transient, "unreadable answer from Ghost (%d): %v", resp.StatusCode, err)
	}
	return nil
}
