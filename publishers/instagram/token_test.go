package instagram

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

// Instagram Login's tokens: ig_exchange_token after the login, then
// ig_refresh_token, both unversioned on the Graph host.
func TestTokenGrants(t *testing.T) {
	srv := publishertest.Server(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case r.URL.Path == "/access_token" && q.Get("grant_type") == "ig_exchange_token" && q.Get("client_secret") == "ig-Secret" && q.Get("access_token") == "short":
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": "long-1", "token_type": "bearer", "expires_in": 5184000})
		case r.URL.Path == "/refresh_access_token" && q.Get("grant_type") == "ig_refresh_token" && q.Get("access_token") == "long-1":
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": "long-2", "token_type": "bearer", "expires_in": 5184000})
		default:
			t.Errorf("unexpected %s", r.URL.RequestURI())
			publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "bad", "code": 100}})
		}
	}))
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	x := oauth.Exchange{Config: publishers.Config{Channel: "acme-ig", Settings: map[string]string{"api": srv.URL},
		HTTP: &http.Client{Timeout: 5 * time.Second}, Now: func() time.Time { return now }}, ClientID: "ig", ClientSecret: "ig-Secret"}
	tok, err := Provider.AfterLogin(context.Background(), x, oauth.Token{Access: "short"})
	if err != nil || tok.Access != "long-1" || !tok.Expiry.Equal(now.Add(60*24*time.Hour)) {
		t.Fatalf("AfterLogin = %+v, %v", tok, err)
	}
	if tok, err = Provider.Renew(context.Background(), x, tok); err != nil || tok.Access != "long-2" {
		t.Fatalf("Renew = %+v, %v", tok, err)
	}
}
