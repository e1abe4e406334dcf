package publishers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestInvalid(t *testing.T) {
	cases := []struct {
		name  string
		probs []Problem
		want  string
	}{
		{"one", []Problem{{Field: "title", Message: "missing"}}, "title: missing"},
		{"several", []Problem{{Field: "text", Message: "empty"}, {Message: "no media"}}, "text: empty; no media"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Invalid(c.probs)
			if e.Class != Permanent || e.Message != c.want || e.Error() != c.want {
				t.Errorf("Invalid = %#v (%v), want permanent %q", e, e, c.want)
			}
		})
	}
}

// An error reads in the user's words: no class word such as "permanent".
func TestErrorWords(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{&Error{Class: Permanent, Status: 422, Message: "Text is too long"}, "Text is too long (status 422)"},
		{&Error{Class: Transient, Message: "connection reset"}, "connection reset"},
		{&Error{Class: Auth, Status: 401, Message: "The access token is invalid"}, "credentials refused: The access token is invalid (status 401)"},
		{&Error{Class: RateLimited, Status: 429}, "rate limited (status 429)"},
		{&Error{Class: Permanent}, "failed"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("%#v.Error() = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestHTTPURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://mastodon.social":         true,
		"http://127.0.0.1:8080/api":       true,
		"ftp://example.com":               false,
		"mastodon.social":                 false,
		"https://":                        false,
		"://broken":                       false,
		"":                                false,
		"https://hooks.slack.com/x?y=1#z": true,
	} {
		if _, ok := HTTPURL(raw); ok != want {
			t.Errorf("HTTPURL(%q) ok = %v, want %v", raw, ok, want)
		}
	}
}

func TestFromResponseRedirect(t *testing.T) {
	resp := &http.Response{StatusCode: 307, Header: http.Header{"Location": {"https://other.example:8443/x?token=abc"}},
		Request: &http.Request{URL: &url.URL{Scheme: "https", Host: "api.example"}}}
	e := FromResponse(resp, "", time.Now())
	if e.Class != Permanent || !strings.Contains(e.Error(), "redirected the request to https://other.example:8443") || strings.Contains(e.Error(), "token=abc") {
		t.Errorf("FromResponse(307) = %v", e)
	}
}
