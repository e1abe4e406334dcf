package facebook

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
	"github.com/crieur/crieur/publishers/oauth"
)

// Provider is Facebook Login (Facebook Login › Manually Build a Login
// Flow: the login dialog at www.facebook.com/vNN.N/dialog/oauth, the code
// exchanged at graph.facebook.com/vNN.N/oauth/access_token with the app's
// id and secret; Pages API › Permissions: pages_manage_posts,
// pages_read_engagement, pages_show_list). Facebook Login for Devices is
// not the RFC 8628 device flow the kit speaks (POST /device/login with an
// app's client token, polling /device/login_status for a "code"), so the
// channel logs in through the browser, or with --no-browser.
//
// After the login, afterLogin exchanges the user token for a long-lived
// one, then keeps the token of the channel's Page, which has no expiry
// (Facebook Login › Access Tokens › Long-lived tokens): nothing to renew;
// a Page token Meta invalidates (a password change, a role removed) pauses
// the channel until `crieur channel login`.
var Provider = oauth.Provider{
	Network:      "facebook",
	AuthURL:      "https://www.facebook.com/" + defaultVersion + "/dialog/oauth",
	TokenURL:     "https://graph.facebook.com/" + defaultVersion + "/oauth/access_token",
	Scopes:       []string{"pages_manage_posts", "pages_read_engagement", "pages_show_list"},
	Secret:       oauth.SecretRequired,
	SecretInBody: true,
	// The Page token is never renewed: the app's secret serves the login
	// only.
	LoginOnlySecret: true,
	Console:         "https://developers.facebook.com/apps/ (a Business app with Facebook Login)",
	Refused:         meta.Refused,
	AfterLogin:      afterLogin,
}

// afterLogin turns the login's user token into the channel's Page token:
// a long-lived user token first (a Page token from a short-lived one
// expires within the hour), then the Page named by the setting page among
// the user's (the error lists them when it is not there).
func afterLogin(ctx context.Context, x oauth.Exchange, t oauth.Token) (oauth.Token, error) {
	long, err := ExchangeUserToken(ctx, x.Config, x.ClientID, x.ClientSecret, t.Access)
	if err != nil {
		return oauth.Token{}, err
	}
	pages, err := Pages(ctx, x.Config, long.AccessToken)
	if err != nil {
		return oauth.Token{}, err
	}
	page, err := ChoosePage(pages, x.Config.Settings[settingPage])
	if err != nil {
		return oauth.Token{}, err
	}
	if !meta.ValidID(page.ID) || page.AccessToken == "" {
		return oauth.Token{}, &publishers.Error{Class: publishers.Transient, Message: "Facebook listed the Page " + page.ID + " without its access token"}
	}
	return oauth.Token{Access: page.AccessToken, Type: "bearer"}, nil
}

// Token is an access token Meta issued, and how long it lasts (zero: Meta
// gave no expiry).
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// ExchangeUserToken trades a short-lived user token for a long-lived one
// (about 60 days): GET /oauth/access_token with grant_type
// fb_exchange_token, the app's id and secret (Facebook Login › Access
// Tokens › Get a long-lived user access token). cfg is the channel's (its
// api and version settings, its client).
func ExchangeUserToken(ctx context.Context, cfg publishers.Config, appID, appSecret, userToken string) (Token, error) {
	g, err := loginGraph(&cfg, "")
	if err != nil {
		return Token{}, err
	}
	q := url.Values{"grant_type": {"fb_exchange_token"}, "client_id": {appID}, "client_secret": {appSecret}, "fb_exchange_token": {userToken}}
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	cfg.Redact.Add(appSecret, userToken)
	if err := g.Get(ctx, "oauth/access_token", q, &out); err != nil {
		return Token{}, cfg.Redact.Error(err)
	}
	if out.AccessToken == "" {
		return Token{}, &publishers.Error{Class: publishers.Transient, Message: "Facebook answered the token exchange without a token"}
	}
	cfg.Redact.Add(out.AccessToken)
	return Token{AccessToken: out.AccessToken, ExpiresIn: time.Duration(out.ExpiresIn) * time.Second}, nil
}

// Page is one Page the user manages, with its Page access token and the
// tasks the user may perform on it (CREATE_CONTENT is needed to post).
type Page struct {
	ID          string
	Name        string
	AccessToken string
	Tasks       []string
}

// CanPost reports whether the user may publish as the Page.
func (p Page) CanPost() bool {
	for _, t := range p.Tasks {
		if t == "CREATE_CONTENT" || t == "MANAGE" {
			return true
		}
	}
	return len(p.Tasks) == 0 // Meta did not say
}

// Pages lists the Pages the user whose token it is manages (GET
// /me/accounts with fields id, name, access_token, tasks: Pages API ›
// Get Started › Page access tokens), at most 100.
func Pages(ctx context.Context, cfg publishers.Config, userToken string) ([]Page, error) {
	g, err := loginGraph(&cfg, userToken)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data []struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			AccessToken string   `json:"access_token"`
			Tasks       []string `json:"tasks"`
		} `json:"data"`
	}
	cfg.Redact.Add(userToken)
	if err := g.Get(ctx, "me/accounts", url.Values{"fields": {"id,name,access_token,tasks"}, "limit": {"100"}}, &out); err != nil {
		return nil, cfg.Redact.Error(err)
	}
	pages := make([]Page, 0, len(out.Data))
	for _, d := range out.Data {
		cfg.Redact.Add(d.AccessToken)
		pages = append(pages, Page{ID: d.ID, Name: d.Name, AccessToken: d.AccessToken, Tasks: d.Tasks})
	}
	return pages, nil
}

// ChoosePage finds the Page called want (its id or its name, any case)
// among pages; with want empty, the only Page the user may post as. The
// error lists the Pages to choose from with `--set page=ID`.
func ChoosePage(pages []Page, want string) (Page, error) {
	want = strings.TrimSpace(want)
	var postable []Page
	for _, p := range pages {
		if want != "" && (p.ID == want || strings.EqualFold(p.Name, want)) {
			return p, nil
		}
		if p.CanPost() {
			postable = append(postable, p)
		}
	}
	if want == "" && len(postable) == 1 {
		return postable[0], nil
	}
	var b strings.Builder
	switch {
	case len(postable) == 0:
		return Page{}, &publishers.Error{Class: publishers.Auth, Message: "the Facebook user manages no Page they may post to (they need the CREATE_CONTENT task on it)"}
	case want != "":
		fmt.Fprintf(&b, "no Page %q among the user's; choose one with --set page=ID:", want)
	default:
		b.WriteString("the user manages several Pages; choose one with --set page=ID:")
	}
	for _, p := range postable {
		fmt.Fprintf(&b, "\n  %s  %s", p.ID, p.Name)
	}
	return Page{}, &publishers.Error{Class: publishers.Permanent, Message: b.String()}
}

// loginGraph is a Graph for the login kit's calls, with a redactor (the
// channel's, or a new one) that will hide the secrets it handles.
func loginGraph(cfg *publishers.Config, token string) (*meta.Graph, error) {
	if cfg.Redact == nil {
		cfg.Redact = publishers.NewRedactor(nil, nil)
	}
	g, err := meta.ReadSettings("facebook", "Facebook", cfg.Settings, defaultAPI, defaultVersion)
	if err != nil {
		return nil, err
	}
	g.HTTP, g.Now, g.Hint = cfg.Client(), cfg.Clock, loginHint(cfg.Channel)
	if token != "" {
		g.Auth = meta.Static(token)
	}
	return g, nil
}
