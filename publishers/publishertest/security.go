package publishertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Security drives the suite's network, as the registry builds it, against
// two hostile servers: one that answers every request with an error whose
// body echoes every credential the request carried, and one that redirects
// every request to a second server on another port. No error, result or
// check message may carry a secret of the channel in any form, and the
// second server must receive nothing. Run calls it.
func Security(t *testing.T, s Suite) {
	t.Helper()
	nw, err := publishers.Lookup(s.Network)
	if err != nil {
		t.Fatal(err)
	}
	build := func(t *testing.T, h http.Handler) (publishers.Publisher, publishers.Config) {
		cfg := s.Configure(Server(t, h).URL)
		cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
		p, err := nw.New(cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return p, cfg
	}

	t.Run("echoed-secrets", func(t *testing.T) {
		echoed := false
		for _, status := range []int{401, 403, 400, 422, 500} {
			t.Run(http.StatusText(status), func(t *testing.T) {
				p, cfg := build(t, echo(status))
				leaks := secretForms(cfg)
				for _, c := range calls(p, s.Post) {
					text, err := c.call()
					if err == nil {
						t.Errorf("%s succeeded against a %d", c.name, status)
						continue
					}
					var pe *publishers.Error
					if !errors.As(err, &pe) {
						t.Errorf("%s: error is not a *publishers.Error: %T %v", c.name, err, err)
					}
					if class, _ := publishers.Classify(err); c.name == "Publish" && status == 401 && class != publishers.Auth {
						t.Errorf("%s: class %v after a 401, want auth (error: %v)", c.name, class, err)
					}
					for _, out := range []string{err.Error(), text} {
						for _, f := range leaks {
							if strings.Contains(out, f) {
								t.Errorf("%s: a %d's echo leaked a secret (%q) into %q", c.name, status, f, out)
								break
							}
						}
						echoed = echoed || strings.Contains(out, "you sent")
					}
				}
			})
		}
		if !echoed {
			t.Logf("no error carries the network's words: nothing it echoes can leak")
		}
	})

	for _, code := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		t.Run("redirect-to-another-host/"+strconv.Itoa(code), func(t *testing.T) {
			var mu sync.Mutex
			var got []string
			other := Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				got = append(got, r.Method+" "+r.URL.Path)
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			}))
			p, _ := build(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.RequestURI(), code)
			}))
			for _, c := range calls(p, s.Post) {
				_, err := c.call()
				if err == nil {
					t.Errorf("%s succeeded through a redirect to another host", c.name)
					continue
				}
				// Either the client refused to follow, or (a request whose
				// body cannot be sent again) it did not try: the error says
				// a redirect was met either way.
				if !errors.Is(err, publishers.ErrRedirectOtherHost) && !strings.Contains(err.Error(), "redirected the request to") {
					t.Errorf("%s: error %q does not say the redirect was refused", c.name, err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) > 0 {
				t.Errorf("the other host received %v", got)
			}
		})
	}
}

type call struct {
	name string
	call func() (string, error) // what the call printed, and its error
}

// calls lists every network call of p: Publish, and Find and Check where p has them.
func calls(p publishers.Publisher, post publishers.Post) []call {
	ctx := context.Background()
	out := []call{{"Publish", func() (string, error) {
		r, err := p.Publish(ctx, post)
		return r.RemoteID + " " + r.RemoteURL, err
	}}}
	if f, ok := p.(publishers.Finder); ok {
		out = append(out, call{"Find", func() (string, error) {
			r, _, err := f.Find(ctx, post)
			return r.RemoteID + " " + r.RemoteURL, err
		}})
	}
	if c, ok := p.(publishers.Checker); ok {
		out = append(out, call{"Check", func() (string, error) { return c.Check(ctx) }})
	}
	return out
}

// echo answers every request with status and a body that repeats, in every
// field where networks put their words, everything the request carried:
// its path and query, each header (HTTP Basic decoded too) and its body.
func echo(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var parts []string
		parts = append(parts, r.URL.RequestURI())
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			parts = append(parts, k+": "+strings.Join(r.Header[k], ", "))
		}
		if u, pw, ok := r.BasicAuth(); ok {
			parts = append(parts, "basic "+u+":"+pw)
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<10))
		parts = append(parts, string(body))
		said := "you sent " + strings.Join(parts, " | ")
		WriteJSON(w, status, map[string]any{
			"ok": false, "error_code": status, "code": "echo",
			"error": said, "message": said, "description": said, "error_description": said, "detail": said,
			"errors": []map[string]string{{"message": said, "context": said, "type": "Echo"}},
		})
	})
}

// secretForms lists what must never appear in what a publisher returns: each
// secret of cfg (4 characters or more), encoded in the ways a request
// carries it.
func secretForms(cfg publishers.Config) []string {
	var users []string
	for _, m := range []map[string]string{cfg.Settings, cfg.Secrets} {
		for _, v := range m {
			users = append(users, v)
		}
	}
	var out []string
	for _, v := range cfg.Secrets {
		if len(v) < 4 {
			continue
		}
		j, _ := json.Marshal(v)
		out = append(out, v, url.QueryEscape(v), url.PathEscape(v), string(j[1:len(j)-1]),
			base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)))
		for _, u := range users {
			out = append(out, base64.StdEncoding.EncodeToString([]byte(u+":"+v)))
		}
	}
	return out
}
