package newsletter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/crieur/crieur/publishers"
)

// Publish sends the post as one message to every recipient. A failure before
// the server accepted the message is classified by its SMTP reply; a lost
// reply after the whole message was sent is an unknown outcome, reported as
// permanent so that a person checks before anyone sends it again.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	rcpts, err := p.recipients()
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	m, err := p.build(post, rcpts, p.cfg.Clock())
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	c, err := p.client(ctx)
	if err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	err = c.DialAndSendWithContext(ctx, m.msg)
	if m.msg.IsDelivered() {
		// The server took responsibility for the message; a failed RSET or
		// QUIT afterwards does not undo that.
		return publishers.Result{RemoteID: m.id, PublishedAt: p.cfg.Clock()}, nil
	}
	if err == nil {
		err = errors.New("the server did not confirm the message")
	}
	return publishers.Result{}, classify(err, m.id)
}

// Check connects, negotiates TLS as configured, authenticates when
// credentials are set and quits: no mail is sent.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	c, err := p.client(ctx)
	if err != nil {
		return "", &publishers.Error{Class: publishers.Permanent, Message: err.Error(), Err: err}
	}
	sc, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return "", classify(err, "")
	}
	if err := c.CloseWithSMTPClient(sc); err != nil {
		return "", classify(err, "")
	}
	how := map[string]string{tlsStartTLS: "STARTTLS", tlsImplicit: "TLS", tlsNone: "no encryption (loopback)"}[p.tls]
	msg := fmt.Sprintf("connected to %s:%d with %s", p.host, p.port, how)
	if p.user != "" {
		msg += ", authentication accepted"
	}
	return msg, nil
}

// client configures go-mail for this channel; each step of the session is
// bounded by the context's deadline, or defaultTimeout.
func (p *Publisher) client(ctx context.Context) (*gomail.Client, error) {
	timeout := p.timeout
	if d, ok := ctx.Deadline(); ok {
		if left := time.Until(d); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(p.port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: p.host, MinVersion: tls.VersionTLS12, RootCAs: p.rootCAs}),
	}
	switch p.tls {
	case tlsImplicit:
		opts = append(opts, gomail.WithSSL())
	case tlsStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case tlsNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if p.user != "" {
		opts = append(opts, gomail.WithUsername(p.user), gomail.WithPassword(p.pass))
		if p.tls == tlsNone {
			// Clear-text mechanisms are allowed here only because New
			// restricts tls=none to loopback hosts.
			opts = append(opts, gomail.WithOpportunisticSMTPAuth(
				gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
				gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc))
		} else {
			opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
		}
	}
	return gomail.NewClient(p.host, opts...)
}

// classify turns a go-mail error into the scheduler's classes by the SMTP
// reply code: 530/534/535/538 (authentication) are Auth, other 4xx
// Transient, other 5xx Permanent. Without a code, network failures are
// Transient and local configuration problems (TLS, AUTH support) need a person.
func classify(err error, id string) *publishers.Error {
	code := 0
	var tp *textproto.Error
	if errors.As(err, &tp) {
		code = tp.Code
	}
	var se *gomail.SendError
	isSend := errors.As(err, &se)
	if code == 0 && isSend {
		code = se.ErrorCode()
	}
	e := &publishers.Error{Status: code, Message: strings.TrimSpace(err.Error()), Err: err}
	switch {
	case code == 530 || code == 534 || code == 535 || code == 538:
		e.Class = publishers.Auth
	case code >= 400 && code < 500:
		e.Class = publishers.Transient
	case code >= 500 && code < 600:
		e.Class = publishers.Permanent
	case isSend && se.Reason == gomail.ErrSMTPDataClose:
		e.Class = publishers.Permanent
		e.Message = fmt.Sprintf("outcome unknown: the whole message was sent but the server's reply was lost (%v); it may have been delivered as Message-ID %s, so check before sending it again", err, id)
	case publishers.IsTimeout(err) || errors.Is(err, context.Canceled):
		e.Class = publishers.Transient
	case isAuthSetup(err):
		e.Class = publishers.Auth
	case isTLSSetup(err):
		e.Class = publishers.Permanent
	default:
		// A refused or reset connection, or anything unrecognised: retried.
		e.Class = publishers.Transient
	}
	return e
}

// isAuthSetup reports credentials the server cannot take at all.
func isAuthSetup(err error) bool {
	for _, target := range []error{
		gomail.ErrNoSupportedAuthDiscovered, gomail.ErrPlainAuthNotSupported, gomail.ErrLoginAuthNotSupported,
		gomail.ErrCramMD5AuthNotSupported, gomail.ErrSCRAMSHA1AuthNotSupported, gomail.ErrSCRAMSHA256AuthNotSupported,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	// go-mail words this one without a sentinel.
	return strings.Contains(err.Error(), "does not support SMTP AUTH")
}

// isTLSSetup reports a server that cannot give the TLS the channel requires.
func isTLSSetup(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) ||
		errors.As(err, &verify) || strings.Contains(err.Error(), "does not support STARTTLS")
}
