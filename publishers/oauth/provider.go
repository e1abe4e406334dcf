// Package oauth is the OAuth 2.0 kit the networks that use it share (X,
// LinkedIn, the Meta networks): a network's description as data (Provider),
// the channel's token kept as its credentials in the calendar (Token), an
// adapter's Session that refreshes the token before it expires under the
// channel's lock and saves a rotated refresh token before using it, and the
// flows of `crieur channel login` (Login).
//
// Token exchange and refresh go through golang.org/x/oauth2; the adapter's
// own API calls carry the token in an Authorization header the adapter sets
// (Session.Do), through publishers.Config.Client, which never replays a
// request by itself: every retry is crieur's decision.
package oauth

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/crieur/crieur/publishers"
)

// ClientSecret says whether a network's developer app authenticates with a
// client secret.
type ClientSecret int

const (
	// SecretOptional: a public client (PKCE alone) or a confidential one
	// (with a secret) both work; X's "native app" and "web app" types.
	SecretOptional ClientSecret = iota
	// SecretRequired: the token endpoint wants the secret (LinkedIn).
	SecretRequired
	// SecretNone: the network's apps have no secret.
	SecretNone
)

// Provider describes a network's OAuth 2.0 service as its documentation
// does. An adapter declares its own (or uses X and LinkedIn below) and
// registers it with Register beside publishers.Register.
type Provider struct {
	// Network is the name the network is registered under (publishers.Network.Name).
	Network string
	// AuthURL is the authorization endpoint the browser opens.
	AuthURL string
	// TokenURL is the token endpoint (code exchange and refresh).
	TokenURL string
	// DeviceURL is the device authorization endpoint, when the network
	// offers the device flow (RFC 8628); empty otherwise.
	DeviceURL string
	// Scopes asked for by default; the channel's setting "scopes" (space
	// separated) replaces them.
	Scopes []string
	// ExtraScopes, when set, adds scopes a channel needs by its settings
	// (LinkedIn: w_organization_social for an organisation's page).
	ExtraScopes func(settings map[string]string) []string
	// PKCE: send an S256 code challenge with the authorization request.
	PKCE bool
	// Secret says whether the app authenticates with a client secret.
	Secret ClientSecret
	// SecretInBody sends client_id and client_secret in the token request's
	// form (LinkedIn); otherwise a client with a secret authenticates with
	// HTTP Basic (X's confidential clients). A client without a secret
	// always sends its client_id in the form.
	SecretInBody bool
	// LoginOnlySecret: only the login's exchanges send the client secret
	// (Meta: the code's, then the long-lived token's); the network's
	// tokens come without a refresh token, and its own renewal (Renew)
	// does without the secret, so a session never reads it. The channel's
	// secret client_secret is then publishers.Field.LoginOnly: publishing
	// does not need its reference to resolve.
	LoginOnlySecret bool
	// RefreshExpiryKey names the token response's field that gives the
	// refresh token's lifetime in seconds, where the network sends one
	// (LinkedIn: refresh_token_expires_in).
	RefreshExpiryKey string
	// Console is where a person creates the developer app (said by login's
	// messages).
	Console string
	// Refused, when set, says whether an answer other than 401 also tells
	// that the network refused the token and did not act on the request
	// (Meta: 400 with error code 190); the session then renews the token
	// and retries once, as for a 401. body is the answer's start.
	Refused func(status int, body []byte) bool
	// Margin is how long before its expiry the session renews the access
	// token (DefaultMargin when zero).
	Margin time.Duration
	// AfterLogin, when set, turns the token the login's flow granted into
	// the one the channel keeps (Meta: a short-lived token exchanged for a
	// long-lived one; Facebook: then the Page's token). Its errors are
	// said as they are.
	AfterLogin func(ctx context.Context, x Exchange, t Token) (Token, error)
	// Renew, when set, renews the access token in the network's own way
	// instead of the refresh_token grant (Threads and Instagram extend a
	// long-lived token with itself: no refresh token). Its
	// *publishers.Error of class Auth pauses the channel with the login to
	// run; other errors are returned as they are.
	Renew func(ctx context.Context, x Exchange, t Token) (Token, error)
}

// Exchange is what AfterLogin and Renew are given: the channel (its
// settings, client and clock) and the developer app's credentials.
type Exchange struct {
	Config       publishers.Config
	ClientID     string
	ClientSecret string
}

// The channel settings and secrets the kit reads.
const (
	SettingClientID    = "client_id"
	SettingRedirectURI = "redirect_uri"
	SettingScopes      = "scopes"
	// SettingBaseURL replaces the scheme and host of every OAuth endpoint
	// (the paths are kept): a lab or a test's fake authorization server.
	SettingBaseURL = "oauth_base_url"

	SecretClientSecret = "client_secret"
)

// DefaultRedirectURI is the loopback redirect `channel login` listens on
// unless the channel's redirect_uri says otherwise; it must be registered,
// exactly, in the developer app.
const DefaultRedirectURI = "http://127.0.0.1:8085/callback"

// X is X's OAuth 2.0 service (authorization code with PKCE; refresh tokens
// with offline.access, single-use and rotated on every refresh).
var X = Provider{
	Network:  "x",
	AuthURL:  "https://x.com/i/oauth2/authorize",
	TokenURL: "https://api.x.com/2/oauth2/token",
	Scopes:   []string{"tweet.read", "tweet.write", "users.read", "offline.access", "media.write"},
	PKCE:     true,
	Secret:   SecretOptional,
	Console:  "https://developer.x.com/en/portal/dashboard",
}

// LinkedIn is LinkedIn's OAuth 2.0 service (the standard authorization
// code flow with the client secret; PKCE is for native apps on request
// only). Access tokens last 60 days; refresh tokens are for approved
// partners only. A channel posting as an organisation adds
// w_organization_social to its scopes; one with stats=on the scope that
// reads its posts' numbers.
var LinkedIn = Provider{
	Network:          "linkedin",
	AuthURL:          "https://www.linkedin.com/oauth/v2/authorization",
	TokenURL:         "https://www.linkedin.com/oauth/v2/accessToken",
	Scopes:           []string{"w_member_social", "openid", "profile"},
	Secret:           SecretRequired,
	SecretInBody:     true,
	RefreshExpiryKey: "refresh_token_expires_in",
	Console:          "https://www.linkedin.com/developers/apps",
	ExtraScopes: func(settings map[string]string) []string {
		// stats=on reads the posts' numbers (Social Metadata API): a page
		// with r_organization_social, a member with r_member_social.
		stats, _ := publishers.StatsOn("linkedin", settings, "")
		if strings.HasPrefix(strings.TrimSpace(settings["author"]), "urn:li:organization:") {
			if stats {
				return []string{"w_organization_social", "r_organization_social"}
			}
			return []string{"w_organization_social"}
		}
		if stats {
			return []string{"r_member_social"}
		}
		return nil
	},
}

// Settings are the channel settings an OAuth network lists among its own
// (append them to publishers.Network.Settings). Their texts are constant:
// every network builds them when crieur starts.
func (p Provider) Settings() []publishers.Field {
	return []publishers.Field{
		{Name: SettingClientID, Help: "the client id of your developer app on the network, needed by `crieur channel login`"},
		{Name: SettingRedirectURI, Default: DefaultRedirectURI, Kind: publishers.URL, Help: "the redirect URI registered in your developer app, exactly"},
		{Name: SettingScopes, Help: "the scopes asked for at login, space separated, instead of the network's own (README says which)"},
		{Name: SettingBaseURL, Kind: publishers.URL, Help: "replaces the scheme and host of the OAuth endpoints (a lab or a test server)"},
	}
}

// Secrets are the channel secrets an OAuth network lists among its own
// (append them to publishers.Network.Secrets). None is required when the
// channel is added: `crieur channel login` saves the tokens.
func (p Provider) Secrets() []publishers.Field {
	out := make([]publishers.Field, 0, 3)
	if p.Secret != SecretNone {
		// Constant texts: every network pays for them when crieur starts.
		help := "the client secret of your developer app"
		switch {
		case p.LoginOnlySecret:
			help = "the client secret of your developer app, used by `crieur channel login` only (publishing does not need it)"
		case p.Secret == SecretRequired:
			help = "the client secret of your developer app (the network requires it)"
		}
		out = append(out, publishers.Field{Name: SecretClientSecret, Help: help, LoginOnly: p.LoginOnlySecret})
	}
	return append(out,
		publishers.Field{Name: KeyAccess, Help: "saved by `crieur channel login`"},
		publishers.Field{Name: KeyRefresh, Help: "saved by `crieur channel login`; rotated on refresh"})
}

// Endpoints returns the provider's endpoints for a channel's settings:
// with oauth_base_url set, each endpoint's scheme and host are replaced.
func (p Provider) Endpoints(settings map[string]string) (Provider, error) {
	base := strings.TrimSpace(settings[SettingBaseURL])
	if base == "" {
		return p, nil
	}
	b, ok := publishers.HTTPURL(base)
	if !ok {
		return p, fmt.Errorf("setting %s: %q is not an http(s) URL", SettingBaseURL, base)
	}
	if err := publishers.CheckHTTPS("setting "+SettingBaseURL, b, settings); err != nil {
		return p, err
	}
	move := func(raw string) string {
		if raw == "" {
			return ""
		}
		u, err := url.Parse(raw)
		if err != nil {
			return raw
		}
		u.Scheme, u.Host = b.Scheme, b.Host
		u.Path = strings.TrimSuffix(b.Path, "/") + u.Path
		return u.String()
	}
	p.AuthURL, p.TokenURL, p.DeviceURL = move(p.AuthURL), move(p.TokenURL), move(p.DeviceURL)
	return p, nil
}

// ScopesFor are the scopes a login asks for: the channel's setting scopes,
// else the provider's own and those its settings need (ExtraScopes).
func (p Provider) ScopesFor(settings map[string]string) []string {
	if v := strings.TrimSpace(settings[SettingScopes]); v != "" {
		return strings.Fields(v)
	}
	out := append([]string(nil), p.Scopes...)
	if p.ExtraScopes != nil {
		for _, sc := range p.ExtraScopes(settings) {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out
}

// config is the oauth2 configuration of a channel. clientID must be set;
// secret may be empty for a public client.
func (p Provider) config(settings map[string]string, clientID, secret, redirect string) (*oauth2.Config, error) {
	ep, err := p.Endpoints(settings)
	if err != nil {
		return nil, err
	}
	style := oauth2.AuthStyleInHeader
	if secret == "" || p.SecretInBody {
		style = oauth2.AuthStyleInParams
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: secret,
		RedirectURL:  redirect,
		Scopes:       p.ScopesFor(settings),
		Endpoint: oauth2.Endpoint{
			AuthURL:       ep.AuthURL,
			TokenURL:      ep.TokenURL,
			DeviceAuthURL: ep.DeviceURL,
			// Never AutoDetect: it sends the token request a second time
			// when the first is refused.
			AuthStyle: style,
		},
	}, nil
}

var (
	regMu     sync.RWMutex
	providers = map[string]Provider{}
)

// Register makes p the OAuth description of its network, for `crieur
// channel login`, `status` and `channel list`. Adapters call it from init,
// beside publishers.Register. Registering a network twice panics.
func Register(p Provider) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := providers[p.Network]; dup {
		panic("oauth: provider registered twice: " + p.Network)
	}
	providers[p.Network] = p
}

// Lookup returns the OAuth description of the network, if it has one.
func Lookup(network string) (Provider, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	p, ok := providers[network]
	return p, ok
}

// Networks lists the networks registered with an OAuth description, sorted.
func Networks() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(providers))
	for k := range providers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
