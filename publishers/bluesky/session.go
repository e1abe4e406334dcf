package bluesky

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// session is what createSession or refreshSession granted.
type session struct {
	access, refresh string
	did, handle     string
	// service is where the account's repo lives: the PDS named in the DID
	// document when the configured host is an entryway (bsky.social), else the
	// configured host.
	service string
	// expires is the access token's expiry, zero when unreadable.
	expires time.Time
}

type sessionAnswer struct {
	AccessJwt  string          `json:"accessJwt"`
	RefreshJwt string          `json:"refreshJwt"`
	Handle     string          `json:"handle"`
	DID        string          `json:"did"`
	DIDDoc     json.RawMessage `json:"didDoc"`
}

// renewBefore is how long before its expiry an access token is refreshed, so
// that a post is not sent with a token about to lapse.
const renewBefore = time.Minute

// currentSession returns a usable session: the cached one, refreshed when its
// access token has expired by the clock, or a new one. createSession is
// limited to 30 calls per 5 minutes, so it is only called when there is no
// session or its refresh token was refused.
func (p *Publisher) currentSession(ctx context.Context) (*session, error) {
	p.sessMu.Lock()
	s := p.sess
	p.sessMu.Unlock()
	if s != nil && (s.expires.IsZero() || p.now().Before(s.expires.Add(-renewBefore))) {
		return s, nil
	}
	return p.renew(ctx, s)
}

// renew replaces stale (nil: none yet) by refreshing it, or by a new session
// when the refresh token is refused. A refresh that fails for a temporary
// reason (network, 5xx, 429) returns that error, classified as it is: a dead
// network is not a dead password.
func (p *Publisher) renew(ctx context.Context, stale *session) (*session, error) {
	p.sessMu.Lock()
	defer p.sessMu.Unlock()
	if p.sess != nil && p.sess != stale {
		return p.sess, nil // another call renewed it meanwhile
	}
	if stale != nil && stale.refresh != "" {
		s, err := p.refreshSession(ctx, stale)
		if err == nil {
			p.sess = s
			return s, nil
		}
		if class, _ := publishers.Classify(err); class != publishers.Auth && class != publishers.Permanent {
			return nil, err
		}
	}
	p.sess = nil
	s, err := p.createSession(ctx)
	if err != nil {
		return nil, err
	}
	p.sess = s
	return s, nil
}

func (p *Publisher) createSession(ctx context.Context) (*session, error) {
	var a sessionAnswer
	err := p.call(ctx, p.pds, request{
		method: http.MethodPost,
		nsid:   "com.atproto.server.createSession",
		body:   map[string]string{"identifier": p.handle, "password": p.password},
	}, &a)
	if err != nil {
		return nil, err
	}
	return p.newSession(a, p.pds)
}

func (p *Publisher) refreshSession(ctx context.Context, old *session) (*session, error) {
	var a sessionAnswer
	err := p.call(ctx, old.service, request{
		method: http.MethodPost,
		nsid:   "com.atproto.server.refreshSession",
		token:  old.refresh,
	}, &a)
	if err != nil {
		return nil, err
	}
	return p.newSession(a, old.service)
}

func (p *Publisher) newSession(a sessionAnswer, host string) (*session, error) {
	if a.AccessJwt == "" || a.DID == "" {
		return nil, &publishers.Error{Class: publishers.Transient, Message: "the PDS granted a session without a token or DID"}
	}
	p.redact.Add(a.AccessJwt, a.RefreshJwt)
	s := &session{
		access:  a.AccessJwt,
		refresh: a.RefreshJwt,
		did:     a.DID,
		handle:  a.Handle,
		service: host,
		expires: tokenExpiry(a.AccessJwt),
	}
	if s.handle == "" {
		s.handle = p.handle
	}
	if pds := pdsEndpoint(a.DIDDoc); pds != "" {
		// The account's PDS gets the session's token: plain http only where
		// the channel's own pds setting could use it.
		if u, ok := publishers.HTTPURL(pds); ok && publishers.CheckHTTPS("", u, p.settings) == nil {
			s.service = pds
		}
	}
	return s, nil
}

// authed performs r with the session's access token. A token refused as
// expired or invalid is renewed once (refresh, then a new session) and the
// call repeated once: the refused call did nothing, so this is not a retry of
// a post.
func (p *Publisher) authed(ctx context.Context, r request, out any) error {
	s, err := p.currentSession(ctx)
	if err != nil {
		return err
	}
	r.token = s.access
	err = p.call(ctx, s.service, r, out)
	if err == nil || !tokenRefused(err) {
		return err
	}
	s, err = p.renew(ctx, s)
	if err != nil {
		return err
	}
	r.token = s.access
	return p.call(ctx, s.service, r, out)
}

// tokenRefused reports whether err says the access token, rather than the
// request, was refused.
func tokenRefused(err error) bool {
	switch errorName(err) {
	case "ExpiredToken", "InvalidToken", "AuthenticationRequired":
		return true
	case "":
		var pe *publishers.Error
		return errors.As(err, &pe) && pe.Status == http.StatusUnauthorized
	}
	return false
}

// tokenExpiry reads the exp claim of a JWT without verifying it (only the PDS
// can; the client just wants to know when to refresh). Zero when unreadable.
func tokenExpiry(jwt string) time.Time {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Exp <= 0 {
		return time.Time{}
	}
	return time.Unix(claims.Exp, 0)
}

// pdsEndpoint returns the #atproto_pds service endpoint of a DID document,
// or "" when there is none or it is not an http(s) URL.
func pdsEndpoint(doc json.RawMessage) string {
	if len(doc) == 0 {
		return ""
	}
	var d struct {
		Service []struct {
			ID              string `json:"id"`
			Type            string `json:"type"`
			ServiceEndpoint any    `json:"serviceEndpoint"`
		} `json:"service"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return ""
	}
	for _, svc := range d.Service {
		if !strings.HasSuffix(svc.ID, "#atproto_pds") {
			continue
		}
		ep, _ := svc.ServiceEndpoint.(string)
		if strings.HasPrefix(ep, "https://") || strings.HasPrefix(ep, "http://") {
			return strings.TrimRight(ep, "/")
		}
	}
	return ""
}
