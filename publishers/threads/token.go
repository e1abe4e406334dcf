package threads

import (
	"context"
	"net/url"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// The login kit's hooks for Threads (Threads › Get started › Long-lived
// tokens): a short-lived token from the login is exchanged for a
// long-lived one (60 days), which is refreshed once it is at least 24
// hours old and before it expires; each refresh gives a new 60 days. The
// kit saves the token it gets before using it, as for every rotating
// token.

// Token is an access token Threads issued, and how long it lasts.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// ExchangeToken trades a short-lived Threads token for a long-lived one:
// GET /access_token with grant_type th_exchange_token and the app secret.
func ExchangeToken(ctx context.Context, cfg publishers.Config, appSecret, shortToken string) (Token, error) {
	q := url.Values{"grant_type": {"th_exchange_token"}, "client_secret": {appSecret}, "access_token": {shortToken}}
	return tokenCall(ctx, cfg, "access_token", q, appSecret, shortToken)
}

// RefreshToken refreshes a long-lived token that is at least 24 hours old
// and not expired: GET /refresh_access_token with grant_type
// th_refresh_token. The old token stays valid until it expires.
func RefreshToken(ctx context.Context, cfg publishers.Config, token string) (Token, error) {
	q := url.Values{"grant_type": {"th_refresh_token"}, "access_token": {token}}
	return tokenCall(ctx, cfg, "refresh_access_token", q, token)
}

// RefreshDue says whether a long-lived token issued at issued and expiring
// at expires should be refreshed at now: Threads refreshes only tokens at
// least 24 hours old and not yet expired; crieur refreshes them once a week
// is left, or any time after a day when the expiry is unknown.
func RefreshDue(issued, expires, now time.Time) bool {
	if !issued.IsZero() && now.Sub(issued) < 24*time.Hour {
		return false
	}
	if expires.IsZero() {
		return !issued.IsZero()
	}
	return now.Before(expires) && expires.Sub(now) <= 7*24*time.Hour
}

// tokenCall makes one of the token endpoints' calls (they are not
// versioned, and carry their credentials in the query, as documented).
func tokenCall(ctx context.Context, cfg publishers.Config, path string, q url.Values, secrets ...string) (Token, error) {
	g, err := meta.ReadSettings("threads", "Threads", cfg.Settings, defaultAPI, defaultVersion)
	if err != nil {
		return Token{}, err
	}
	red := cfg.Redact
	if red == nil {
		red = publishers.NewRedactor(nil, nil)
	}
	red.Add(secrets...)
	g.Version, g.HTTP, g.Now, g.Hint = "", cfg.Client(), cfg.Clock, loginHint(cfg.Channel)
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := g.Get(ctx, path, q, &out); err != nil {
		return Token{}, red.Error(err)
	}
	if out.AccessToken == "" {
		return Token{}, &publishers.Error{Class: publishers.Transient, Message: "Threads answered without a token"}
	}
	red.Add(out.AccessToken)
	return Token{AccessToken: out.AccessToken, ExpiresIn: time.Duration(out.ExpiresIn) * time.Second}, nil
}
