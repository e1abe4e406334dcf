package publishertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

// The kit's test network: a small adapter that posts a text with a bearer
// token through an oauth.Session, as X's and LinkedIn's adapters do.
var (
	kitPublic = oauth.Provider{Network: "oauthkit", AuthURL: "https://auth.example/authorize", TokenURL: "https://api.example/oauth/token",
		Scopes: []string{"post.write", "offline"}, PKCE: true, Secret: oauth.SecretOptional}
	kitConfidential = oauth.Provider{Network: "oauthkit-secret", AuthURL: "https://auth.example/oauth/v2/authorization",
		TokenURL: "https://auth.example/oauth/v2/accessToken", Scopes: []string{"w_member_social"}, Secret: oauth.SecretRequired,
		SecretInBody: true, RefreshExpiryKey: "refresh_token_expires_in"}
)

type kitPub struct {
	cfg  publishers.Config
	sess *oauth.Session
	api  string
}

func (k *kitPub) Validate(p publishers.Post) []publishers.Problem {
	if strings.TrimSpace(p.Text) == "" {
		return []publishers.Problem{{Field: "text", Message: "empty"}}
	}
	return nil
}

func (k *kitPub) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	body, _ := json.Marshal(map[string]string{"text": p.Text})
	resp, err := k.sess.Do(ctx, func(token string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.api+"/api/posts", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return k.cfg.Client().Do(req)
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
		return publishers.Result{}, publishers.FromResponse(resp, string(b), k.cfg.Clock())
	}
	var out struct{ ID string }
	_ = json.Unmarshal(b, &out)
	return publishers.Result{RemoteID: out.ID, PublishedAt: k.cfg.Clock()}, nil
}

func registerKit(p oauth.Provider) {
	oauth.Register(p)
	publishers.Register(publishers.Network{
		Name:     p.Network,
		Settings: append([]publishers.Field{{Name: "api", Required: true, Kind: publishers.URL}}, p.Settings()...),
		Secrets:  p.Secrets(),
		Safety:   publishers.RetryUnsafe,
		New: func(cfg publishers.Config) (publishers.Publisher, error) {
			s, err := oauth.NewSession(p, cfg)
			if err != nil {
				return nil, err
			}
			return &kitPub{cfg: cfg, sess: s, api: cfg.Settings["api"]}, nil
		},
		Offline: func(map[string]string) (publishers.Validator, error) { return &kitPub{}, nil },
	})
}

func init() {
	registerKit(kitPublic)
	registerKit(kitConfidential)
}

// kitAPI is the test network's API: POST /api/posts with a good bearer token.
func kitAPI(t *testing.T, auth *publishertest.OAuthServer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/posts" {
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if !auth.Authorized(r) {
			publishertest.WriteJSON(w, 401, map[string]string{"error": "Unauthorized"})
			return
		}
		publishertest.WriteJSON(w, 201, map[string]string{"id": "p-1"})
	})
}

func TestRunOAuth(t *testing.T) {
	for _, c := range []struct {
		network, secret string
	}{
		{"oauthkit", ""},                         // a public client, PKCE, rotating refresh tokens
		{"oauthkit", "kit-Secret-basic"},         // a confidential client: HTTP Basic
		{"oauthkit-secret", "kit-Secret-inbody"}, // client secret in the form, as LinkedIn
	} {
		t.Run(c.network+"/"+map[bool]string{true: "secret", false: "public"}[c.secret != ""], func(t *testing.T) {
			publishertest.RunOAuth(t, publishertest.OAuthSuite{
				Network:      c.network,
				Handler:      kitAPI,
				ClientID:     "kit-client",
				ClientSecret: c.secret,
				Configure: func(base string) publishers.Config {
					return publishers.Config{Channel: "acme-kit", Settings: map[string]string{"api": base, oauth.SettingBaseURL: base,
						oauth.SettingClientID: "kit-client"}}
				},
				Post: publishers.Post{DeliveryID: 1, Text: "hello"},
			})
		})
	}
}
