package wordpress

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/httpjson"
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

var markup = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<[^>]*>`) })

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

// client calls the REST API of p's site with the application password.
func (p *Publisher) client() *httpjson.Client {
	return &httpjson.Client{Config: p.cfg, Network: "WordPress", MaxBody: maxBody, Failure: classify,
		Authorize: func(req *http.Request) error {
			req.SetBasicAuth(p.user, p.password)
			return nil
		}}
}

// classify turns a failed answer into a classified error carrying
// WordPress's message; the decoded body is kept as the cause.
func classify(resp *http.Response, data []byte, now time.Time) error {
	var ae apiError
	msg := ""
	if json.Unmarshal(data, &ae) == nil && (ae.Code != "" || ae.Message != "") {
		// Some messages carry markup ("<strong>Error:</strong> …").
		ae.Message = html.UnescapeString(markup().ReplaceAllString(ae.Message, ""))
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
