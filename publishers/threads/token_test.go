package threads

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
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
	cfg := publishers.Config{Channel: "acme-th", Settings: map[string]string{"api": publishertest.Server(t, h).URL}, HTTP: &http.Client{Timeout: 5 * time.Second}}
	tok, err := ExchangeToken(context.Background(), cfg, "app-Secret", "short")
	if err != nil || tok.AccessToken != "long-1" || tok.ExpiresIn < 59*24*time.Hour {
		t.Fatalf("ExchangeToken = %+v, %v", tok, err)
	}
	tok, err = RefreshToken(context.Background(), cfg, tok.AccessToken)
	if err != nil || tok.AccessToken != "long-2" {
		t.Fatalf("RefreshToken = %+v, %v", tok, err)
	}
	_, err = RefreshToken(context.Background(), cfg, "dead-Secret-token")
	if class, _ := publishers.Classify(err); class != publishers.Auth || strings.Contains(err.Error(), "dead-Secret-token") || !strings.Contains(err.Error(), "crieur channel login acme-th") {
		t.Errorf("refused refresh: %v (%v): want auth, naming the login, without the token", err, class)
	}

	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, c := range []struct {
		issued, expires time.Time
		want            bool
	}{
		{now.Add(-time.Hour), now.Add(3 * day), false}, // under 24 hours old: Threads refuses
		{now.Add(-55 * day), now.Add(5 * day), true},   // a week or less left
		{now.Add(-10 * day), now.Add(50 * day), false}, // plenty left
		{now.Add(-61 * day), now.Add(-day), false},     // expired: a new login
		{now.Add(-2 * day), time.Time{}, true},         // expiry unknown, over a day old
	} {
		if got := RefreshDue(c.issued, c.expires, now); got != c.want {
			t.Errorf("RefreshDue(issued %v ago, expires in %v) = %v, want %v", now.Sub(c.issued), c.expires.Sub(now), got, c.want)
		}
	}
}
