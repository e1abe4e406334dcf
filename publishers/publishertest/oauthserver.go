package publishertest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/crieur/crieur/publishers/oauth"
)

// OAuthServer is a fake OAuth 2.0 authorization server that checks each
// request as RFC 6749, RFC 7636 (PKCE) and RFC 8628 (device flow) describe
// it, for the provider it was made for: its /authorize redirects to the
// registered redirect URI with a code and the state; its token endpoint
// checks grant_type, the code, the PKCE verifier against the S256
// challenge, the redirect URI and the client's authentication exactly (HTTP
// Basic, or in the form, as the provider says); refresh tokens are
// single-use and rotate, and reusing one revokes the whole family, as X
// does. A fake network's API asks Authorized whether a request's bearer
// token is good.
type OAuthServer struct {
	t            *testing.T
	p            oauth.Provider
	ClientID     string
	ClientSecret string
	RedirectURI  string
	// ExpiresIn and RefreshExpiresIn are the lifetimes the server grants
	// (seconds; 0: none said). NoRefresh: it grants no refresh token.
	ExpiresIn        int
	RefreshExpiresIn int
	NoRefresh        bool

	mu       sync.Mutex
	codes    map[string]grant
	access   map[string]bool // issued and not revoked
	refresh  map[string]bool // true: unused; false: used (rotated)
	refusing bool
	fail     []failure
	counts   map[string]int
	events   []string
	device   map[string]int // device code → polls
}

type grant struct {
	challenge, method, redirect, clientID string
}

type failure struct {
	status int
	body   string
	hangUp bool
}

// NewOAuthServer makes a fake authorization server for p's endpoints (their
// paths; mount Handler at the root of a server and point the channel's
// oauth_base_url at it).
func NewOAuthServer(t *testing.T, p oauth.Provider, clientID, clientSecret string) *OAuthServer {
	return &OAuthServer{t: t, p: p, ClientID: clientID, ClientSecret: clientSecret, RedirectURI: oauth.DefaultRedirectURI,
		ExpiresIn: 7200, codes: map[string]grant{}, access: map[string]bool{}, refresh: map[string]bool{},
		counts: map[string]int{}, device: map[string]int{}}
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return "\x00none"
	}
	return u.Path
}

// Serves reports whether the request is for one of the server's endpoints.
func (s *OAuthServer) Serves(r *http.Request) bool {
	switch r.URL.Path {
	case pathOf(s.p.AuthURL), pathOf(s.p.TokenURL), pathOf(s.p.DeviceURL):
		return true
	}
	return false
}

// Issue makes a token pair the server knows, as a login would have (the
// channel's credentials are seeded with it).
func (s *OAuthServer) Issue() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	access, refresh = "at-"+random(), "rt-"+random()
	s.access[access], s.refresh[refresh] = true, true
	return access, refresh
}

// Revoke makes the API refuse an access token (the network revoked it).
func (s *OAuthServer) Revoke(access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.access, access)
}

// RefuseAll makes the API refuse every token, even new ones.
func (s *OAuthServer) RefuseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusing = true
}

// FailToken makes the next token request answer status with body (JSON).
func (s *OAuthServer) FailToken(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, failure{status: status, body: body})
}

// HangUpToken makes the next token request end without an answer.
func (s *OAuthServer) HangUpToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = append(s.fail, failure{hangUp: true})
}

// Count says how many times something happened: "refresh" (tokens
// renewed), "exchange" (codes exchanged), "device" (device tokens
// granted), "rejected" (API requests whose token was refused), "api"
// (API requests whose token was good).
func (s *OAuthServer) Count(what string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[what]
}

// Events lists, in order, the tokens issued ("issued ACCESS REFRESH") and
// the API requests ("api ACCESS"): with the credentials' own log, what
// shows that a token was saved before it was used.
func (s *OAuthServer) Events() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.events...)
}

// Current reports whether refresh is a refresh token the server would
// still accept.
func (s *OAuthServer) Current(refresh string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh[refresh]
}

// Authorized reports whether the request carries "Authorization: Bearer
// TOKEN" with a token the server issued and has not revoked; the API of a
// fake network answers 401 when it does not.
func (s *OAuthServer) Authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok || !s.access[tok] || s.refusing {
		s.counts["rejected"]++
		return false
	}
	s.counts["api"]++
	s.events = append(s.events, "api "+tok)
	return true
}

func random() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP serves the authorization, token and device endpoints.
func (s *OAuthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case pathOf(s.p.AuthURL):
		s.authorize(w, r)
	case pathOf(s.p.TokenURL):
		s.token(w, r)
	case pathOf(s.p.DeviceURL):
		s.deviceAuth(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (s *OAuthServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet {
		s.t.Errorf("authorize: method %s, want GET", r.Method)
	}
	if q.Get("response_type") != "code" {
		s.t.Errorf("authorize: response_type %q, want code", q.Get("response_type"))
	}
	if q.Get("client_id") != s.ClientID {
		s.t.Errorf("authorize: client_id %q, want %q", q.Get("client_id"), s.ClientID)
	}
	if q.Get("redirect_uri") != s.RedirectURI {
		s.t.Errorf("authorize: redirect_uri %q, want %q", q.Get("redirect_uri"), s.RedirectURI)
	}
	if q.Get("state") == "" {
		s.t.Errorf("authorize: no state")
	}
	if q.Get("scope") == "" {
		s.t.Errorf("authorize: no scope")
	}
	g := grant{challenge: q.Get("code_challenge"), method: q.Get("code_challenge_method"), redirect: q.Get("redirect_uri"), clientID: q.Get("client_id")}
	if s.p.PKCE && (g.challenge == "" || g.method != "S256") {
		s.t.Errorf("authorize: PKCE challenge %q method %q, want an S256 challenge", g.challenge, g.method)
	}
	code := "code-" + random()
	s.mu.Lock()
	s.codes[code] = g
	s.mu.Unlock()
	to, _ := url.Parse(q.Get("redirect_uri"))
	v := to.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	to.RawQuery = v.Encode()
	http.Redirect(w, r, to.String(), http.StatusFound)
}

func (s *OAuthServer) deviceAuth(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if r.Method != http.MethodPost || r.PostForm.Get("client_id") != s.ClientID {
		s.t.Errorf("device: %s with client_id %q, want POST with %q", r.Method, r.PostForm.Get("client_id"), s.ClientID)
	}
	dc := "dc-" + random()
	s.mu.Lock()
	s.device[dc] = 0
	s.mu.Unlock()
	WriteJSON(w, 200, map[string]any{"device_code": dc, "user_code": "WDJB-MJHT", "verification_uri": "https://example.invalid/device",
		"expires_in": 600, "interval": 1})
}

// tokenError answers as RFC 6749 §5.2 says.
func tokenError(w http.ResponseWriter, status int, code, desc string) {
	WriteJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// clientAuth checks the client's authentication as the provider says it is sent.
func (s *OAuthServer) clientAuth(w http.ResponseWriter, r *http.Request) bool {
	user, pass, basic := r.BasicAuth()
	form := r.PostForm
	switch {
	case s.ClientSecret == "":
		if basic || form.Has("client_secret") {
			s.t.Errorf("token: a public client sent a secret")
		}
		if form.Get("client_id") != s.ClientID {
			tokenError(w, 401, "invalid_client", "unknown client")
			return false
		}
	case s.p.SecretInBody:
		if basic {
			s.t.Errorf("token: client authenticated with HTTP Basic, want client_id and client_secret in the form")
		}
		if form.Get("client_id") != s.ClientID || form.Get("client_secret") != s.ClientSecret {
			tokenError(w, 401, "invalid_client", "client authentication failed")
			return false
		}
	default:
		if form.Has("client_secret") {
			s.t.Errorf("token: client_secret in the form, want HTTP Basic")
		}
		u, _ := url.QueryUnescape(user)
		p, _ := url.QueryUnescape(pass)
		if !basic || u != s.ClientID || p != s.ClientSecret {
			tokenError(w, 401, "invalid_client", "client authentication failed")
			return false
		}
	}
	return true
}

func (s *OAuthServer) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var f *failure
	if len(s.fail) > 0 {
		f = &s.fail[0]
		s.fail = s.fail[1:]
	}
	s.mu.Unlock()
	if f != nil && f.hangUp {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		return
	}
	if f != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(f.body))
		return
	}
	if r.Method != http.MethodPost {
		s.t.Errorf("token: method %s, want POST", r.Method)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s.t.Errorf("token: Content-Type %q, want a form", ct)
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, 400, "invalid_request", err.Error())
		return
	}
	if !s.clientAuth(w, r) {
		return
	}
	form := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	switch form.Get("grant_type") {
	case "authorization_code":
		g, ok := s.codes[form.Get("code")]
		delete(s.codes, form.Get("code"))
		if !ok {
			tokenError(w, 400, "invalid_grant", "unknown or used code")
			return
		}
		if form.Get("redirect_uri") != g.redirect {
			tokenError(w, 400, "invalid_grant", "redirect_uri differs from the authorization request's")
			return
		}
		if g.challenge != "" {
			sum := sha256.Sum256([]byte(form.Get("code_verifier")))
			if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
				tokenError(w, 400, "invalid_grant", "code_verifier does not match the challenge")
				return
			}
		} else if form.Has("code_verifier") {
			s.t.Errorf("token: a code_verifier without a challenge")
		}
		s.counts["exchange"]++
		s.grantLocked(w)
	case "refresh_token":
		rt := form.Get("refresh_token")
		unused, known := s.refresh[rt]
		if !known || !unused {
			if known {
				// Reuse of a rotated token: the whole family is revoked.
				for k := range s.refresh {
					s.refresh[k] = false
				}
			}
			tokenError(w, 400, "invalid_grant", "Value passed for the token was invalid.")
			return
		}
		s.refresh[rt] = false
		s.counts["refresh"]++
		s.grantLocked(w)
	case "urn:ietf:params:oauth:grant-type:device_code":
		dc := form.Get("device_code")
		polls, ok := s.device[dc]
		if !ok {
			tokenError(w, 400, "invalid_grant", "unknown device code")
			return
		}
		s.device[dc] = polls + 1
		if polls == 0 {
			tokenError(w, 400, "authorization_pending", "")
			return
		}
		delete(s.device, dc)
		s.counts["device"]++
		s.grantLocked(w)
	default:
		tokenError(w, 400, "unsupported_grant_type", form.Get("grant_type"))
	}
}

// grantLocked issues a new pair; s.mu is held.
func (s *OAuthServer) grantLocked(w http.ResponseWriter) {
	access := "at-" + random()
	s.access[access] = true
	body := map[string]any{"access_token": access, "token_type": "bearer", "scope": strings.Join(s.p.Scopes, " ")}
	if s.ExpiresIn > 0 {
		body["expires_in"] = s.ExpiresIn
	}
	refresh := ""
	if !s.NoRefresh {
		refresh = "rt-" + random()
		s.refresh[refresh] = true
		body["refresh_token"] = refresh
		if s.RefreshExpiresIn > 0 && s.p.RefreshExpiryKey != "" {
			body[s.p.RefreshExpiryKey] = s.RefreshExpiresIn
		}
	}
	s.events = append(s.events, "issued "+access+" "+refresh)
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, 200, body)
}
