package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/scheduler"
)

// openBrowser opens url in the user's browser; an error (no display, no
// opener) makes login print the URL instead. Tests replace it.
var openBrowser = func(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
			return errors.New("no display")
		}
		cmd = exec.Command("xdg-open", url)
	}
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// loginDoc is what login says (-o json) once the tokens are saved.
type loginDoc struct {
	Channel string `json:"channel"`
	Network string `json:"network"`
	oauth.Expiry
}

func newChannelLoginCmd(a *app) *cobra.Command {
	var f channelFlags
	var noBrowser, device bool
	cmd := &cobra.Command{
		Use:   "login NAME [--no-browser | --device] [--set client_id=ID] [--secret client_secret=REF]",
		Short: "Connect a channel to its network with OAuth (X, LinkedIn, …) and save its tokens",
		Long: `Connect a channel of an OAuth network to your own developer app: crieur opens
the network's authorization page in your browser (or prints its URL), you
approve, the network sends the browser back to the redirect URI on this
machine (default ` + oauth.DefaultRedirectURI + `; register exactly this URI in the
developer app, or set yours with --set redirect_uri=…), and crieur saves the
tokens sealed in the calendar. It renews them by itself before they expire,
where the network gives a refresh token.

The app's client id is the channel's setting client_id, its client secret
(where the network requires one) the secret client_secret; give them here
or with channel add/edit.

Over SSH, --no-browser prints the URL to open on any machine: after you
approve, paste back the address the browser went to (the page itself may
not load), or just its code. --device uses the network's device flow (a
code to type on any device) where it has one; --no-browser does too on such
a network.`,
		Example: `  crieur channel login acme-x --set client_id=YOUR_CLIENT_ID
  crieur channel login acme-linkedin --set client_id=ID --secret client_secret=env:LINKEDIN_SECRET
  crieur channel login acme-x --no-browser`,
		Args: exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			c, err := st.Channel(a.ctx, args[0])
			if err != nil {
				return err
			}
			prov, ok := oauth.Lookup(c.Network)
			if !ok {
				return usageErr{fmt.Errorf("channel %s is on %s, which does not use OAuth: give its credentials with `crieur channel edit %s --secret …` (channel login is for %s)",
					c.Name, c.Network, c.Name, strings.Join(oauth.Networks(), ", "))}
			}
			if len(f.set) > 0 || len(f.secret) > 0 {
				if err := f.apply(a, cmd, st, &c); err != nil {
					return err
				}
				if _, err := st.UpdateChannelWithSecrets(a.ctx, &c, f.storeSecrets); err != nil {
					return err
				}
			}
			secret := ""
			if ref, ok := c.Secrets[oauth.SecretClientSecret]; ok {
				m, err := st.ResolveSecrets(map[string]string{oauth.SecretClientSecret: ref})
				if err != nil {
					return err
				}
				secret = m[oauth.SecretClientSecret]
			}
			useDevice := device || (noBrowser && prov.DeviceURL != "")
			if probs := prov.Check(c.Settings, secret, useDevice); len(probs) > 0 {
				verr := &calendar.ValidationError{}
				// Each says what is missing and the command that gives it,
				// with no flag name as a prefix: the message is the user's.
				for _, p := range probs {
					msg := p.String()
					switch p.Field {
					case oauth.SettingClientID:
						msg = fmt.Sprintf("channel %s has no client_id: give your %s developer app's client id with `crieur channel login %s --set client_id=…`", c.Name, prov.Network, c.Name)
						if prov.Console != "" {
							msg += " (the app is made at " + prov.Console + ")"
						}
					case oauth.SecretClientSecret:
						msg = fmt.Sprintf("channel %s has no client_secret, which %s requires: give your developer app's client secret with `crieur channel login %s --secret client_secret=env:VAR` (VAR: the environment variable that holds it)", c.Name, prov.Network, c.Name)
					}
					verr.Add(calendar.FieldError{Message: msg})
				}
				return verr.Err()
			}
			l := oauth.Login{Provider: prov, Channel: c.Name, Settings: c.Settings, ClientSecret: secret,
				NoBrowser: noBrowser && !useDevice, Device: useDevice, In: a.in, Out: a.errOut, Now: a.now}
			if !noBrowser {
				l.Browser = openBrowser
			}
			tok, err := l.Run(a.ctx)
			if err != nil {
				return fmt.Errorf("channel %s: %w", c.Name, err)
			}
			creds := st.Credentials(c.Name)
			unlock, err := creds.Lock(a.ctx)
			if err != nil {
				return err
			}
			err = oauth.Save(a.ctx, creds, tok)
			unlock()
			if err != nil {
				return err
			}
			doc := loginDoc{Channel: c.Name, Network: c.Network, Expiry: prov.ExpiryOf(tok)}
			return a.emit(doc, func(w io.Writer) error {
				fmt.Fprintf(w, "Connected %s to %s.\n", c.Name, c.Network)
				for _, l := range a.expiryLines(doc.Expiry) {
					fmt.Fprintln(w, "  "+l)
				}
				if c.Paused {
					fmt.Fprintf(w, "The channel is paused (%s): `crieur resume %s` when ready.\n", dash(c.PauseReason), c.Name)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&noBrowser, "no-browser", false, "print the URL instead of opening a browser, then read back the address the browser went to, or its code (over SSH)")
	fl.BoolVar(&device, "device", false, "use the network's device flow (a code to type on any device), where it has one")
	fl.StringArrayVar(&f.set, "set", nil, "a setting key=value saved with the channel first: client_id, redirect_uri, scopes (repeatable)")
	fl.StringArrayVar(&f.secret, "secret", nil, "a secret key=REF saved first: client_secret=env:VAR, file:PATH or the value (sealed)")
	return cmd
}

// expiryLines says in words when a channel's tokens expire.
func (a *app) expiryLines(e oauth.Expiry) []string {
	if !e.Connected {
		return []string{"not connected: run `crieur channel login`"}
	}
	var out []string
	if e.Access != nil {
		out = append(out, "access token expires "+a.when(e.Access))
	} else {
		out = append(out, "access token: no expiry given by the network")
	}
	switch {
	case e.Refreshable && e.Refresh != nil:
		out = append(out, "crieur renews it by itself until "+a.when(e.Refresh)+", then run `crieur channel login` again")
	case e.Refreshable:
		out = append(out, "crieur renews it by itself")
	case e.RenewsItself:
		out = append(out, "crieur extends it by itself when it publishes (once it is a day old); if the channel publishes nothing before it expires, run `crieur channel login` again")
	case e.Access != nil:
		out = append(out, "no refresh token: run `crieur channel login` again before it expires")
	}
	return out
}

// tokenExpiry reads what an OAuth channel's token says of its expiry
// (ok false for a network without OAuth). It resolves the token's own
// secrets only.
func tokenExpiry(st calendar.Store, c calendar.Channel) (e oauth.Expiry, ok bool, err error) {
	prov, isOAuth := oauth.Lookup(c.Network)
	if !isOAuth {
		return e, false, nil
	}
	refs := map[string]string{}
	for _, k := range []string{oauth.KeyAccess, oauth.KeyRefresh, oauth.KeyExpiry, oauth.KeyRefreshExpiry} {
		if ref, has := c.Secrets[k]; has {
			refs[k] = ref
		}
	}
	values, err := st.ResolveSecrets(refs)
	if err != nil {
		return e, true, fmt.Errorf("channel %s: reading its token: %w", c.Name, err)
	}
	tok, err := oauth.Load(publishers.NewStaticCredentials(values))
	if err != nil {
		return e, true, fmt.Errorf("channel %s: %w", c.Name, err)
	}
	return prov.ExpiryOf(tok), true, nil
}

// tokenDoc is an OAuth channel's token expiry, as status and channel list say it.
type tokenDoc struct {
	Channel string `json:"channel"`
	Network string `json:"network"`
	oauth.Expiry
	Error string `json:"error,omitempty"`
}

// tokens lists the OAuth channels' token expiries.
func tokens(st calendar.Store, chans []calendar.Channel) []tokenDoc {
	out := []tokenDoc{}
	for _, c := range chans {
		e, ok, err := tokenExpiry(st, c)
		if !ok {
			continue
		}
		d := tokenDoc{Channel: c.Name, Network: c.Network, Expiry: e}
		if err != nil {
			d.Error = err.Error()
		}
		out = append(out, d)
	}
	return out
}

// parseWithin reads a span such as 7d, 36h or 90m.
func parseWithin(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("--expiring-within %q: expected days (7d) or a duration (36h)", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("--expiring-within %q: expected days (7d) or a duration (36h)", s)
	}
	return d, nil
}

// channelListDoc is a channel as channel list shows it: with its OAuth
// token's expiry (token), for a channel on an OAuth network.
type channelListDoc struct {
	calendar.Channel
	Token *oauth.Expiry `json:"token,omitempty"`
}

// tokenCell is the TOKEN column of channel list: "-" for a channel
// without OAuth, else when a person must log in again.
func (a *app) tokenCell(e *oauth.Expiry) string {
	switch {
	case e == nil:
		return "-"
	case !e.Connected:
		return a.paint("33", "not connected")
	case e.Deadline != nil && e.Refreshable:
		return "refresh expires " + a.when(e.Deadline)
	case e.Deadline != nil:
		return "expires " + a.when(e.Deadline)
	case e.Refreshable:
		return "renewed by crieur"
	}
	return "no expiry given"
}

// warnWithin is how far ahead the daemon warns of a login to come.
const warnWithin = 7 * 24 * time.Hour

// tokenWatchEvery is how often the daemon looks at the tokens' expiries.
var tokenWatchEvery = 12 * time.Hour

// warnExpiring logs a warning for each OAuth channel that needs a login
// within warnWithin of now: its token ends and crieur cannot renew it past
// that (or it is not connected at all). It returns how many it warned of.
func warnExpiring(ctx context.Context, st calendar.Store, now time.Time, log *slog.Logger) int {
	chans, err := st.Channels(ctx)
	if err != nil {
		log.Error("tokens: listing channels", "err", err)
		return 0
	}
	n := 0
	for _, t := range tokens(st, chans) {
		switch {
		case t.Error != "":
			log.Warn("OAuth token unreadable", "channel", t.Channel, "err", t.Error)
		case !t.Connected:
			log.Warn("OAuth channel not connected", "channel", t.Channel, "fix", "crieur channel login "+t.Channel)
		case t.ExpiresWithin(now, warnWithin):
			log.Warn("OAuth token expires soon and cannot be renewed past it", "channel", t.Channel,
				"login_needed_by", t.Deadline.UTC().Format(time.RFC3339), "fix", "crieur channel login "+t.Channel)
		default:
			continue
		}
		n++
	}
	return n
}

// watchTokens warns of expiring tokens every tokenWatchEvery, until ctx
// ends (the daemon warns once as it starts).
func (a *app) watchTokens(ctx context.Context, st calendar.Store, log *slog.Logger) {
	a.watchTokensWith(ctx, st, log, time.After)
}

// watchTokensWith is watchTokens waiting with after (a test's clock).
func (a *app) watchTokensWith(ctx context.Context, st calendar.Store, log *slog.Logger, after func(time.Duration) <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-after(tokenWatchEvery):
		}
		warnExpiring(ctx, st, a.now(), log)
	}
}

// addTokenGauge adds to the daemon's metrics the gauge of the OAuth tokens'
// expiries, read from the calendar at each scrape.
func addTokenGauge(ctx context.Context, m *scheduler.Metrics, st calendar.Store) {
	m.GaugeFunc("crieur_oauth_token_expiry_timestamp_seconds",
		"When an OAuth channel's token expires (Unix time), per channel and token (access, refresh); absent when the network gave no expiry.",
		[]string{"channel", "network", "token"}, func(add func(v float64, values ...string)) {
			chans, err := st.Channels(ctx)
			if err != nil {
				return
			}
			for _, t := range tokens(st, chans) {
				for _, k := range []struct {
					kind string
					at   *time.Time
				}{{"access", t.Access}, {"refresh", t.Refresh}} {
					if k.at != nil {
						add(float64(k.at.Unix()), t.Channel, t.Network, k.kind)
					}
				}
			}
		})
}
