package threads

import (
	"context"
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
