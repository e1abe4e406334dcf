package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/crieur/crieur/publishers"
)

// DefaultMargin is how long before its expiry an access token is renewed.
const DefaultMargin = 5 * time.Minute

// Session is an adapter's hold on its channel's token. It is safe for
// concurrent use; every call reads the token as the calendar has it now, so
// two publishers of one channel (two goroutines, two processes) share it.
type Session struct {
	p     Provider
	cfg   publishers.Config
	creds publishers.Credentials
	// Margin: an access token expiring sooner than this is renewed before
	// use (DefaultMargin when zero).
	Margin time.Duration
}

// NewSession is the session of the channel cfg describes, on the network
// p describes. Its endpoints are checked now (oauth_base_url); the token is
// read at each call. A cfg without Credentials (tests, tools) keeps the
// token of cfg.Secrets in memory.
func NewSession(p Provider, cfg publishers.Config) (*Session, error) {
	if _, err := p.Endpoints(cfg.Settings); err != nil {
		return nil, err
	}
	creds := cfg.Credentials
	if creds == nil {
		creds = publishers.NewStaticCredentials(cfg.Secrets)
	}
	return &Session{p: p, cfg: cfg, creds: creds}, nil
}

// Fix is the command that connects the channel again.
func (s *Session) Fix() string { return "crieur channel login " + s.cfg.Channel }

func (s *Session) margin() time.Duration {
	if s.Margin > 0 {
		return s.Margin
	}
	if s.p.Margin > 0 {
		return s.p.Margin
	}
	return DefaultMargin
}

// dead is the Auth error that pauses the channel until a person logs in
// again; it names the command.
func (s *Session) dead(status int, format string, args ...any) *publishers.Error {
	msg := fmt.Sprintf(format, args...)
	return &publishers.Error{Class: publishers.Auth, Status: status, Fix: s.Fix(),
		Message: msg + ": run `" + s.Fix() + "`"}
}

// Token returns an access token that is good for at least the margin,
// renewing it first when it is not. Its errors are *publishers.Error:
// Auth (with Fix) when only a person can mend it, Transient when a later
// attempt may succeed.
func (s *Session) Token(ctx context.Context) (string, error) {
	tok, err := s.token(ctx)
	return tok, notSent(err)
}

// notSent marks an error of the token's renewal as coming before the
// adapter's call: the post cannot have reached the network.
func notSent(err error) error {
	if pe, ok := err.(*publishers.Error); ok {
		pe.NotSent = true
	}
	return err
}

func (s *Session) token(ctx context.Context) (string, error) {
	t, err := Load(s.creds)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Transient, Message: "reading the channel's token: " + err.Error(), Err: err}
	}
	s.cfg.Redact.Add(t.Access, t.Refresh)
	if t.fresh(s.cfg.Clock(), s.margin()) {
		return t.Access, nil
	}
	if t.Access == "" && t.Refresh == "" {
		return "", s.dead(0, "channel %s is not connected to %s yet", s.cfg.Channel, s.p.Network)
	}
	nt, err := s.renew(ctx, t.Access, false)
	if err != nil && s.p.Renew != nil && t.Access != "" && (t.Expiry.IsZero() || s.cfg.Clock().Before(t.Expiry)) {
		// A network that renews its token itself keeps the old one valid
		// until it expires: a renewal that failed for now waits.
		var pe *publishers.Error
		if errors.As(err, &pe) && pe.Class != publishers.Auth {
			return t.Access, nil
		}
	}
	return nt.Access, err
}

// Do calls the network with a good access token: call builds and sends one
// request carrying token (as the network wants it, usually the header
// "Authorization: Bearer <token>") through the adapter's client, and is
// called again, once, with a renewed token when the network answers 401 (a
// request refused with 401 was not acted on, so sending it again cannot
// post twice). A second 401 is the Auth error that pauses the channel with
// `crieur channel login NAME`. Any other answer, and call's own error, is
// returned as it is, for the adapter to read and classify; the errors of
// the token's renewal are *publishers.Error (Auth with Fix set when only
// a person can mend the channel; NotSent, since call was not made).
func (s *Session) Do(ctx context.Context, call func(token string) (*http.Response, error)) (*http.Response, error) {
	tok, err := s.Token(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := call(tok)
	if err != nil || !s.refused(resp) {
		return resp, err
	}
	drain(resp) // refused: not acted on
	t, err := s.renew(ctx, tok, true)
	if err != nil {
		return nil, notSent(err)
	}
	resp, err = call(t.Access)
	if err != nil || !s.refused(resp) {
		return resp, err
	}
	status := resp.StatusCode
	said := drain(resp)
	if said != "" {
		said = " (" + said + ")"
	}
	return nil, s.dead(status, "%s refused the channel's token even after renewing it%s", s.p.Network, said)
}

// refused reports whether resp refuses the token: a 401, or what the
// provider's Refused says of another error answer. The body it reads is
// put back for the adapter.
func (s *Session) refused(resp *http.Response) bool {
	if resp.StatusCode == http.StatusUnauthorized {
		return true
	}
	if s.p.Refused == nil || resp.StatusCode < 400 {
		return false
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	rest := resp.Body
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), rest), rest}
	return err == nil && s.p.Refused(resp.StatusCode, b)
}

// drain reads what is left of a refused answer, for the message (a short
// start of it), and closes it.
func drain(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// renew renews the token under the channel's lock. stale is the access
// token found unusable (expiring, or refused by the network when refused):
// the token is read again once the lock is held, and one another publisher
// renewed meanwhile is used as it is. The new token is saved before it is
// returned: where refresh tokens rotate, the old one is dead the moment the
// network answers.
func (s *Session) renew(ctx context.Context, stale string, refused bool) (Token, error) {
	unlock, err := s.creds.Lock(ctx)
	if err != nil {
		return Token{}, &publishers.Error{Class: publishers.Transient, Message: "waiting for the channel's lock to renew its token: " + err.Error(), Err: err}
	}
	defer unlock()
	now := s.cfg.Clock()
	t, err := Load(s.creds)
	if err != nil {
		return Token{}, &publishers.Error{Class: publishers.Transient, Message: "reading the channel's token: " + err.Error(), Err: err}
	}
	s.cfg.Redact.Add(t.Access, t.Refresh)
	if t.Access != stale && t.fresh(now, s.margin()) {
		return t, nil // renewed by another publisher while this one waited
	}
	if !refused && t.fresh(now, s.margin()) {
		return t, nil
	}
	// A token the network refused cannot renew itself: only a refresh
	// token, or a person, can.
	if s.p.Renew != nil && !refused && t.Access != "" && (t.Expiry.IsZero() || now.Before(t.Expiry)) {
		return s.renewOwn(ctx, t, now)
	}
	if t.Refresh == "" {
		if refused {
			return Token{}, s.dead(http.StatusUnauthorized, "%s refused the channel's token and gave no refresh token to renew it", s.p.Network)
		}
		return Token{}, s.dead(0, "the channel's access token expired on %s and %s gave no refresh token to renew it",
			t.Expiry.UTC().Format(time.RFC3339), s.p.Network)
	}
	if !t.RefreshExpiry.IsZero() && !now.Before(t.RefreshExpiry) {
		return Token{}, s.dead(0, "the channel's refresh token expired on %s", t.RefreshExpiry.UTC().Format(time.RFC3339))
	}
	clientID := strings.TrimSpace(s.cfg.Settings[SettingClientID])
	if clientID == "" {
		return Token{}, &publishers.Error{Class: publishers.Auth, Fix: "crieur channel edit " + s.cfg.Channel + " --set client_id=…",
			Message: "the channel has no setting client_id to renew its token with: run `crieur channel edit " + s.cfg.Channel + " --set client_id=…`"}
	}
	secret, err := s.clientSecret()
	if err != nil {
		return Token{}, err
	}
	conf, err := s.p.config(s.cfg.Settings, clientID, secret, "")
	if err != nil {
		return Token{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	got, err := conf.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, s.cfg.Client()), &oauth2.Token{RefreshToken: t.Refresh}).Token()
	if err != nil {
		return Token{}, s.refreshError(err, now)
	}
	nt := fromOAuth2(s.p, got, t, now)
	return s.save(ctx, nt)
}

// save keeps the renewed token nt before it is used, even if the caller
// gives up now: the network has renewed (or rotated) it.
func (s *Session) save(ctx context.Context, nt Token) (Token, error) {
	s.cfg.Redact.Add(nt.Access, nt.Refresh)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := Save(sctx, s.creds, nt); err != nil {
		return Token{}, &publishers.Error{Class: publishers.Transient, Err: err,
			Message: "the network renewed the channel's token but crieur could not save it (" + err.Error() + "); if the next attempt is refused, run `" + s.Fix() + "`"}
	}
	return nt, nil
}

// renewOwn renews t with the provider's Renew (the lock is held), and
// saves the new token before it is returned.
func (s *Session) renewOwn(ctx context.Context, t Token, now time.Time) (Token, error) {
	// A network whose renewal does without the app's secret
	// (LoginOnlySecret) does not have it read: its reference need not
	// resolve where crieur publishes.
	var secret string
	if !s.p.LoginOnlySecret {
		var err error
		if secret, err = s.clientSecret(); err != nil {
			return Token{}, err
		}
	}
	cfg := s.cfg
	cfg.Now = func() time.Time { return now }
	nt, err := s.p.Renew(ctx, Exchange{Config: cfg, ClientID: strings.TrimSpace(s.cfg.Settings[SettingClientID]), ClientSecret: secret}, t)
	if err != nil {
		var pe *publishers.Error
		if errors.As(err, &pe) && pe.Class == publishers.Auth {
			return Token{}, s.dead(pe.Status, "%s refused to renew the channel's token (%s)", s.p.Network, s.cfg.Redact.String(pe.Message))
		}
		return Token{}, err
	}
	return s.save(ctx, nt)
}

// refreshError classifies a failed renewal: the network's "the grant is
// dead" (invalid_grant) and a refused client pause the channel; a failure
// the network may not repeat (no answer, 5xx, 408, 429) is transient, never
// "token dead".
func (s *Session) refreshError(err error, now time.Time) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		msg := "renewing the channel's token: " + err.Error()
		return &publishers.Error{Class: publishers.Transient, Message: msg, Err: err}
	}
	status := re.Response.StatusCode
	said := re.ErrorCode
	if re.ErrorDescription != "" {
		said += ": " + re.ErrorDescription
	}
	if said == "" {
		said = http.StatusText(status)
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &publishers.Error{Class: publishers.RateLimited, Status: status, RetryAfter: publishers.RetryAfter(re.Response.Header, now),
			Message: "renewing the channel's token: " + said}
	case status >= 500 || status == http.StatusRequestTimeout || re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error":
		return &publishers.Error{Class: publishers.Transient, Status: status, RetryAfter: publishers.RetryAfter(re.Response.Header, now),
			Message: "renewing the channel's token: " + said}
	case re.ErrorCode == "invalid_grant":
		return s.dead(status, "%s no longer accepts the channel's refresh token (%s)", s.p.Network, said)
	case re.ErrorCode == "invalid_client" || status == http.StatusUnauthorized:
		return s.dead(status, "%s refused the developer app's client credentials (%s): check client_id and client_secret", s.p.Network, said)
	default:
		return s.dead(status, "%s refused to renew the channel's token (%s)", s.p.Network, said)
	}
}

// clientSecret reads the channel's client_secret for a renewal, empty when
// it has none.
func (s *Session) clientSecret() (string, error) {
	v, err := s.creds.Get(SecretClientSecret)
	if errors.Is(err, publishers.ErrNoSecret) {
		return "", nil
	}
	if err != nil {
		return "", &publishers.Error{Class: publishers.Transient, Message: "reading the channel's client_secret: " + err.Error(), Err: err}
	}
	s.cfg.Redact.Add(v)
	return v, nil
}
