package oauth_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"

	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// browser plays the user's browser: it follows the authorization server's
// redirect to the loopback, as a person approving would.
func browser(t *testing.T, seen *string) func(string) error {
	return func(u string) error {
		*seen = u
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				t.Errorf("browser: %v", err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}()
		return nil
	}
}

var device = oauth.Provider{Network: "devnet", AuthURL: "https://id.example/authorize", TokenURL: "https://id.example/token",
	DeviceURL: "https://id.example/device", Scopes: []string{"post"}, Secret: oauth.SecretOptional}

func TestLogin(t *testing.T) {
	for _, c := range []struct {
		name      string
		p         oauth.Provider
		secret    string
		noBrowser bool
		device    bool
		paste     func(redirected string) string
	}{
		{name: "x-pkce-public", p: oauth.X},
		{name: "x-pkce-confidential", p: oauth.X, secret: "x-Secret-1"},
		{name: "linkedin-standard-with-secret", p: oauth.LinkedIn, secret: "li-Secret-2"},
		{name: "no-browser-paste-url", p: oauth.X, noBrowser: true, paste: func(r string) string { return r }},
		{name: "no-browser-paste-code", p: oauth.LinkedIn, secret: "li-Secret-3", noBrowser: true, paste: func(r string) string {
			u, _ := url.Parse(r)
			return u.Query().Get("code")
		}},
		{name: "device-flow", p: device, device: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			redirect := "http://127.0.0.1:" + freePort(t) + "/callback"
			auth := publishertest.NewOAuthServer(t, c.p, "my-app", c.secret)
			auth.RedirectURI = redirect
			auth.RefreshExpiresIn = 365 * 24 * 3600
			srv := publishertest.Server(t, auth)
			now := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
			var out testsvc.SyncBuffer
			l := oauth.Login{Provider: c.p, Channel: "acme", ClientSecret: c.secret, Out: &out, NoBrowser: c.noBrowser, Device: c.device,
				Settings: map[string]string{oauth.SettingClientID: "my-app", oauth.SettingRedirectURI: redirect, oauth.SettingBaseURL: srv.URL},
				Now:      func() time.Time { return now }, Wait: 5 * time.Second}
			var opened string
			if c.noBrowser {
				// The person opens the printed URL elsewhere; the browser
				// lands on a loopback nothing listens on, and they paste
				// the address it went to.
				pr, pw := io.Pipe()
				l.In = pr
				go func() {
					for !strings.Contains(out.String(), "Paste") {
						time.Sleep(5 * time.Millisecond)
					}
					authURL := strings.Fields(strings.SplitN(out.String(), "\n\n", 3)[1])[0]
					client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
					resp, err := client.Get(authURL)
					if err != nil {
						t.Errorf("authorize: %v", err)
						pw.Close()
						return
					}
					resp.Body.Close()
					_, _ = io.WriteString(pw, c.paste(resp.Header.Get("Location"))+"\n")
				}()
			} else if !c.device {
				l.Browser = browser(t, &opened)
			}
			tok, err := l.Run(context.Background())
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out.String())
			}
			if tok.Access == "" || tok.Refresh == "" || tok.Type != "bearer" || tok.Scope == "" {
				t.Errorf("token %+v lacks a field", tok)
			}
			if want := now.Add(time.Duration(auth.ExpiresIn) * time.Second); !tok.Expiry.Equal(want) {
				t.Errorf("expiry %v, want %v", tok.Expiry, want)
			}
			if c.p.RefreshExpiryKey != "" && !tok.RefreshExpiry.Equal(now.Add(365*24*time.Hour)) {
				t.Errorf("refresh expiry %v, want a year on", tok.RefreshExpiry)
			}
			grants := auth.Count("exchange")
			if c.device {
				grants = auth.Count("device")
				if !strings.Contains(out.String(), "WDJB-MJHT") {
					t.Errorf("the device code is not shown:\n%s", out.String())
				}
			}
			if grants != 1 {
				t.Errorf("%d grants, want 1", grants)
			}
			if !c.noBrowser && !c.device {
				u, _ := url.Parse(opened)
				q := u.Query()
				if q.Get("scope") != strings.Join(c.p.Scopes, " ") {
					t.Errorf("scope %q", q.Get("scope"))
				}
				if (q.Get("code_challenge") != "") != c.p.PKCE {
					t.Errorf("PKCE challenge %q for a network whose PKCE is %v", q.Get("code_challenge"), c.p.PKCE)
				}
			}
			for _, v := range []string{tok.Access, tok.Refresh, c.secret} {
				if v != "" && strings.Contains(out.String(), v) {
					t.Errorf("the login printed a token or the secret:\n%s", out.String())
				}
			}
		})
	}
}

func TestLoginRefusals(t *testing.T) {
	redirect := "http://127.0.0.1:" + freePort(t) + "/callback"
	auth := publishertest.NewOAuthServer(t, oauth.X, "my-app", "")
	auth.RedirectURI = redirect
	srv := publishertest.Server(t, auth)
	settings := map[string]string{oauth.SettingClientID: "my-app", oauth.SettingRedirectURI: redirect, oauth.SettingBaseURL: srv.URL}
	for _, c := range []struct {
		name  string
		login oauth.Login
		want  string
	}{
		{"forged-state", oauth.Login{Provider: oauth.X, Settings: settings, NoBrowser: true,
			In: strings.NewReader(redirect + "?code=abc&state=forged\n")}, "state does not match"},
		{"denied", oauth.Login{Provider: oauth.X, Settings: settings, NoBrowser: true,
			In: strings.NewReader(redirect + "?error=access_denied&error_description=The+user+said+no\n")}, "access_denied: The user said no"},
		{"nothing-pasted", oauth.Login{Provider: oauth.X, Settings: settings, NoBrowser: true, In: strings.NewReader("")}, "nothing was pasted"},
		{"unknown-code", oauth.Login{Provider: oauth.X, Settings: settings, NoBrowser: true, In: strings.NewReader("made-up-code\n")}, "invalid_grant"},
		{"no-client-id", oauth.Login{Provider: oauth.X, Settings: map[string]string{}, NoBrowser: true, In: strings.NewReader("")}, "client_id: missing"},
		{"linkedin-without-secret", oauth.Login{Provider: oauth.LinkedIn, Settings: settings, NoBrowser: true, In: strings.NewReader("")}, "client_secret: missing"},
		{"no-device-flow", oauth.Login{Provider: oauth.X, Settings: settings, Device: true}, "has no device flow"},
		{"redirect-not-loopback", oauth.Login{Provider: oauth.X, Settings: map[string]string{oauth.SettingClientID: "my-app",
			oauth.SettingRedirectURI: "https://crieur.example/callback", oauth.SettingBaseURL: srv.URL}}, "use --no-browser"},
		{"browser-never-comes-back", oauth.Login{Provider: oauth.X, Settings: settings, Wait: 50 * time.Millisecond}, "no answer from the browser"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.login.Out = io.Discard
			_, err := c.login.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one saying %q", err, c.want)
			}
		})
	}
}

func TestLoopbackChecksState(t *testing.T) {
	redirect := "http://127.0.0.1:" + freePort(t) + "/callback"
	auth := publishertest.NewOAuthServer(t, oauth.X, "my-app", "")
	auth.RedirectURI = redirect
	srv := publishertest.Server(t, auth)
	l := oauth.Login{Provider: oauth.X, Out: io.Discard, Wait: 5 * time.Second,
		Settings: map[string]string{oauth.SettingClientID: "my-app", oauth.SettingRedirectURI: redirect, oauth.SettingBaseURL: srv.URL},
		// Another page sends the browser to the loopback with its own code.
		Browser: func(string) error {
			go func() {
				resp, err := http.Get(redirect + "?code=stolen&state=other")
				if err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}}
	_, err := l.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "state does not match") {
		t.Fatalf("error %v, want a state mismatch", err)
	}
	if auth.Count("exchange") != 0 {
		t.Errorf("a code with a foreign state was exchanged")
	}
}

func TestScopesFor(t *testing.T) {
	for _, c := range []struct {
		p        oauth.Provider
		settings map[string]string
		want     string
	}{
		{oauth.LinkedIn, map[string]string{"author": "urn:li:person:abc"}, "w_member_social openid profile"},
		{oauth.LinkedIn, map[string]string{"author": "urn:li:organization:123"}, "w_member_social openid profile w_organization_social"},
		{oauth.LinkedIn, map[string]string{"author": "urn:li:organization:123", oauth.SettingScopes: "w_organization_social"}, "w_organization_social"},
		{oauth.LinkedIn, map[string]string{"author": "urn:li:organization:123", "stats": "on"}, "w_member_social openid profile w_organization_social r_organization_social"},
		{oauth.LinkedIn, map[string]string{"stats": "on"}, "w_member_social openid profile r_member_social"},
		{oauth.LinkedIn, map[string]string{"stats": "off"}, "w_member_social openid profile"},
		{oauth.X, nil, "tweet.read tweet.write users.read offline.access media.write"},
	} {
		if got := strings.Join(c.p.ScopesFor(c.settings), " "); got != c.want {
			t.Errorf("%s %v: scopes %q, want %q", c.p.Network, c.settings, got, c.want)
		}
	}
}

func TestEndpointsAndExpiry(t *testing.T) {
	p, err := oauth.X.Endpoints(map[string]string{oauth.SettingBaseURL: "http://127.0.0.1:9999/lab"})
	if err != nil {
		t.Fatal(err)
	}
	if p.AuthURL != "http://127.0.0.1:9999/lab/i/oauth2/authorize" || p.TokenURL != "http://127.0.0.1:9999/lab/2/oauth2/token" {
		t.Errorf("endpoints %s %s", p.AuthURL, p.TokenURL)
	}
	if _, err := oauth.X.Endpoints(map[string]string{oauth.SettingBaseURL: "http://lab.example"}); err == nil {
		t.Errorf("plain http to another machine accepted for the token endpoint")
	}
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		name   string
		tok    oauth.Token
		within bool
	}{
		{"not connected", oauth.Token{}, true},
		{"access only, in 3 days", oauth.Token{Access: "a", Expiry: now.Add(3 * day)}, true},
		{"access only, in 30 days", oauth.Token{Access: "a", Expiry: now.Add(30 * day)}, false},
		{"refreshable, access in an hour", oauth.Token{Access: "a", Refresh: "r", Expiry: now.Add(time.Hour)}, false},
		{"refreshable until 5 days", oauth.Token{Access: "a", Refresh: "r", Expiry: now.Add(time.Hour), RefreshExpiry: now.Add(5 * day)}, true},
		{"no expiry said", oauth.Token{Access: "a"}, false},
	} {
		if got := oauth.ExpiryOf(c.tok).ExpiresWithin(now, 7*day); got != c.within {
			t.Errorf("%s: within 7 days = %v, want %v", c.name, got, c.within)
		}
	}
}

// A token endpoint that refuses the code: its reason is shown, in the OAuth
// standard's shape and in Meta's (the Graph API's error object, Instagram
// Login's flat one), and nothing secret the server echoed is: neither the
// app's secret, nor the code, nor a token-like word.
func TestLoginRefusalSaysWhy(t *testing.T) {
	const secret, code = "app-Secret-42", "AQBx-pasted-Code-0123456789"
	const echoed = "EAAGm0ZC4ZBunknownTokenZBZC1234567890"
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   []string
	}{
		{"oauth-standard", 400, `{"error":"invalid_grant","error_description":"The code ` + code + ` has expired"}`,
			[]string{"linkedin refused the login: invalid_grant: The code [redacted] has expired (status 400)"}},
		{"graph-error-object", 400, `{"error":{"message":"Error validating client secret ` + secret + ` for code ` + code + `","type":"OAuthException","code":1,"fbtrace_id":"AbC"}}`,
			[]string{"Error validating client secret [redacted] for code [redacted] [OAuthException, code 1]", "status 400"}},
		{"graph-redirect-uri", 400, `{"error":{"message":"Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request","type":"OAuthException","code":100,"error_subcode":36008}}`,
			[]string{"Please make sure your redirect_uri is identical", "[OAuthException, code 100/36008]"}},
		{"instagram-flat", 400, `{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code, token ` + echoed + `"}`,
			[]string{"Invalid authorization code, token [redacted] [OAuthException, code 400]"}},
		{"no-words", 503, `<html>busy</html>`, []string{"Service Unavailable (status 503)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var form url.Values
			srv := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = r.ParseForm()
				form = r.PostForm
				if strings.HasPrefix(c.body, "{") {
					w.Header().Set("Content-Type", "application/json")
				} else {
					w.Header().Set("Content-Type", "text/html")
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.body)
			}))
			l := oauth.Login{Provider: oauth.LinkedIn, Channel: "acme", ClientSecret: secret, NoBrowser: true, Out: io.Discard,
				In:       strings.NewReader(code + "\n"),
				Settings: map[string]string{oauth.SettingClientID: "my-app", oauth.SettingBaseURL: srv.URL}}
			_, err := l.Run(context.Background())
			if err == nil {
				t.Fatal("the refused login succeeded")
			}
			if form.Get("code") != code || form.Get("client_secret") != secret {
				t.Fatalf("the token endpoint got %v", form)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to say %q", err, w)
				}
			}
			for _, s := range []string{secret, code, echoed} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
		})
	}
}
