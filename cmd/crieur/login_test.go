package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/testsvc"

	"github.com/spf13/viper"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
	"github.com/crieur/crieur/scheduler"
)

// The OAuth kit's lab networks, registered for the tests only: one like X
// (PKCE, a public or confidential client, a device endpoint), one like
// LinkedIn (the standard flow with the client secret in the form).
var (
	labPKCE = oauth.Provider{Network: "oauthlab", AuthURL: "https://lab.example/oauth/authorize", TokenURL: "https://lab.example/oauth/token",
		DeviceURL: "https://lab.example/oauth/device", Scopes: []string{"post.write", "offline"}, PKCE: true, Secret: oauth.SecretOptional,
		Console: "https://lab.example/apps"}
	labSecret = oauth.Provider{Network: "oauthlab-secret", AuthURL: "https://lab.example/oauth/v2/authorization",
		TokenURL: "https://lab.example/oauth/v2/accessToken", Scopes: []string{"w_member_social"}, Secret: oauth.SecretRequired,
		SecretInBody: true, RefreshExpiryKey: "refresh_token_expires_in", Console: "https://lab.example/apps"}
)

type labPub struct {
	cfg  publishers.Config
	sess *oauth.Session
}

func (l *labPub) Validate(publishers.Post) []publishers.Problem { return nil }

func (l *labPub) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	resp, err := l.sess.Do(ctx, func(token string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.cfg.Settings["api"]+"/api/posts", strings.NewReader(p.Text))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return l.cfg.Client().Do(req)
	})
	if err != nil {
		if _, ok := err.(*publishers.Error); ok {
			return publishers.Result{}, err
		}
		return publishers.Result{}, publishers.Transport(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return publishers.Result{}, publishers.FromResponse(resp, string(b), l.cfg.Clock())
	}
	return publishers.Result{RemoteID: "lab-1", PublishedAt: l.cfg.Clock()}, nil
}

func init() {
	for _, p := range []oauth.Provider{labPKCE, labSecret} {
		oauth.Register(p)
		publishers.Register(publishers.Network{Name: p.Network, Description: "OAuth lab (tests)",
			Settings: append([]publishers.Field{{Name: "api", Kind: publishers.URL}}, p.Settings()...), Secrets: p.Secrets(),
			New: func(cfg publishers.Config) (publishers.Publisher, error) {
				s, err := oauth.NewSession(p, cfg)
				if err != nil {
					return nil, err
				}
				return &labPub{cfg: cfg, sess: s}, nil
			},
			Offline: func(map[string]string) (publishers.Validator, error) { return &labPub{}, nil }})
	}
}

// loginLab is a calendar with one lab channel and its fake network: the
// authorization server and the API on one server on 127.0.0.1.
type loginLab struct {
	t        *testing.T
	auth     *publishertest.OAuthServer
	base     string
	redirect string
	channel  string
	secret   string
	printed  bytes.Buffer
}

func newLoginLab(t *testing.T, p oauth.Provider, secret string) *loginLab {
	api := func(l *loginLab) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !l.auth.Authorized(r) {
				publishertest.WriteJSON(w, 401, map[string]string{"error": "Unauthorized"})
				return
			}
			w.WriteHeader(http.StatusCreated)
		})
	}
	return newOAuthLab(t, p, secret, "acme-lab", api, func(base string) []string { return []string{"--set", "api=" + base} })
}

// newOAuthLab is a calendar with the channel named channel on p's network,
// added with the flags add(base) and with oauth_base_url and redirect_uri
// pointing at one server on 127.0.0.1 that is the fake authorization
// server and, for every other path, the network's API (api(l)).
func newOAuthLab(t *testing.T, p oauth.Provider, secret, channel string, api func(l *loginLab) http.Handler, add func(base string) []string) *loginLab {
	dir := t.TempDir()
	t.Setenv("CRIEUR_DB", filepath.Join(dir, "crieur.db"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("NO_COLOR", "1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	l := &loginLab{t: t, channel: channel, secret: secret, redirect: "http://127.0.0.1:" + port + "/callback"}
	l.auth = publishertest.NewOAuthServer(t, p, "lab-client", secret)
	l.auth.RedirectURI = l.redirect
	l.auth.RefreshExpiresIn = 30 * 24 * 3600
	h := api(l)
	srv := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.auth.Serves(r) {
			l.auth.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	}))
	l.base = srv.URL
	t.Cleanup(l.noSecretPrinted)
	l.ok("init")
	args := []string{"channel", "add", l.channel, "--network", p.Network, "--set", "oauth_base_url=" + l.base, "--set", "redirect_uri=" + l.redirect}
	l.ok(append(args, add(l.base)...)...)
	return l
}

func (l *loginLab) run(in string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(in), &out, &errOut)
	l.printed.Write(out.Bytes())
	l.printed.Write(errOut.Bytes())
	return code, out.String(), errOut.String()
}

func (l *loginLab) ok(args ...string) string {
	l.t.Helper()
	code, out, errOut := l.run("", args...)
	if code != 0 {
		l.t.Fatalf("crieur %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// noSecretPrinted: no token the server issued, nor the client secret,
// was ever printed.
func (l *loginLab) noSecretPrinted() {
	text := l.printed.String()
	var secrets []string
	if l.secret != "" {
		secrets = append(secrets, l.secret)
	}
	for _, ev := range l.auth.Events() {
		secrets = append(secrets, strings.Fields(ev)[1:]...)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			l.t.Errorf("crieur printed a token or the client secret %q", s)
		}
	}
}

// follow plays the browser: it follows the authorization page's redirect
// back to crieur's loopback, as a person approving does.
func follow(t *testing.T, opened *string) func(string) error {
	return func(u string) error {
		*opened = u
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

func useBrowser(t *testing.T, b func(string) error) {
	old := openBrowser
	openBrowser = b
	t.Cleanup(func() { openBrowser = old })
}

func TestChannelLoginEndToEnd(t *testing.T) {
	for _, c := range []struct {
		name   string
		p      oauth.Provider
		secret string
	}{
		{"pkce-public-client", labPKCE, ""},
		{"pkce-with-secret", labPKCE, "lab-Secret-basic"},
		{"standard-flow-secret-in-form", labSecret, "lab-Secret-form"},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLoginLab(t, c.p, c.secret)
			var opened string
			useBrowser(t, follow(t, &opened))
			args := []string{"channel", "login", l.channel, "--set", "client_id=lab-client", "-o", "json"}
			if c.secret != "" {
				t.Setenv("LAB_SECRET", c.secret)
				args = append(args, "--secret", "client_secret=env:LAB_SECRET")
			}
			var doc loginDoc
			if err := json.Unmarshal([]byte(l.ok(args...)), &doc); err != nil {
				t.Fatal(err)
			}
			if !doc.Connected || !doc.Refreshable || doc.Access == nil || doc.Channel != l.channel {
				t.Errorf("login said %+v", doc)
			}
			if n := l.auth.Count("exchange"); n != 1 {
				t.Errorf("%d code exchanges, want 1", n)
			}
			q, _ := url.Parse(opened)
			if got := q.Query().Get("redirect_uri"); got != l.redirect {
				t.Errorf("redirect_uri %q, want %q", got, l.redirect)
			}
			// The channel publishes with the saved token, renewing it once
			// it is near its end.
			l.ok("post", "new", "--body", "hello", "--channel", l.channel, "--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
			l.ok("publish", "--due")
			if n := l.auth.Count("api"); n != 1 {
				t.Errorf("%d API calls with a good token, want 1", n)
			}
			// channel list and status show the expiry.
			var list []channelListDoc
			if err := json.Unmarshal([]byte(l.ok("channel", "list", "-o", "json")), &list); err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Token == nil || list[0].Token.Access == nil || !list[0].Token.Access.Equal(*doc.Access) {
				t.Errorf("channel list -o json: %+v", list)
			}
			if out := l.ok("channel", "list"); !strings.Contains(out, "TOKEN") {
				t.Errorf("channel list shows no token column:\n%s", out)
			}
			if out := l.ok("status"); !strings.Contains(out, "tokens:") || !strings.Contains(out, "access token expires") {
				t.Errorf("status says nothing of the token:\n%s", out)
			}
		})
	}
}

func TestChannelLoginNoBrowserPaste(t *testing.T) {
	l := newLoginLab(t, labSecret, "lab-Secret-paste")
	t.Setenv("LAB_SECRET", "lab-Secret-paste")
	useBrowser(t, func(string) error { t.Error("--no-browser opened a browser"); return nil })
	l.ok("channel", "edit", l.channel, "--set", "client_id=lab-client", "--secret", "client_secret=env:LAB_SECRET")
	// The person opens the URL on another machine; the browser lands on a
	// loopback that does not answer there; they paste its address back.
	pr, pw := io.Pipe()
	var out, errOut testsvc.SyncBuffer
	done := make(chan int)
	go func() { done <- run([]string{"channel", "login", l.channel, "--no-browser"}, pr, &out, &errOut) }()
	var authURL string
	for deadline := time.Now().Add(5 * time.Second); authURL == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, f := range strings.Fields(errOut.String()) {
			if strings.HasPrefix(f, l.base) {
				authURL = f
			}
		}
	}
	if authURL == "" {
		t.Fatalf("no URL printed:\n%s", errOut.String())
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, _ = io.WriteString(pw, resp.Header.Get("Location")+"\n")
	if code := <-done; code != 0 {
		t.Fatalf("login: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	l.printed.WriteString(out.String() + errOut.String())
	if !strings.Contains(out.String(), "Connected acme-lab to oauthlab-secret") || !strings.Contains(out.String(), "renews it by itself until") {
		t.Errorf("login said:\n%s", out.String())
	}
}

func TestChannelLoginDeviceFlow(t *testing.T) {
	l := newLoginLab(t, labPKCE, "")
	useBrowser(t, func(string) error { t.Error("the device flow opened a browser"); return nil })
	code, out, errOut := l.run("", "channel", "login", l.channel, "--device", "--set", "client_id=lab-client")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "WDJB-MJHT") || l.auth.Count("device") != 1 {
		t.Errorf("device flow: %d grants; said:\n%s", l.auth.Count("device"), errOut)
	}
}

// A channel whose token the network refuses even after a renewal is paused
// with the exact command to run.
func TestOAuthRefusedPausesWithLogin(t *testing.T) {
	l := newLoginLab(t, labPKCE, "")
	var opened string
	useBrowser(t, follow(t, &opened))
	l.ok("channel", "login", l.channel, "--set", "client_id=lab-client")
	l.auth.RefuseAll()
	l.ok("post", "new", "--body", "hello", "--channel", l.channel, "--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	l.run("", "publish", "--due")
	var chans []channelListDoc
	if err := json.Unmarshal([]byte(l.ok("channel", "list", "-o", "json")), &chans); err != nil {
		t.Fatal(err)
	}
	if !chans[0].Paused || !strings.Contains(chans[0].PauseReason, "run `crieur channel login acme-lab`") {
		t.Errorf("channel paused %v: %q", chans[0].Paused, chans[0].PauseReason)
	}
	if strings.Contains(chans[0].PauseReason, "channel edit") {
		t.Errorf("the pause reason gives the generic advice too: %q", chans[0].PauseReason)
	}
}

// A channel never logged in pauses at its first post, with the command.
func TestNotConnectedPausesWithLogin(t *testing.T) {
	l := newLoginLab(t, labPKCE, "")
	l.ok("channel", "edit", l.channel, "--set", "client_id=lab-client")
	l.ok("post", "new", "--body", "hello", "--channel", l.channel, "--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	l.run("", "publish", "--due")
	var chans []channelListDoc
	if err := json.Unmarshal([]byte(l.ok("channel", "list", "-o", "json")), &chans); err != nil {
		t.Fatal(err)
	}
	if !chans[0].Paused || !strings.Contains(chans[0].PauseReason, "not connected to oauthlab yet: run `crieur channel login acme-lab`") {
		t.Errorf("channel paused %v: %q", chans[0].Paused, chans[0].PauseReason)
	}
}

func TestStatusCheckExpiring(t *testing.T) {
	l := newLoginLab(t, labSecret, "lab-Secret-check")
	t.Setenv("LAB_SECRET", "lab-Secret-check")
	l.auth.NoRefresh = true // as LinkedIn for most apps: the access token alone, 60 days
	l.auth.ExpiresIn = 3 * 24 * 3600
	var opened string
	useBrowser(t, follow(t, &opened))
	// Not connected yet: the check fails.
	if code, _, errOut := l.run("", "channel", "edit", l.channel, "--set", "client_id=lab-client", "--secret", "client_secret=env:LAB_SECRET"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := l.run("", "status", "--check"); code != 1 || !strings.Contains(errOut, "not connected") {
		t.Errorf("check before login: exit %d, %s", code, errOut)
	}
	l.ok("channel", "login", l.channel)
	code, _, errOut := l.run("", "status", "--check", "--expiring-within", "7d")
	if code != 1 || !strings.Contains(errOut, "crieur channel login acme-lab") {
		t.Errorf("a token ending in 3 days, checked for 7: exit %d, %s", code, errOut)
	}
	if code, _, errOut := l.run("", "status", "--check", "--expiring-within", "48h"); code != 0 {
		t.Errorf("a token ending in 3 days, checked for 48h: exit %d, %s", code, errOut)
	}
	if code, _, _ := l.run("", "status", "--expiring-within", "7d"); code != exitUsage {
		t.Errorf("--expiring-within without --check: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := l.run("", "status", "--check", "--expiring-within", "soon"); code != exitUsage {
		t.Errorf("--expiring-within soon: exit %d, want %d", code, exitUsage)
	}

	// The daemon's warning and gauge.
	a := &app{v: viper.New(), now: time.Now, ctx: context.Background()}
	a.v.Set(keyDB, os.Getenv("CRIEUR_DB"))
	st, err := a.db()
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	if n := warnExpiring(context.Background(), st, time.Now(), log); n != 1 || !strings.Contains(logged.String(), "fix=\"crieur channel login acme-lab\"") {
		t.Errorf("%d warnings:\n%s", n, logged.String())
	}
	logged.Reset()
	if n := warnExpiring(context.Background(), st, time.Now().Add(-30*24*time.Hour), log); n != 0 {
		t.Errorf("a month before, %d warnings:\n%s", n, logged.String())
	}
	m := scheduler.NewMetrics()
	addTokenGauge(context.Background(), m, st)
	srv := httptest.NewServer(m)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var gauges []string
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "crieur_oauth_token_expiry_timestamp_seconds") {
			gauges = append(gauges, l)
		}
	}
	// The access token only: the network gave no refresh token.
	if len(gauges) != 1 || !regexp.MustCompile(`^crieur_oauth_token_expiry_timestamp_seconds\{channel="acme-lab",network="[a-z-]+",token="access"\} [0-9.e+]+$`).MatchString(gauges[0]) ||
		!strings.Contains(string(body), "# TYPE crieur_oauth_token_expiry_timestamp_seconds gauge\n") {
		t.Errorf("expiry gauges %q in:\n%s", gauges, body)
	}
}
