package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers/facebook"
	"github.com/crieur/crieur/publishers/instagram"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
	"github.com/crieur/crieur/publishers/threads"
	"github.com/crieur/crieur/scheduler"
)

// runAt runs one command with the app's clock at now (a token's expiry
// reached without waiting).
func (l *loginLab) runAt(now time.Time, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runAt(func() time.Time { return now }, args, &out, &errOut)
	l.printed.Write(out.Bytes())
	l.printed.Write(errOut.Bytes())
	return code, out.String(), errOut.String()
}

// X and LinkedIn connected for real: `channel login` against the fake
// authorization server (an HTTP client plays the browser), then `publish
// --due` to the network's fake with the saved token; the token expires,
// is renewed, and the next post goes out; once more, which X's single-use
// refresh tokens allow only if the rotated one was saved and sent (the
// fake revokes the whole family when an old one comes back).
func TestChannelLoginNetworks(t *testing.T) {
	for _, c := range []struct {
		p       oauth.Provider
		secret  string
		add     func(base string) []string // channel add's flags, as README says
		token   string                     // the one token the network's fake takes
		serve   func(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte)
		create  string // the path of the call that makes a post
		refused string // the network's 401
	}{
		{p: oauth.X, add: func(base string) []string { return []string{"--set", "api=" + base, "--set", "client_id=lab-client"} },
			token: xToken, serve: serveX, create: "/2/tweets",
			refused: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`},
		{p: oauth.LinkedIn, secret: "li-Secret-app",
			add: func(base string) []string {
				return []string{"--set", "api=" + base, "--set", "author=" + linkedinOrg, "--set", "version=202610",
					"--set", "client_id=lab-client", "--secret", "client_secret=env:CRIEUR_LOGIN_SECRET"}
			},
			token: linkedinToken, serve: serveLinkedIn, create: "/rest/posts",
			refused: `{"serviceErrorCode":65600,"code":"INVALID_ACCESS_TOKEN","message":"Invalid access token","status":401}`},
	} {
		t.Run(c.p.Network, func(t *testing.T) {
			fake := &fakeNet{t: t, serve: c.serve}
			api := func(l *loginLab) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if !l.auth.Authorized(r) {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnauthorized)
						_, _ = io.WriteString(w, c.refused)
						return
					}
					// A token the authorization server issued: the
					// network's fake checks the rest of the request.
					r.Header.Set("Authorization", "Bearer "+c.token)
					fake.ServeHTTP(w, r)
				})
			}
			t.Setenv("CRIEUR_LOGIN_SECRET", c.secret)
			// channel add … --set client_id=… [--secret client_secret=…],
			// then channel login NAME.
			l := newOAuthLab(t, c.p, c.secret, "acme-"+c.p.Network, api, c.add)
			var opened string
			useBrowser(t, follow(t, &opened))
			var doc loginDoc
			if err := json.Unmarshal([]byte(l.ok("channel", "login", l.channel, "-o", "json")), &doc); err != nil {
				t.Fatal(err)
			}
			if !doc.Connected || !doc.Refreshable {
				t.Fatalf("login said %+v", doc)
			}
			if !strings.HasPrefix(opened, l.base+"/") {
				t.Errorf("the browser opened %q, not the network's authorization page", opened)
			}

			start := time.Now()
			post := func(slug string, due time.Time, publishAt time.Time, wantRefresh, wantPosts int) {
				t.Helper()
				l.ok("post", "new", "--slug", slug, "--body", "News "+slug+".", "--channel", l.channel,
					"--at", due.UTC().Format(time.RFC3339), "--allow-past")
				code, out, errOut := l.runAt(publishAt, "publish", "--due", "-o", "json")
				var rep scheduler.Report
				if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || rep.Published != 1 {
					t.Fatalf("publish --due at %v: exit %d\n%s%s", publishAt, code, out, errOut)
				}
				if n := l.auth.Count("refresh"); n != wantRefresh {
					t.Errorf("%d renewals, want %d", n, wantRefresh)
				}
				if n := len(fake.calls("POST", c.create)); n != wantPosts {
					t.Errorf("%d posts made, want %d", n, wantPosts)
				}
				if n := l.auth.Count("rejected"); n != 0 {
					t.Errorf("%d calls with a token the network refused, want 0: renew it before use", n)
				}
			}
			// The token login saved, good for two hours.
			post("first", start.Add(-time.Minute), start, 0, 1)
			// Three hours later it has expired: renewed, then used.
			post("second", start.Add(3*time.Hour-time.Minute), start.Add(3*time.Hour), 1, 2)
			// And again: the renewal sends the refresh token the last one
			// saved (X's old one would revoke them all).
			post("third", start.Add(6*time.Hour-time.Minute), start.Add(6*time.Hour), 2, 3)
		})
	}
}

// Threads and Instagram connected for real: `channel login` against the
// fake authorization server, the short-lived token exchanged for a
// long-lived one (th_exchange_token, ig_exchange_token), `publish --due`
// with it; two days later the session refreshes it with itself
// (th_refresh_token, ig_refresh_token), saves it, and the next post goes
// out with the new one. The app's secret, given as env:VAR, serves the
// login only: publishing and the refresh run without the variable set
// (a daemon started elsewhere), and the channel is never paused for it.
func TestChannelLoginThreads(t *testing.T) {
	for _, c := range []struct {
		p                 oauth.Provider
		exchange, refresh string // the grant types
		user, version     string
		token             string // the one token the network's fake takes
		serve             func(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte)
		create            string // the call that publishes a post
		pref              string // how the fake tokens start
		image             bool   // a post needs one (Instagram)
	}{
		{p: threads.Provider, exchange: "th_exchange_token", refresh: "th_refresh_token", user: threadsUser, version: "v1.0",
			token: threadsToken, serve: serveThreads, create: "/v1.0/" + threadsUser + "/threads_publish", pref: "THAA"},
		{p: instagram.Provider, exchange: "ig_exchange_token", refresh: "ig_refresh_token", user: instagramUser, version: "v25.0",
			token: instagramToken, serve: serveInstagram, create: "/v25.0/" + instagramUser + "/media_publish", pref: "IGAA", image: true},
	} {
		t.Run(c.p.Network, func(t *testing.T) {
			secret, long1, long2 := c.p.Network+"-Secret-app", c.pref+"-long-Secret-1", c.pref+"-long-Secret-2"
			fake := &fakeNet{t: t, serve: c.serve}
			var mu sync.Mutex
			var exchanged, refreshed int
			var sent []string // the tokens the API calls carried
			api := func(l *loginLab) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if serveMedia(w, r) { // the media host Meta fetches images from
						return
					}
					q := r.URL.Query()
					mu.Lock()
					defer mu.Unlock()
					switch r.URL.Path {
					case "/access_token":
						short := httptest.NewRequest("GET", "/", nil)
						short.Header.Set("Authorization", "Bearer "+q.Get("access_token"))
						if q.Get("grant_type") != c.exchange || q.Get("client_secret") != secret || !l.auth.Authorized(short) {
							t.Errorf("exchange: %v", q)
						}
						exchanged++
						publishertest.WriteJSON(w, 200, map[string]any{"access_token": long1, "token_type": "bearer", "expires_in": 5184000})
						return
					case "/refresh_access_token":
						if q.Get("grant_type") != c.refresh || q.Get("access_token") != long1 || q.Has("client_secret") {
							t.Errorf("refresh: %v", q)
						}
						refreshed++
						publishertest.WriteJSON(w, 200, map[string]any{"access_token": long2, "token_type": "bearer", "expires_in": 5184000})
						return
					}
					tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
					sent = append(sent, tok)
					if tok != long1 && tok != long2 {
						publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Error validating access token", "type": "OAuthException", "code": 190}})
						return
					}
					r.Header.Set("Authorization", "Bearer "+c.token)
					fake.ServeHTTP(w, r)
				})
			}
			t.Setenv("CRIEUR_LOGIN_SECRET", secret)
			dir := t.TempDir()
			l := newOAuthLab(t, c.p, secret, "acme-"+c.p.Network, api, func(base string) []string {
				args := []string{"--set", "api=" + base, "--set", "user=" + c.user, "--set", "version=" + c.version,
					"--set", "client_id=lab-client", "--secret", "client_secret=env:CRIEUR_LOGIN_SECRET"}
				for _, kv := range metaMediaHost(base, dir) {
					args = append(args, "--set", kv)
				}
				return args
			})
			var media []string
			if c.image {
				jpeg := filepath.Join(dir, "cover.jpg")
				if err := os.WriteFile(jpeg, tinyJPEG(t), 0o600); err != nil {
					t.Fatal(err)
				}
				media = []string{"--media", jpeg + "#A cake on a table"}
			}
			var opened string
			useBrowser(t, follow(t, &opened))
			var doc loginDoc
			if err := json.Unmarshal([]byte(l.ok("channel", "login", l.channel, "-o", "json")), &doc); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if !doc.Connected || doc.Access == nil || doc.Access.Before(start.Add(59*24*time.Hour)) || !doc.RenewsItself || exchanged != 1 {
				t.Fatalf("login said %+v after %d exchanges: want the long-lived token (60 days)", doc, exchanged)
			}
			// Publishing runs where the app's secret is not set.
			t.Setenv("CRIEUR_LOGIN_SECRET", "")
			post := func(slug string, at time.Time, wantRefresh int, wantToken string) {
				t.Helper()
				l.ok(append([]string{"post", "new", "--slug", slug, "--body", "News " + slug + ".", "--channel", l.channel,
					"--at", at.Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past"}, media...)...)
				code, out, errOut := l.runAt(at, "publish", "--due", "-o", "json")
				var rep scheduler.Report
				if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || rep.Published != 1 || rep.Paused != 0 {
					t.Fatalf("publish --due at %v: exit %d\n%s%s", at, code, out, errOut)
				}
				mu.Lock()
				defer mu.Unlock()
				if refreshed != wantRefresh {
					t.Errorf("%d refreshes, want %d", refreshed, wantRefresh)
				}
				if last := sent[len(sent)-1]; last != wantToken {
					t.Errorf("the API got token %q, want %q", last, wantToken)
				}
			}
			post("first", start, 0, long1)
			// Two days later the token is refreshed (Meta refuses before a
			// day), saved, and used.
			post("second", start.Add(48*time.Hour), 1, long2)
			// The saved one is fresh: no second refresh.
			post("third", start.Add(49*time.Hour), 1, long2)
			if n := len(fake.calls("POST", c.create)); n != 3 {
				t.Errorf("%d posts published, want 3", n)
			}
			if show := l.ok("channel", "show", l.channel); strings.Contains(show, "paused") {
				t.Errorf("the channel is paused:\n%s", show)
			}
		})
	}
}

// A Facebook Page connected for real: the login's user token exchanged
// for a long-lived one (fb_exchange_token), the Page's token taken from
// the user's Pages and saved; a page setting naming none of them makes
// the login list them. Then `publish --due` posts with the Page token.
func TestChannelLoginFacebook(t *testing.T) {
	const secret, longUser = "fb-Secret-app", "EAAG-long-user-Secret"
	fake := &fakeNet{t: t, serve: serveFacebook}
	var lab *loginLab
	graph := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/v25.0/oauth/access_token":
			short := httptest.NewRequest("GET", "/", nil)
			short.Header.Set("Authorization", "Bearer "+q.Get("fb_exchange_token"))
			if q.Get("grant_type") != "fb_exchange_token" || q.Get("client_id") != "lab-client" || q.Get("client_secret") != secret || !lab.auth.Authorized(short) {
				t.Errorf("exchange: %v", q)
			}
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": longUser, "token_type": "bearer", "expires_in": 5184000})
		case "/v25.0/" + facebookPage: // channel test reads the Page
			if r.Header.Get("Authorization") != "Bearer "+facebookToken {
				t.Errorf("the Page read with %q, want the Page token", r.Header.Get("Authorization"))
			}
			publishertest.WriteJSON(w, 200, map[string]any{"id": facebookPage, "name": "Acme Bakery"})
		case "/v25.0/me/accounts":
			if r.Header.Get("Authorization") != "Bearer "+longUser {
				t.Errorf("me/accounts with %q, want the long-lived user token", r.Header.Get("Authorization"))
			}
			publishertest.WriteJSON(w, 200, map[string]any{"data": []any{
				map[string]any{"id": facebookPage, "name": "Acme Bakery", "access_token": facebookToken, "tasks": []string{"CREATE_CONTENT"}},
				map[string]any{"id": "2718281828", "name": "Acme Shop", "access_token": "EAAG-shop-Secret", "tasks": []string{"CREATE_CONTENT"}},
			}})
		default:
			fake.ServeHTTP(w, r)
		}
	}))
	t.Setenv("CRIEUR_LOGIN_SECRET", secret)
	lab = newOAuthLab(t, facebook.Provider, secret, "acme-fb", func(*loginLab) http.Handler { return http.NotFoundHandler() }, func(string) []string {
		return []string{"--set", "api=" + graph.URL, "--set", "page=1111111111",
			"--set", "client_id=lab-client", "--secret", "client_secret=env:CRIEUR_LOGIN_SECRET"}
	})
	var opened string
	useBrowser(t, follow(t, &opened))
	code, _, errOut := lab.run("", "channel", "login", lab.channel)
	if code == exitOK || !strings.Contains(errOut, "1111111111") || !strings.Contains(errOut, facebookPage+"  Acme Bakery") || !strings.Contains(errOut, "--set page=") {
		t.Fatalf("login for a Page the user lacks: exit %d\n%s\nwant a failure listing the user's Pages", code, errOut)
	}
	var doc loginDoc
	if err := json.Unmarshal([]byte(lab.ok("channel", "login", lab.channel, "--set", "page="+facebookPage, "-o", "json")), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.Connected || doc.Access != nil {
		t.Fatalf("login said %+v: want the Page token, which does not expire", doc)
	}
	// Publishing runs where the app's secret is not set: the Page token
	// is never renewed, so nothing needs it.
	t.Setenv("CRIEUR_LOGIN_SECRET", "")
	now := time.Now()
	lab.ok("post", "new", "--slug", "first", "--body", "News first.", "--channel", lab.channel,
		"--at", now.Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past")
	code, out, errOut := lab.runAt(now, "publish", "--due", "-o", "json")
	var rep scheduler.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK || rep.Published != 1 || rep.Paused != 0 {
		t.Fatalf("publish --due: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(fake.calls("POST", "/v25.0/"+facebookPage+"/feed")); n != 1 {
		t.Errorf("%d posts made, want 1", n)
	}
	// channel test builds the publisher as publishing does.
	if code, out, errOut := lab.run("", "channel", "test", lab.channel); code != exitOK {
		t.Errorf("channel test without the app's secret: exit %d\n%s%s", code, out, errOut)
	}
}
