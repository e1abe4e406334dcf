package threads

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

func TestTokenHooks(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/access_token" && q.Get("grant_type") == "th_exchange_token" && q.Get("client_secret") == "app-Secret" && q.Get("access_token") == "short":
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": "long-1", "token_type": "bearer", "expires_in": 5183944})
		case r.URL.Path == "/refresh_access_token" && q.Get("grant_type") == "th_refresh_token" && q.Get("access_token") == "long-1":
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": "long-2", "token_type": "bearer", "expires_in": 5183944})
		default:
			publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Invalid token " + q.Get("access_token"), "code": 190}})
		}
	})
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	cfg := publishers.Config{Channel: "acme-th", Settings: map[string]string{"api": publishertest.Server(t, h).URL}, HTTP: &http.Client{Timeout: 5 * time.Second},
		Now: func() time.Time { return now }}
	x := oauth.Exchange{Config: cfg, ClientID: "app", ClientSecret: "app-Secret"}
	tok, err := Provider.AfterLogin(context.Background(), x, oauth.Token{Access: "short"})
	if err != nil || tok.Access != "long-1" || !tok.Expiry.Equal(now.Add(5183944*time.Second)) {
		t.Fatalf("AfterLogin = %+v, %v", tok, err)
	}
	tok, err = Provider.Renew(context.Background(), x, tok)
	if err != nil || tok.Access != "long-2" {
		t.Fatalf("Renew = %+v, %v", tok, err)
	}
	_, err = Provider.Renew(context.Background(), x, oauth.Token{Access: "dead-Secret-token"})
	if class, _ := publishers.Classify(err); class != publishers.Auth || strings.Contains(err.Error(), "dead-Secret-token") {
		t.Errorf("refused refresh: %v (%v): want auth, without the token", err, class)
	}
	// A day old: the session renews a 60-day token (Threads refuses to
	// refresh a younger one).
	if d := 60*24*time.Hour - Provider.Margin; d < 24*time.Hour || d > 25*time.Hour {
		t.Errorf("Provider.Margin renews a 60-day token after %v, want a day", d)
	}
}

// The channel's session refreshes the long-lived token with itself once it
// is a day old (saved before use), and uses a younger one as it is.
func TestSessionRenews(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		name        string
		expiresIn   time.Duration
		wantRefresh int
	}{
		{"two days old: refreshed before use", 58 * day, 1},
		{"an hour old: used as it is", 60*day - time.Hour, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			refreshed := 0
			old := fakeToken
			if c.wantRefresh > 0 {
				old = "THAA-older-Secret-token" // the fake takes fakeToken only
			}
			srv := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/refresh_access_token" {
					q := r.URL.Query()
					if q.Get("grant_type") != "th_refresh_token" || q.Get("access_token") != old {
						t.Errorf("refresh: query %v", q)
					}
					refreshed++
					publishertest.WriteJSON(w, 200, map[string]any{"access_token": fakeToken, "token_type": "bearer", "expires_in": 5184000})
					return
				}
				f.ServeHTTP(w, r)
			}))
			creds := publishers.NewStaticCredentials(map[string]string{oauth.KeyAccess: old, oauth.KeyExpiry: now.Add(c.expiresIn).Format(time.RFC3339),
				oauth.SecretClientSecret: "th-Secret-app"})
			// The app's secret is an env: variable not set where crieur
			// publishes: the refresh does without it.
			p, err := New(publishers.Config{Channel: "acme-th", Settings: map[string]string{"api": srv.URL, oauth.SettingClientID: "th-app"},
				Credentials: unresolved{creds}, HTTP: &http.Client{Timeout: 5 * time.Second}, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(context.Background(), publishers.Post{DeliveryID: 1, Text: "Spring is here."}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if refreshed != c.wantRefresh {
				t.Errorf("%d refreshes, want %d", refreshed, c.wantRefresh)
			}
			if got, _ := creds.Get(oauth.KeyAccess); got != fakeToken {
				t.Errorf("saved access_token %q, want the refreshed one", got)
			}
			if c.wantRefresh > 0 {
				if got, _ := creds.Get(oauth.KeyExpiry); got != now.Add(60*day).Format(time.RFC3339) {
					t.Errorf("saved expiry %q, want 60 days from now", got)
				}
			}
		})
	}
}

// unresolved is a channel's credentials whose client_secret is a reference
// that does not resolve here (an env: variable not set).
type unresolved struct{ publishers.Credentials }

func (u unresolved) Get(name string) (string, error) {
	if name == oauth.SecretClientSecret {
		return "", errors.New("secret client_secret: environment variable TH_APP_SECRET is not set")
	}
	return u.Credentials.Get(name)
}
