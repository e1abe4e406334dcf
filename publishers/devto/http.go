package devto

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/httpjson"
)

// maxBody caps what is read of an answer: a page of 1000 articles with their
// Markdown bodies can be large, but not this large.
const maxBody = 64 << 20

// acceptV1 selects the Forem API v1 (without it, the deprecated v0 answers).
const acceptV1 = "application/vnd.forem.api-v1+json"

// client calls the Forem API with p's API key.
func (p *Publisher) client() *httpjson.Client {
	return &httpjson.Client{Config: p.cfg, Network: "Forem", MaxBody: maxBody, Accept: acceptV1, Failure: failure,
		Authorize: func(req *http.Request) error {
			req.Header.Set("api-key", p.key)
			return nil
		}}
}

// failure classifies an error answer with Forem's message:
// {"error": "…", "status": N}.
func failure(resp *http.Response, data []byte, now time.Time) error {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(data, &e)
	return publishers.FromResponse(resp, e.Error, now)
}
