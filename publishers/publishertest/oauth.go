package publishertest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
)

// OAuthSuite describes an adapter whose network uses OAuth 2.0 (through
// the oauth kit) for RunOAuth.
type OAuthSuite struct {
	// Network is registered with publishers.Register and oauth.Register.
	Network string
	// Handler builds the fake network's API, which answers 401 as the
	// network does to a request for which auth.Authorized(r) is false.
	// The suite serves it and the fake authorization server on one
	// server.
	Handler func(t *testing.T, auth *OAuthServer) http.Handler
	// Configure returns the channel's config with the network's base URL
	// and its setting oauth_base_url both at baseURL, and its client_id
	// set to ClientID. The suite adds the credentials (the token, and
	// ClientSecret as client_secret when set), the clock and the client.
	Configure func(baseURL string) publishers.Config
	// ClientID and ClientSecret are the developer app's (no secret for a
	// public client).
	ClientID, ClientSecret string
	// Post is a post the adapter publishes with one call or more.
	Post publishers.Post
}

// savingCreds is a channel's credentials that records when each value was
// saved (against the server's events), and can refuse to save.
type savingCreds struct {
	*publishers.StaticCredentials
	auth     *OAuthServer
	mu       sync.Mutex
	saves    []saved
	failSave bool
}

type saved struct {
	key, value string
	at         int // how many server events had happened
}

func (c *savingCreds) Save(ctx context.Context, name, value string) error {
	c.mu.Lock()
	fail := c.failSave
	c.mu.Unlock()
	if fail {
		return errors.New("the calendar is read-only")
	}
	at := len(c.auth.Events())
	if err := c.StaticCredentials.Save(ctx, name, value); err != nil {
		return err
	}
	c.mu.Lock()
	c.saves = append(c.saves, saved{name, value, at})
	c.mu.Unlock()
	return nil
}

// oauthEnv is one channel, its publisher and the fakes behind it.
type oauthEnv struct {
	auth    *OAuthServer
	creds   *savingCreds
	now     time.Time
	access  string // the seeded tokens
	refresh string
	build   func(creds publishers.Credentials) publishers.Publisher
}

// RunOAuth drives the token life cycle through the adapter: a token renewed
// before it expires, a rotated refresh token saved before the new access
// token is used (and the old one never sent again), a 401 renewed and
// retried once then the channel paused with `crieur channel login NAME`, a
// renewal that fails for a while kept transient, a dead grant pausing the
// channel, two publishers of one channel renewing once, and no token or
// client secret in any error.
func RunOAuth(t *testing.T, s OAuthSuite) {
	t.Helper()
	nw, err := publishers.Lookup(s.Network)
	if err != nil {
		t.Fatal(err)
	}
	prov, ok := oauth.Lookup(s.Network)
	if !ok {
		t.Fatalf("network %s has no OAuth description: call oauth.Register", s.Network)
	}
	// start serves the fakes and seeds the channel with a token expiring
	// at now+expiresIn.
	start := func(t *testing.T, expiresIn time.Duration) *oauthEnv {
		e := &oauthEnv{now: time.Now().UTC().Truncate(time.Second)}
		e.auth = NewOAuthServer(t, prov, s.ClientID, s.ClientSecret)
		api := s.Handler(t, e.auth)
		srv := Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e.auth.Serves(r) {
				e.auth.ServeHTTP(w, r)
				return
			}
			api.ServeHTTP(w, r)
		}))
		e.access, e.refresh = e.auth.Issue()
		values := map[string]string{oauth.KeyAccess: e.access, oauth.KeyRefresh: e.refresh, oauth.KeyType: "bearer",
			oauth.KeyExpiry: e.now.Add(expiresIn).Format(time.RFC3339)}
		if s.ClientSecret != "" {
			values[oauth.SecretClientSecret] = s.ClientSecret
		}
		e.creds = &savingCreds{StaticCredentials: publishers.NewStaticCredentials(values), auth: e.auth}
		e.build = func(creds publishers.Credentials) publishers.Publisher {
			cfg := s.Configure(srv.URL)
			if cfg.Secrets == nil {
				cfg.Secrets = map[string]string{}
			}
			for k, v := range values {
				cfg.Secrets[k] = v
			}
			cfg.Credentials = creds
			cfg.Now = func() time.Time { return e.now }
			cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
			pub, err := nw.New(cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			return pub
		}
		return e
	}
	publish := func(e *oauthEnv, pub publishers.Publisher) error {
		_, err := pub.Publish(context.Background(), s.Post)
		return err
	}
	// noSecrets checks that err names no token the server issued, nor
	// the client secret.
	noSecrets := func(t *testing.T, e *oauthEnv, err error) {
		t.Helper()
		if err == nil {
			return
		}
		text := err.Error()
		secrets := []string{e.access, e.refresh}
		if s.ClientSecret != "" {
			secrets = append(secrets, s.ClientSecret)
		}
		for _, ev := range e.auth.Events() {
			secrets = append(secrets, strings.Fields(ev)[1:]...)
		}
		for _, v := range secrets {
			if v != "" && strings.Contains(text, v) {
				t.Errorf("the error shows a token or the client secret: %s", text)
			}
		}
	}
	get := func(e *oauthEnv, k string) string {
		v, _ := e.creds.Get(k)
		return v
	}
	wantAuth := func(t *testing.T, e *oauthEnv, err error) {
		t.Helper()
		var pe *publishers.Error
		if !errors.As(err, &pe) || pe.Class != publishers.Auth {
			t.Fatalf("error %v, want an auth error (the channel is paused)", err)
		}
		fix := "crieur channel login " + s.Configure("http://127.0.0.1").Channel
		if pe.Fix != fix || !strings.Contains(err.Error(), "`"+fix+"`") {
			t.Errorf("auth error %q (fix %q) does not say to run `%s`", err, pe.Fix, fix)
		}
		noSecrets(t, e, err)
	}

	t.Run("renewed-before-expiry", func(t *testing.T) {
		e := start(t, time.Minute) // inside the margin
		e.auth.Revoke(e.access)    // sending it would be refused
		if err := publish(e, e.build(e.creds)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if n := e.auth.Count("refresh"); n != 1 {
			t.Errorf("%d renewals, want 1", n)
		}
		if n := e.auth.Count("rejected"); n != 0 {
			t.Errorf("the expiring token was sent %d times, want 0: renew it before use", n)
		}
		if rt := get(e, oauth.KeyRefresh); rt == e.refresh || !e.auth.Current(rt) {
			t.Errorf("the channel keeps refresh token %q, not the rotated one", rt)
		}
		exp, _ := time.Parse(time.RFC3339, get(e, oauth.KeyExpiry))
		if want := e.now.Add(time.Duration(e.auth.ExpiresIn) * time.Second); !exp.Equal(want) {
			t.Errorf("saved expiry %v, want %v", exp, want)
		}
	})

	t.Run("fresh-token-used-as-is", func(t *testing.T) {
		e := start(t, time.Hour)
		if err := publish(e, e.build(e.creds)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if n := e.auth.Count("refresh"); n != 0 {
			t.Errorf("%d renewals of a token good for an hour, want 0", n)
		}
	})

	t.Run("rotation-saved-before-use", func(t *testing.T) {
		e := start(t, -time.Minute)
		pub := e.build(e.creds)
		if err := publish(e, pub); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		events := e.auth.Events()
		for i, ev := range events {
			f := strings.Fields(ev)
			if f[0] != "issued" || len(f) < 3 {
				continue
			}
			savedAt := -1
			e.creds.mu.Lock()
			for _, sv := range e.creds.saves {
				if sv.key == oauth.KeyRefresh && sv.value == f[2] {
					savedAt = sv.at
				}
			}
			e.creds.mu.Unlock()
			if savedAt < 0 {
				t.Fatalf("the rotated refresh token was never saved")
			}
			for j := i + 1; j < len(events); j++ {
				if events[j] == "api "+f[1] && j < savedAt {
					t.Errorf("the new access token was used (event %d) before the rotated refresh token was saved (after event %d)", j, savedAt)
				}
			}
		}
		// Later, the token expires again: the saved refresh token (not the
		// first one, which the server would take as a stolen reuse) renews it.
		e.now = e.now.Add(3 * time.Hour)
		if err := publish(e, pub); err != nil {
			t.Fatalf("second Publish: %v", err)
		}
		if n := e.auth.Count("refresh"); n != 2 {
			t.Errorf("%d renewals, want 2", n)
		}
	})

	t.Run("unsaved-token-not-used", func(t *testing.T) {
		e := start(t, -time.Minute)
		e.creds.failSave = true
		err := publish(e, e.build(e.creds))
		if err == nil {
			t.Fatalf("Publish succeeded with a renewed token the calendar could not save")
		}
		if class, _ := publishers.Classify(err); class == publishers.Permanent {
			t.Errorf("class %v, want a retry or a pause", class)
		}
		if n := e.auth.Count("api"); n != 0 {
			t.Errorf("the unsaved token was used %d times", n)
		}
		noSecrets(t, e, err)
	})

	t.Run("401-renewed-and-retried", func(t *testing.T) {
		e := start(t, time.Hour)
		e.auth.Revoke(e.access)
		if err := publish(e, e.build(e.creds)); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		if r, n := e.auth.Count("rejected"), e.auth.Count("refresh"); r != 1 || n != 1 {
			t.Errorf("%d refused calls and %d renewals, want 1 and 1", r, n)
		}
	})

	t.Run("401-again-pauses", func(t *testing.T) {
		e := start(t, time.Hour)
		e.auth.RefuseAll()
		err := publish(e, e.build(e.creds))
		wantAuth(t, e, err)
		if r, n := e.auth.Count("rejected"), e.auth.Count("refresh"); r != 2 || n != 1 {
			t.Errorf("%d refused calls and %d renewals, want 2 and 1 (one renewal, one retry)", r, n)
		}
	})

	t.Run("dead-grant-pauses", func(t *testing.T) {
		e := start(t, -time.Minute)
		pub := e.build(e.creds)
		if err := publish(e, pub); err != nil { // renewed once: tokens the channel did not start with
			t.Fatalf("Publish: %v", err)
		}
		e.now = e.now.Add(3 * time.Hour)
		rt, at := get(e, oauth.KeyRefresh), get(e, oauth.KeyAccess)
		// A hostile server echoes the tokens it refuses.
		e.auth.FailToken(400, fmt.Sprintf(`{"error":"invalid_grant","error_description":"token %s (with %s) was revoked"}`, rt, at))
		wantAuth(t, e, publish(e, pub))
		if get(e, oauth.KeyRefresh) != rt {
			t.Errorf("a refused renewal changed the saved refresh token")
		}
	})

	for _, c := range []struct {
		name string
		fail func(*OAuthServer)
	}{
		{"renewal-5xx-transient", func(a *OAuthServer) { a.FailToken(503, `{"error":"temporarily_unavailable"}`) }},
		{"renewal-no-answer-transient", func(a *OAuthServer) { a.HangUpToken() }},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t, -time.Minute)
			c.fail(e.auth)
			pub := e.build(e.creds)
			err := publish(e, pub)
			if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
				t.Fatalf("error %v, want a transient one (never \"token dead\")", err)
			}
			noSecrets(t, e, err)
			if publishers.MayHaveReached(err) {
				t.Errorf("a failed renewal says the post may have reached the network (it was never sent): %v", err)
			}
			if get(e, oauth.KeyRefresh) != e.refresh {
				t.Errorf("a failed renewal changed the saved refresh token")
			}
			if err := publish(e, pub); err != nil {
				t.Errorf("the retry after the network came back: %v", err)
			}
		})
	}

	t.Run("concurrent-publishers-renew-once", func(t *testing.T) {
		e := start(t, -time.Minute)
		// Two publishers of the channel, each with its own handle on the
		// same credentials (two processes of one calendar).
		publishConcurrently(t, e, 4, publish)
		if n := e.auth.Count("refresh"); n != 1 {
			t.Errorf("%d renewals, want 1", n)
		}
	})

	t.Run("concurrent-401-renew-once", func(t *testing.T) {
		e := start(t, time.Hour)
		e.auth.Revoke(e.access)
		publishConcurrently(t, e, 6, publish)
		if n := e.auth.Count("refresh"); n != 1 {
			t.Errorf("%d renewals after the network refused the token, want 1", n)
		}
	})

	t.Run("not-connected", func(t *testing.T) {
		e := start(t, time.Hour)
		creds := &savingCreds{StaticCredentials: publishers.NewStaticCredentials(map[string]string{}), auth: e.auth}
		wantAuth(t, e, publish(e, e.build(creds)))
	})
}

// publishConcurrently publishes n posts at once through two publishers of
// the channel, each with its own handle on the same credentials (two
// processes of one calendar), and fails t on any error.
func publishConcurrently(t *testing.T, e *oauthEnv, n int, publish func(*oauthEnv, publishers.Publisher) error) {
	t.Helper()
	pubs := []publishers.Publisher{e.build(e.creds), e.build(&savingCreds{StaticCredentials: e.creds.StaticCredentials, auth: e.auth})}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = publish(e, pubs[i%2])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("Publish: %v", err)
		}
	}
}
