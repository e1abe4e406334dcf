// Package bearer is the seam through which an OAuth adapter (LinkedIn, the
// Meta networks) gets the access token it sends, and tells that the network
// refused one. The OAuth kit replaces Stored with a source that refreshes
// before expiry under the channel's lock and saves the new token before use;
// adapters only ever see Source and Call.
package bearer

import (
	"context"
	"errors"
	"strings"

	"github.com/crieur/crieur/publishers"
)

// Source is where the adapter gets the access token it sends, and what it
// tells when the network refuses one.
type Source interface {
	// Token returns the access token to send now. An error of class Auth
	// pauses the channel; any other is retried later.
	Token(ctx context.Context) (string, error)
	// Refused is told that the network answered 401 to token. It returns a
	// new token to retry the request with once, or "" when there is none:
	// the 401 then pauses the channel until `crieur channel login`.
	Refused(ctx context.Context, token string) (string, error)
}

// Stored is the channel's token: the secret name from its credentials, read
// at each request (a token saved since the publisher was built included),
// never refreshed. hint says how to give the channel a token, for the error
// when it has none.
func Stored(cfg publishers.Config, name, hint string) Source {
	return stored{cfg: cfg, name: name, hint: hint}
}

type stored struct {
	cfg        publishers.Config
	name, hint string
}

func (s stored) Token(context.Context) (string, error) {
	tok, err := s.cfg.Secret(s.name)
	if err != nil && !errors.Is(err, publishers.ErrNoSecret) {
		// The calendar could not be read: try again later.
		return "", &publishers.Error{Class: publishers.Transient, Message: "reading the channel's " + s.name + ": " + err.Error(), Err: err}
	}
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", &publishers.Error{Class: publishers.Auth, Message: "the channel has no " + s.name + ": " + s.hint}
	}
	s.cfg.Redact.Add(tok)
	return tok, nil
}

func (stored) Refused(context.Context, string) (string, error) { return "", nil }

// Call runs send with the source's token. When send reports that the
// network refused the token (a 401: the network did not act on the call),
// the source is told, and send runs once more with the new token it gives,
// if any. A second refusal is left to send's caller, which has the answer.
func Call(ctx context.Context, src Source, send func(token string) (refused bool, err error)) error {
	tok, err := src.Token(ctx)
	if err != nil {
		return err
	}
	refused, err := send(tok)
	if err != nil || !refused {
		return err
	}
	next, err := src.Refused(ctx, tok)
	if err != nil {
		return err
	}
	if next == "" || next == tok {
		return nil
	}
	_, err = send(next)
	return err
}
