package oauth

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/crieur/crieur/publishers"
)

// The credentials (sealed secrets of the channel) a token is kept as.
const (
	KeyAccess        = "access_token"
	KeyRefresh       = "refresh_token"
	KeyType          = "token_type"
	KeyScope         = "scope"
	KeyExpiry        = "expiry"         // RFC 3339, UTC; absent: the network gave no lifetime
	KeyRefreshExpiry = "refresh_expiry" // RFC 3339, UTC, where the network says
)

// Token is a channel's OAuth token as the calendar keeps it.
type Token struct {
	Access  string
	Refresh string
	Type    string
	Scope   string
	// Expiry is when the access token expires; zero when unknown.
	Expiry time.Time
	// RefreshExpiry is when the refresh token expires; zero when unknown
	// (or when it does not expire).
	RefreshExpiry time.Time
}

// fresh reports whether the access token can be used at now for margin
// more (a token without an expiry is used until the network refuses it).
func (t Token) fresh(now time.Time, margin time.Duration) bool {
	return t.Access != "" && (t.Expiry.IsZero() || now.Add(margin).Before(t.Expiry))
}

// Load reads the channel's token as it is now. A channel that never logged
// in has a Token with no Access (no error): the handle's Get says a secret
// the channel lacks with publishers.ErrNoSecret.
func Load(creds publishers.Credentials) (Token, error) {
	// Key by key: a secret of the channel that does not resolve now (an
	// env: client_secret) is no reason not to read its token.
	values := map[string]string{}
	for _, k := range []string{KeyAccess, KeyRefresh, KeyType, KeyScope, KeyExpiry, KeyRefreshExpiry} {
		v, err := creds.Get(k)
		if errors.Is(err, publishers.ErrNoSecret) {
			continue
		}
		if err != nil {
			return Token{}, err
		}
		values[k] = v
	}
	for k, v := range values {
		if v == "-" { // saved for "none": an empty value is not saved
			values[k] = ""
		}
	}
	t := Token{Access: values[KeyAccess], Refresh: values[KeyRefresh], Type: values[KeyType], Scope: values[KeyScope]}
	var err error
	if t.Expiry, err = parseTime(KeyExpiry, values[KeyExpiry]); err != nil {
		return t, err
	}
	if t.RefreshExpiry, err = parseTime(KeyRefreshExpiry, values[KeyRefreshExpiry]); err != nil {
		return t, err
	}
	return t, nil
}

func parseTime(key, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "-" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("the saved token's %s is not an RFC 3339 time", key)
	}
	return t, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-" // an empty value is not saved: "-" says "none"
	}
	return t.UTC().Format(time.RFC3339)
}

// Save keeps t as the channel's credentials, the refresh token first: a
// process that stops half way leaves the new refresh token (the old one is
// revoked where tokens rotate) beside an access token it will refresh.
func Save(ctx context.Context, creds publishers.Credentials, t Token) error {
	type kv struct{ k, v string }
	order := []kv{{KeyRefresh, t.Refresh}, {KeyRefreshExpiry, formatTime(t.RefreshExpiry)},
		{KeyAccess, t.Access}, {KeyType, t.Type}, {KeyScope, t.Scope}, {KeyExpiry, formatTime(t.Expiry)}}
	for _, e := range order {
		v := e.v
		if v == "" {
			if e.k == KeyRefresh || e.k == KeyAccess {
				continue // never saved empty; a missing one stays missing
			}
			v = "-"
		}
		if err := creds.Save(ctx, e.k, v); err != nil {
			return fmt.Errorf("saving the channel's %s: %w", e.k, err)
		}
	}
	return nil
}

// fromOAuth2 turns the network's answer into a Token, its lifetimes counted
// from now (the kit's clock), keeping the old refresh token when the network
// sent none (networks that do not rotate).
func fromOAuth2(p Provider, tok *oauth2.Token, old Token, now time.Time) Token {
	t := Token{Access: tok.AccessToken, Refresh: tok.RefreshToken, Type: tok.TokenType}
	if t.Refresh == "" {
		t.Refresh, t.RefreshExpiry = old.Refresh, old.RefreshExpiry
	}
	switch {
	case tok.ExpiresIn > 0:
		t.Expiry = now.Add(time.Duration(tok.ExpiresIn) * time.Second).UTC().Truncate(time.Second)
	case !tok.Expiry.IsZero():
		t.Expiry = tok.Expiry.UTC().Truncate(time.Second)
	}
	if s, ok := tok.Extra("scope").(string); ok {
		t.Scope = s
	}
	if p.RefreshExpiryKey != "" && tok.RefreshToken != "" {
		if secs := number(tok.Extra(p.RefreshExpiryKey)); secs > 0 {
			t.RefreshExpiry = now.Add(time.Duration(secs) * time.Second).UTC().Truncate(time.Second)
		}
	}
	return t
}

func number(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	case int64:
		return n
	}
	return 0
}

// Expiry is what status and channel list say of a channel's token.
type Expiry struct {
	// Connected: the channel holds an access token.
	Connected bool `json:"connected"`
	// Access is when the access token expires (nil: unknown or never).
	Access *time.Time `json:"access_expires_at,omitempty"`
	// Refresh is when the refresh token expires (nil: unknown or never).
	Refresh *time.Time `json:"refresh_expires_at,omitempty"`
	// Refreshable: the channel holds a refresh token, so crieur renews the
	// access token by itself until Refresh.
	Refreshable bool `json:"refreshable"`
	// RenewsItself: the network extends the access token with itself
	// (Provider.Renew: Threads, Instagram), which crieur does when it uses
	// the channel; Deadline is then the access token's, moved at each
	// renewal.
	RenewsItself bool `json:"renews_itself,omitempty"`
	// Deadline is when the channel stops working unless a person runs
	// `crieur channel login` again: Refresh for a refreshable token, else
	// Access; nil when neither is known to end.
	Deadline *time.Time `json:"login_needed_by,omitempty"`
}

// ExpiryOf says when t expires, and when a person must log in again.
func ExpiryOf(t Token) Expiry {
	e := Expiry{Connected: t.Access != "" || t.Refresh != "", Refreshable: t.Refresh != ""}
	if !t.Expiry.IsZero() {
		at := t.Expiry
		e.Access = &at
	}
	if !t.RefreshExpiry.IsZero() {
		at := t.RefreshExpiry
		e.Refresh = &at
	}
	if e.Refreshable {
		e.Deadline = e.Refresh
	} else {
		e.Deadline = e.Access
	}
	return e
}

// ExpiryOf says when t expires on the network p describes.
func (p Provider) ExpiryOf(t Token) Expiry {
	e := ExpiryOf(t)
	e.RenewsItself = p.Renew != nil && t.Access != ""
	return e
}

// ExpiresWithin reports whether a person must log in before now+d (a
// channel never connected counts: it cannot publish at all).
func (e Expiry) ExpiresWithin(now time.Time, d time.Duration) bool {
	if !e.Connected {
		return true
	}
	return e.Deadline != nil && e.Deadline.Before(now.Add(d))
}
