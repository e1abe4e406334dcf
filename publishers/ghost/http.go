package ghost

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/httpjson"
)

// maxBody caps what is read of an answer: posts come back with their HTML
// and relations, but never near this.
const maxBody = 4 << 20

// acceptVersion is the Admin API version the requests are written for.
const acceptVersion = "v5.0"

// client calls the Admin API of p's site.
func (p *Publisher) client() *httpjson.Client {
	return &httpjson.Client{Config: p.cfg, Network: "Ghost", MaxBody: maxBody, Authorize: p.authorize, Failure: failure}
}

// authorize signs a fresh token for each request and names the API version.
func (p *Publisher) authorize(req *http.Request) error {
	tok, err := p.token()
	if err != nil {
		return publishers.Errorf(publishers.Auth, "signing the Admin API token: %v", err)
	}
	req.Header.Set("Authorization", "Ghost "+tok)
	req.Header.Set("Accept-Version", acceptVersion)
	return nil
}

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
	signed, err := tok.SignedString(p.secret)
	p.cfg.Redact.Add(signed)
	return signed, err
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

// failure classifies an error answer with Ghost's messages.
func failure(resp *http.Response, data []byte, now time.Time) error {
	var body struct {
		Errors []apiError `json:"errors"`
	}
	var msgs []string
	if json.Unmarshal(data, &body) == nil {
		for _, e := range body.Errors {
			msgs = append(msgs, e.String())
		}
	}
	return publishers.FromResponse(resp, strings.Join(msgs, "; "), now)
}
