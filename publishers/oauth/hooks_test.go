package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// metaLike is a provider shaped as Meta's: no refresh token, a long-lived
// token renewed with itself, an expired token answered 400 with code 190.
func metaLike(renewed *int) Provider {
	return Provider{
		Network: "metalike", AuthURL: "https://auth.example/authorize", TokenURL: "https://auth.example/token",
		Secret: SecretRequired,
		Margin: 59 * 24 * time.Hour,
		Refused: func(status int, body []byte) bool {
			return status == http.StatusBadRequest && strings.Contains(string(body), `"code":190`)
		},
		Renew: func(ctx context.Context, x Exchange, t Token) (Token, error) {
			*renewed++
			if x.ClientSecret != "s3cret" {
				return Token{}, errors.New("no client secret given to Renew")
			}
			if t.Access == "dead" {
				return Token{}, &publishers.Error{Class: publishers.Auth, Status: 400, Message: "Error validating access token [code 190]"}
			}
			return Token{Access: "new", Expiry: x.Config.Clock().Add(60 * 24 * time.Hour)}, nil
		},
	}
}

func TestSessionProviderHooks(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			_ = r.ParseForm()
			if r.Form.Get("grant_type") != "refresh_token" || r.Form.Get("refresh_token") != "r1" {
				http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"access_token":"new","expires_in":3600}`)
			return
		}
		if r.Header.Get("Authorization") == "Bearer new" {
			_, _ = io.WriteString(w, `{"id":"1"}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":{"message":"Error validating access token","code":190}}`)
	}))
	defer api.Close()
	cases := []struct {
		name        string
		access      string
		expiresIn   time.Duration
		noRefused   bool
		noRenew     bool
		refresh     string
		wantStatus  int
		wantRenewed int
		wantAccess  string
		wantErr     string
	}{
		{name: "code 190 refreshes and retries once", access: "old", refresh: "r1", noRenew: true, expiresIn: 59*24*time.Hour + time.Hour, wantStatus: 200, wantAccess: "new"},
		{name: "without Refused the 400 is the adapter's", access: "old", refresh: "r1", noRenew: true, noRefused: true, expiresIn: 59*24*time.Hour + time.Hour, wantStatus: 400, wantAccess: "old"},
		{name: "code 190 with Renew: a refused token cannot renew itself", access: "old", expiresIn: 59*24*time.Hour + time.Hour, wantAccess: "old", wantErr: "crieur channel login ch"},
		{name: "older than a day: renewed before use", access: "old", expiresIn: 58 * 24 * time.Hour, wantStatus: 200, wantRenewed: 1, wantAccess: "new"},
		{name: "renewal refused pauses the channel", access: "dead", expiresIn: 58 * 24 * time.Hour, wantRenewed: 1, wantAccess: "dead", wantErr: "crieur channel login ch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			renewed := 0
			p := metaLike(&renewed)
			if tc.noRefused {
				p.Refused = nil
			}
			if tc.noRenew {
				p.Renew = nil
			}
			seed := map[string]string{KeyAccess: tc.access, SecretClientSecret: "s3cret", KeyExpiry: now.Add(tc.expiresIn).Format(time.RFC3339)}
			if tc.refresh != "" {
				seed[KeyRefresh] = tc.refresh
			}
			creds := publishers.NewStaticCredentials(seed)
			sess, err := NewSession(p, publishers.Config{Channel: "ch", Settings: map[string]string{SettingClientID: "id", SettingBaseURL: api.URL, "insecure_http": "true"},
				Credentials: creds, Now: func() time.Time { return now }})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := sess.Do(context.Background(), func(tok string) (*http.Response, error) {
				req, _ := http.NewRequest(http.MethodGet, api.URL, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				return http.DefaultClient.Do(req)
			})
			if tc.wantErr != "" {
				var pe *publishers.Error
				if !errors.As(err, &pe) || pe.Class != publishers.Auth || !strings.Contains(pe.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want Auth naming %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.wantStatus {
					t.Fatalf("status %d (%s), want %d", resp.StatusCode, body, tc.wantStatus)
				}
				if tc.wantStatus == 400 && !strings.Contains(string(body), "190") {
					t.Errorf("the adapter lost the refused answer's body: %q", body)
				}
			}
			if renewed != tc.wantRenewed {
				t.Errorf("Renew called %d times, want %d", renewed, tc.wantRenewed)
			}
			if got, _ := creds.Get(KeyAccess); got != tc.wantAccess {
				t.Errorf("saved access_token %q, want %q", got, tc.wantAccess)
			}
		})
	}
}

func TestLoginAfterLogin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if r.Form.Get("code") != "the-code" {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"short","token_type":"bearer","expires_in":3600}`)
	}))
	defer srv.Close()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := Provider{Network: "metalike", AuthURL: "https://auth.example/authorize", TokenURL: "https://auth.example/token", Secret: SecretRequired, SecretInBody: true,
		AfterLogin: func(ctx context.Context, x Exchange, tok Token) (Token, error) {
			if tok.Access != "short" || x.ClientSecret != "s3cret" || x.ClientID != "id" || x.Config.Settings["page"] != "42" {
				return Token{}, errors.New("AfterLogin got the wrong token or channel")
			}
			return Token{Access: "long:" + tok.Access, Expiry: x.Config.Clock().Add(60 * 24 * time.Hour)}, nil
		}}
	var out strings.Builder
	l := Login{Provider: p, Channel: "ch", ClientSecret: "s3cret", NoBrowser: true, In: strings.NewReader("the-code\n"), Out: &out,
		Settings: map[string]string{SettingClientID: "id", SettingBaseURL: srv.URL, "insecure_http": "true", "page": "42"},
		Now:      func() time.Time { return now }}
	tok, err := l.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Access != "long:short" || !tok.Expiry.Equal(now.Add(60*24*time.Hour)) {
		t.Fatalf("token %+v: AfterLogin's was not returned", tok)
	}
}
