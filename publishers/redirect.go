package publishers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ErrRedirectOtherHost is the cause of a request refused because the network
// redirected it to another scheme, host or port: crieur never sends a
// channel's credentials (headers, body) anywhere but where the channel says.
var ErrRedirectOtherHost = errors.New("redirect to another host refused")

// SameHostRedirects returns a copy of c that follows a redirect only to the
// same scheme, host and port as the request it answers, then asks c's own
// CheckRedirect, if any. c itself is not changed.
func SameHostRedirects(c *http.Client) *http.Client {
	cp := *c
	next := c.CheckRedirect
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		from := via[len(via)-1].URL
		if origin(req.URL) != origin(from) {
			return &RedirectError{From: from.Redacted(), To: origin(req.URL)}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// RedirectError says which redirect was refused; it is ErrRedirectOtherHost.
type RedirectError struct {
	From string // the URL redirected
	To   string // the other origin, scheme://host:port
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the network redirected the request to %s, another host: refused, so that no credential leaves for it (check the channel's URL)", e.To)
}

// Is makes errors.Is(err, ErrRedirectOtherHost) true.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirectOtherHost }

// origin is scheme://host:port, with the scheme's default port made explicit.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}
