package facebook

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

// The login kit's hooks: a short-lived user token exchanged for a
// long-lived one (fb_exchange_token, the app's id and secret), then the
// user's Pages with their tokens, and the one to post as chosen.
func TestLoginHooks(t *testing.T) {
	const secret, short, long = "app-Secret-123", "short-user-token", "long-user-token"
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch r.URL.Path {
		case "/" + fakeVersion + "/oauth/access_token":
			if q.Get("grant_type") != "fb_exchange_token" || q.Get("client_id") != "4242" || q.Get("client_secret") != secret || q.Get("fb_exchange_token") != short {
				t.Errorf("exchange: query %v", q)
			}
			publishertest.WriteJSON(w, 200, map[string]any{"access_token": long, "token_type": "bearer", "expires_in": 5183944})
		case "/" + fakeVersion + "/me/accounts":
			if r.Header.Get("Authorization") != "Bearer "+long || q.Get("fields") != "id,name,access_token,tasks" {
				t.Errorf("accounts: auth %q, fields %q", r.Header.Get("Authorization"), q.Get("fields"))
			}
			publishertest.WriteJSON(w, 200, map[string]any{"data": []any{
				map[string]any{"id": "111", "name": "Acme Bakery", "access_token": "page-111", "tasks": []string{"ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"}},
				map[string]any{"id": "222", "name": "Acme Fans", "access_token": "page-222", "tasks": []string{"ANALYZE"}},
				map[string]any{"id": "333", "name": "Acme Shop", "access_token": "page-333", "tasks": []string{"CREATE_CONTENT"}},
			}})
		default:
			t.Errorf("unexpected %s", r.URL.Path)
		}
	})
	srv := publishertest.Server(t, h)
	cfg := publishers.Config{Channel: "acme-fb", Settings: map[string]string{"api": srv.URL, "version": fakeVersion}, HTTP: &http.Client{Timeout: 5 * time.Second}}
	tok, err := ExchangeUserToken(context.Background(), cfg, "4242", secret, short)
	if err != nil || tok.AccessToken != long || tok.ExpiresIn < 59*24*time.Hour {
		t.Fatalf("ExchangeUserToken = %+v, %v", tok, err)
	}
	pages, err := Pages(context.Background(), cfg, tok.AccessToken)
	if err != nil || len(pages) != 3 || pages[0].AccessToken != "page-111" {
		t.Fatalf("Pages = %+v, %v", pages, err)
	}
	if p, err := ChoosePage(pages, "acme shop"); err != nil || p.ID != "333" {
		t.Errorf("ChoosePage by name = %+v, %v", p, err)
	}
	if p, err := ChoosePage(pages, "111"); err != nil || p.AccessToken != "page-111" {
		t.Errorf("ChoosePage by id = %+v, %v", p, err)
	}
	_, err = ChoosePage(pages, "")
	if err == nil || !strings.Contains(err.Error(), "--set page=ID") || !strings.Contains(err.Error(), "111  Acme Bakery") || strings.Contains(err.Error(), "Acme Fans") {
		t.Errorf("ChoosePage of several = %v: want the Pages the user may post to, and how to choose", err)
	}
	if p, err := ChoosePage(pages[:2], ""); err != nil || p.ID != "111" {
		t.Errorf("ChoosePage of one postable = %+v, %v", p, err)
	}

	// channel login's hook: the long-lived user token, then the token of
	// the channel's Page, kept without an expiry (it has none).
	x := oauth.Exchange{Config: cfg, ClientID: "4242", ClientSecret: secret}
	x.Config.Settings = map[string]string{"api": srv.URL, "version": fakeVersion, "page": "333"}
	got, err := Provider.AfterLogin(context.Background(), x, oauth.Token{Access: short, Expiry: time.Now().Add(time.Hour)})
	if err != nil || got.Access != "page-333" || !got.Expiry.IsZero() || got.Refresh != "" {
		t.Errorf("AfterLogin with page=333 = %+v, %v: want the Page's token, no expiry", got, err)
	}
	x.Config.Settings["page"] = "999"
	_, err = Provider.AfterLogin(context.Background(), x, oauth.Token{Access: short})
	if err == nil || !strings.Contains(err.Error(), "no Page \"999\"") || !strings.Contains(err.Error(), "333  Acme Shop") {
		t.Errorf("AfterLogin with an unknown page = %v: want the user's Pages listed", err)
	}

	// A refused exchange never shows the app secret or the user's token.
	bad := publishertest.Server(t, publishertest.Reply(400, nil, `{"error":{"message":"Invalid client_secret `+secret+` for token `+short+`","code":1}}`))
	cfg.Settings["api"] = bad.URL
	_, err = ExchangeUserToken(context.Background(), cfg, "4242", secret, short)
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), short) {
		t.Errorf("error %v: want a failure without the secrets", err)
	}
}
