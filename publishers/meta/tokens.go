package meta

import (
	"context"
	"net/url"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
)

// LongLived is how Threads and Instagram (with Instagram Login) keep a
// token: the login's short-lived token (one hour) is exchanged for a
// long-lived one (60 days) at GET /access_token with the app's secret, and
// that one is refreshed with itself at GET /refresh_access_token once it is
// at least 24 hours old and before it expires, each refresh giving 60 days
// more (Threads › Get started › Long-lived tokens; Instagram Platform ›
// Reference › Access Token and Refresh Access Token). Both endpoints are
// on the network's Graph host, unversioned, and take their credentials in
// the query, as documented.
type LongLived struct {
	Name, Display string // "threads", "Threads"
	DefaultAPI    string // the Graph host
	// Exchange and Refresh are the grant types: th_exchange_token and
	// th_refresh_token, ig_exchange_token and ig_refresh_token.
	Exchange, Refresh string
	Hint              func(channel string) string
}

// RenewMargin is the oauth.Provider's Margin for a 60-day token: the
// session refreshes it once it is a day old (Meta refuses earlier).
const RenewMargin = 59 * 24 * time.Hour

// Provider completes p (the network's endpoints, scopes and console) as
// a long-lived-token network: the app's secret required by the login and
// sent in the form (the refresh does without it: LoginOnlySecret), code
// 190 refusing the token, the login's token exchanged, then refreshed with
// itself once a day old.
func (l LongLived) Provider(p oauth.Provider) oauth.Provider {
	p.Secret, p.SecretInBody, p.LoginOnlySecret = oauth.SecretRequired, true, true
	p.Refused, p.Margin = Refused, RenewMargin
	p.AfterLogin, p.Renew = l.AfterLogin, l.Renew
	return p
}

// AfterLogin exchanges the login's short-lived token for a long-lived one
// (oauth.Provider.AfterLogin).
func (l LongLived) AfterLogin(ctx context.Context, x oauth.Exchange, t oauth.Token) (oauth.Token, error) {
	q := url.Values{"grant_type": {l.Exchange}, "client_secret": {x.ClientSecret}, "access_token": {t.Access}}
	return l.call(ctx, x.Config, "access_token", q, x.ClientSecret, t.Access)
}

// Renew refreshes a long-lived token with itself (oauth.Provider.Renew).
func (l LongLived) Renew(ctx context.Context, x oauth.Exchange, t oauth.Token) (oauth.Token, error) {
	q := url.Values{"grant_type": {l.Refresh}, "access_token": {t.Access}}
	return l.call(ctx, x.Config, "refresh_access_token", q, t.Access)
}

func (l LongLived) call(ctx context.Context, cfg publishers.Config, path string, q url.Values, secrets ...string) (oauth.Token, error) {
	g, err := ReadSettings(l.Name, l.Display, cfg.Settings, l.DefaultAPI, "")
	if err != nil {
		return oauth.Token{}, err
	}
	red := cfg.Redact
	if red == nil {
		red = publishers.NewRedactor(nil, nil)
	}
	red.Add(secrets...)
	g.Version, g.HTTP, g.Now = "", cfg.Client(), cfg.Clock
	if l.Hint != nil {
		g.Hint = l.Hint(cfg.Channel)
	}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := g.Get(ctx, path, q, &out); err != nil {
		return oauth.Token{}, red.Error(err)
	}
	if out.AccessToken == "" {
		return oauth.Token{}, &publishers.Error{Class: publishers.Transient, Message: l.Display + " answered the token request without a token"}
	}
	red.Add(out.AccessToken)
	t := oauth.Token{Access: out.AccessToken, Type: out.TokenType}
	if out.ExpiresIn > 0 {
		t.Expiry = cfg.Clock().Add(time.Duration(out.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	}
	return t, nil
}
