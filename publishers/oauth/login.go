package oauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/crieur/crieur/publishers"
)

// Login is one run of `crieur channel login`: the authorization code flow
// (with PKCE where the network has it) on a loopback redirect, its
// paste-back form for a machine without a browser, or the device flow.
type Login struct {
	Provider Provider
	Channel  string
	// Settings are the channel's (client_id, redirect_uri, scopes,
	// oauth_base_url); ClientSecret its client_secret, if any.
	Settings     map[string]string
	ClientSecret string
	// HTTP sends the token requests; nil: publishers' default client
	// (which never replays a request).
	HTTP *http.Client
	// Browser opens a URL in the user's browser; nil, or an error, and the
	// URL is printed for the user to open.
	Browser func(url string) error
	// NoBrowser: print the URL and read the redirected URL (or the code)
	// the user pastes back on In; nothing listens on the loopback.
	NoBrowser bool
	// Device: use the device flow (the network must have one).
	Device bool
	In     io.Reader // what the user pastes (NoBrowser)
	Out    io.Writer // what the user reads: the URL, the device code
	Now    func() time.Time
	// Wait bounds the wait for the browser's redirect (default 5 minutes).
	Wait time.Duration
}

// Check says what the channel lacks for a login, in its settings' words;
// nil when it can run.
func (p Provider) Check(settings map[string]string, clientSecret string, device bool) []publishers.Problem {
	var out []publishers.Problem
	if strings.TrimSpace(settings[SettingClientID]) == "" {
		out = append(out, publishers.Problem{Field: SettingClientID, Message: "missing: give your developer app's client id with --set client_id=… (" + p.Console + ")"})
	}
	if p.Secret == SecretRequired && clientSecret == "" {
		out = append(out, publishers.Problem{Field: SecretClientSecret, Message: "missing: " + p.Network + " requires the app's client secret: --secret client_secret=env:VAR"})
	}
	if device && p.DeviceURL == "" {
		out = append(out, publishers.Problem{Field: "device", Message: p.Network + " has no device flow: use the browser, or --no-browser"})
	}
	if _, err := p.Endpoints(settings); err != nil {
		out = append(out, publishers.Problem{Field: SettingBaseURL, Message: err.Error()})
	}
	if v := settings[SettingRedirectURI]; v != "" {
		if _, ok := publishers.HTTPURL(v); !ok {
			out = append(out, publishers.Problem{Field: SettingRedirectURI, Message: fmt.Sprintf("%q is not an http(s) URL", v)})
		}
	}
	return out
}

func (l Login) redirect() string {
	if v := strings.TrimSpace(l.Settings[SettingRedirectURI]); v != "" {
		return v
	}
	return DefaultRedirectURI
}

func (l Login) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Run runs the flow and returns the token the network granted (not saved:
// the caller saves it with Save).
func (l Login) Run(ctx context.Context) (Token, error) {
	if probs := l.Provider.Check(l.Settings, l.ClientSecret, l.Device); len(probs) > 0 {
		return Token{}, errors.New(probs[0].String())
	}
	conf, err := l.Provider.config(l.Settings, strings.TrimSpace(l.Settings[SettingClientID]), l.ClientSecret, l.redirect())
	if err != nil {
		return Token{}, err
	}
	client := l.HTTP
	if client == nil {
		client = publishers.Config{}.Client()
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	// What the login handles that no message may show: the app's secret,
	// then the code, the PKCE verifier, the device code and the tokens.
	red := publishers.NewRedactor(map[string]string{SecretClientSecret: l.ClientSecret}, nil)
	var tok *oauth2.Token
	if l.Device {
		tok, err = l.device(ctx, conf, red)
	} else {
		tok, err = l.code(ctx, conf, red)
	}
	if err != nil {
		return Token{}, loginError(l.Provider.Network, err, red)
	}
	red.Add(tok.AccessToken, tok.RefreshToken)
	t := fromOAuth2(l.Provider, tok, Token{}, l.now())
	if l.Provider.AfterLogin == nil {
		return t, nil
	}
	now := l.now()
	x := Exchange{Config: publishers.Config{Channel: l.Channel, Settings: l.Settings, HTTP: client, Now: func() time.Time { return now }, Redact: red},
		ClientID: strings.TrimSpace(l.Settings[SettingClientID]), ClientSecret: l.ClientSecret}
	t, err = l.Provider.AfterLogin(ctx, x, t)
	return t, red.Error(err)
}

// loginError says a refused exchange in network's words: the OAuth
// standard's error and error_description, or Meta's error object
// ({"error":{"message","type","code"}}, or Instagram's flat error_message,
// error_type and code), with the login's secrets (red) and anything else
// that looks like a credential redacted.
func loginError(network string, err error, red *publishers.Redactor) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		said := re.ErrorCode
		if re.ErrorDescription != "" {
			said += ": " + re.ErrorDescription
		}
		if said == "" {
			said = metaRefusal(re.Body)
		}
		if said == "" {
			said = http.StatusText(re.Response.StatusCode)
		}
		return fmt.Errorf("%s refused the login: %s (status %d)", network, sayable(red, said), re.Response.StatusCode)
	}
	return red.Error(err)
}

// metaRefusal reads Meta's error shapes: the Graph API's error object
// (Facebook, Threads) and Instagram Login's flat one; "" for another body.
func metaRefusal(body []byte) string {
	var graph struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    int    `json:"code"`
			Subcode int    `json:"error_subcode"`
			UserMsg string `json:"error_user_msg"`
		} `json:"error"`
		// Instagram Login's token endpoint.
		ErrorType    string `json:"error_type"`
		ErrorMessage string `json:"error_message"`
		Code         int    `json:"code"`
	}
	if json.Unmarshal(body, &graph) != nil {
		return ""
	}
	e := graph.Error
	msg, kind, code, sub := e.Message, e.Type, e.Code, e.Subcode
	if msg == "" {
		msg, kind, code, sub = graph.ErrorMessage, graph.ErrorType, graph.Code, 0
	}
	if msg == "" {
		return ""
	}
	if e.UserMsg != "" && e.UserMsg != msg {
		msg += " — " + e.UserMsg
	}
	var detail []string
	if kind != "" {
		detail = append(detail, kind)
	}
	if code != 0 {
		c := "code " + strconv.Itoa(code)
		if sub != 0 {
			c += "/" + strconv.Itoa(sub)
		}
		detail = append(detail, c)
	}
	if len(detail) > 0 {
		msg += " [" + strings.Join(detail, ", ") + "]"
	}
	return msg
}

// sayable is what a network said, fit for a message: on one line, short,
// the login's secrets redacted, and any other word that looks like a
// credential (a network may echo what it was sent) replaced too.
func sayable(red *publishers.Redactor, said string) string {
	said = hideCredentials(red.String(strings.Join(strings.Fields(said), " ")))
	if r := []rune(said); len(r) > 300 {
		said = string(r[:300]) + "…"
	}
	return said
}

func randomState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// code runs the authorization code flow; red learns the code and the
// verifier.
func (l Login) code(ctx context.Context, conf *oauth2.Config, red *publishers.Redactor) (*oauth2.Token, error) {
	state := randomState()
	verifier := oauth2.GenerateVerifier()
	red.Add(verifier)
	var opts, exch []oauth2.AuthCodeOption
	if l.Provider.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
		exch = append(exch, oauth2.VerifierOption(verifier))
	}
	authURL := conf.AuthCodeURL(state, opts...)
	var code string
	var err error
	if l.NoBrowser {
		code, err = l.pasted(authURL, state)
	} else {
		code, err = l.loopback(ctx, authURL, state)
	}
	if err != nil {
		return nil, err
	}
	red.Add(code)
	return conf.Exchange(ctx, code, exch...)
}

// pasted prints the URL and reads back the redirected URL, or the code.
func (l Login) pasted(authURL, state string) (string, error) {
	fmt.Fprintf(l.Out, "Open this URL in a browser, on any machine, and approve the access:\n\n  %s\n\n", authURL)
	fmt.Fprintf(l.Out, "The browser then goes to %s (on that machine, the page may not load: that is expected).\nPaste the whole address it went to (or just its code) here: ", l.redirect())
	line, err := bufio.NewReader(l.In).ReadString('\n')
	line = strings.TrimSpace(line)
	if line == "" {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the pasted address: %w", err)
		}
		return "", errors.New("nothing was pasted: paste the address the browser went to after you approved, or its code")
	}
	if !strings.Contains(line, "://") && !strings.Contains(line, "=") {
		return line, nil // the code alone
	}
	q := line
	if u, err := url.Parse(line); err == nil && u.RawQuery != "" {
		q = u.RawQuery
	} else if _, after, ok := strings.Cut(line, "?"); ok {
		q = after
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return "", errors.New("the pasted address has no readable query: paste it whole, or just its code")
	}
	return fromCallback(v, state)
}

// fromCallback reads the code of the redirect's query, checking state.
func fromCallback(v url.Values, state string) (string, error) {
	if e := v.Get("error"); e != "" {
		said := e
		if d := v.Get("error_description"); d != "" {
			said += ": " + d
		}
		return "", fmt.Errorf("the network did not grant access (%s)", said)
	}
	if v.Get("state") != state {
		return "", errors.New("the redirect's state does not match this login's: it is not the answer to this login (start `channel login` again, and use the URL it prints)")
	}
	code := v.Get("code")
	if code == "" {
		return "", errors.New("the redirect carries no code")
	}
	return code, nil
}

// loopback listens on the redirect URI's port on 127.0.0.1, sends the user
// to authURL and waits for the network's redirect.
func (l Login) loopback(ctx context.Context, authURL, state string) (string, error) {
	redir, err := url.Parse(l.redirect())
	if err != nil || redir.Scheme != "http" || !publishers.Loopback(redir.Hostname()) || strings.HasPrefix(redir.Host, "[") {
		return "", fmt.Errorf("redirect_uri %s is not a loopback address (http://127.0.0.1:PORT/…): crieur cannot receive the redirect there; use --no-browser and paste the address back", l.redirect())
	}
	port := redir.Port()
	if port == "" {
		port = "80"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return "", fmt.Errorf("listening on 127.0.0.1:%s for the redirect: %w (is another login running? or use --no-browser)", port, err)
	}
	path := redir.Path
	if path == "" {
		path = "/"
	}
	type result struct {
		code string
		err  error
	}
	got := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		code, err := fromCallback(r.URL.Query(), state)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<p>crieur: %s</p>", html.EscapeString(err.Error()))
		} else {
			fmt.Fprint(w, "<p>crieur received the authorization: you can close this tab and go back to the terminal.</p>")
		}
		select {
		case got <- result{code, err}:
		default:
		}
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		// The browser gets its page before the listener goes.
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	opened := false
	if l.Browser != nil {
		if err := l.Browser(authURL); err == nil {
			opened = true
			fmt.Fprintf(l.Out, "Your browser opened %s's authorization page; waiting for it to come back to %s …\n", l.Provider.Network, l.redirect())
		}
	}
	if !opened {
		fmt.Fprintf(l.Out, "Open this URL in a browser on this machine and approve the access:\n\n  %s\n\nWaiting for the browser to come back to %s …\n", authURL, l.redirect())
	}
	wait := l.Wait
	if wait <= 0 {
		wait = 5 * time.Minute
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case r := <-got:
		return r.code, r.err
	case <-timer.C:
		return "", fmt.Errorf("no answer from the browser within %s (over SSH, use --no-browser)", wait)
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// device runs the device flow: the user opens a URL anywhere and types a
// code; crieur polls the token endpoint as the network says.
func (l Login) device(ctx context.Context, conf *oauth2.Config, red *publishers.Redactor) (*oauth2.Token, error) {
	da, err := conf.DeviceAuth(ctx)
	if err != nil {
		return nil, err
	}
	red.Add(da.DeviceCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(l.Out, "Open %s on any device and approve the access (code %s).\n", da.VerificationURIComplete, da.UserCode)
	} else {
		fmt.Fprintf(l.Out, "Open %s on any device and enter the code %s.\n", da.VerificationURI, da.UserCode)
	}
	fmt.Fprintln(l.Out, "Waiting for the approval …")
	return conf.DeviceAccessToken(ctx, da)
}

// hideCredentials replaces each word of s that looks like a token, a code
// or a key: a run of 24 or more of a token's characters (letters, digits,
// _~+=-) holding both letters and digits.
func hideCredentials(s string) string {
	tokenChar := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_~+=-", c) >= 0
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !tokenChar(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && tokenChar(s[j]) {
			j++
		}
		w := s[i:j]
		if len(w) >= 24 && strings.ContainsAny(w, "0123456789") && strings.ContainsAny(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			w = publishers.Redacted
		}
		b.WriteString(w)
		i = j
	}
	return b.String()
}
