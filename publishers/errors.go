package publishers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Class is what the scheduler does with a failed attempt.
type Class int

const (
	// Transient: timeout, connection reset, 5xx: retry with backoff.
	Transient Class = iota
	// RateLimited: the network asked to wait (RetryAfter); retry after it.
	RateLimited
	// Auth: credentials refused; pause the channel and tell a person.
	Auth
	// Permanent: the network refused the post itself; fail with its message.
	Permanent
)

func (c Class) String() string {
	switch c {
	case Transient:
		return "transient"
	case RateLimited:
		return "rate-limited"
	case Auth:
		return "auth"
	case Permanent:
		return "permanent"
	}
	return "unknown"
}

// Error is a classified failure from a network.
type Error struct {
	Class      Class
	Status     int           // HTTP status or SMTP code, 0 if none
	RetryAfter time.Duration // for RateLimited (and Transient when the network says)
	Message    string        // the network's own words
	Err        error         // underlying cause, if any
	// Hold asks the scheduler to hold the delivery for a person rather
	// than retry or fail it: the network's answer leaves unsure whether
	// the post is out (X refuses as a duplicate a text that may be the
	// post itself) and the adapter could not confirm it.
	Hold bool
	// Fix, for an Auth error, is the command a person runs to mend the
	// channel (e.g. "crieur channel login acme-x"), or, when no command
	// mends it, what to do in words (not starting with "crieur "); the
	// scheduler's pause reason names it instead of the generic advice.
	// Empty: none.
	Fix string
	// NotSent says the failure came before the post was sent (renewing
	// its token, say): the post cannot have reached the network.
	NotSent bool
}

// Error is in the user's words: the network's message, its status code,
// and a label only where it tells the user what to do (credentials refused,
// rate limited). The class itself is crieur's business, not the user's.
func (e *Error) Error() string {
	var b strings.Builder
	switch e.Class {
	case Auth:
		b.WriteString("credentials refused")
	case RateLimited:
		b.WriteString("rate limited")
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if msg != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(msg)
	}
	if e.Status != 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "(status %d)", e.Status)
	}
	if b.Len() == 0 {
		b.WriteString("failed")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a classified error.
func Errorf(c Class, format string, args ...any) *Error {
	return &Error{Class: c, Message: fmt.Sprintf(format, args...)}
}

// Classify returns the class of any error: *Error keeps its own; context
// deadlines, timeouts and network errors are transient; anything else is
// transient too, since an unclassified failure must be retried, not dropped.
func Classify(err error) (Class, time.Duration) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Class, pe.RetryAfter
	}
	return Transient, 0
}

// NeedsPerson reports whether err asks for the delivery to be held for a
// person (Error.Hold).
func NeedsPerson(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Hold
}

// IsTimeout reports whether err is a timeout or a dropped connection.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// FromResponse classifies an HTTP response that was not a success.
// message is the network's own error text taken from the body.
// now is used to turn a reset instant into a wait.
func FromResponse(resp *http.Response, message string, now time.Time) *Error {
	e := &Error{Status: resp.StatusCode, Message: strings.TrimSpace(message)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// A redirect the client did not follow (a body it cannot send
		// again): said plainly, naming only where it pointed.
		to := "elsewhere"
		if loc, err := resp.Location(); err == nil {
			to = origin(loc)
		}
		said := "the network redirected the request to " + to + "; crieur does not follow it with the channel's credentials (check the channel's URL)"
		if e.Message != "" {
			said += ": " + e.Message
		}
		e.Message = said
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Class = RateLimited
		e.RetryAfter = RetryAfter(resp.Header, now)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Class = Auth
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		e.Class = Transient
		e.RetryAfter = RetryAfter(resp.Header, now)
	default:
		e.Class = Permanent
	}
	return e
}

// RetryAfter reads how long the network asked to wait: Retry-After (seconds or
// an HTTP date), else RateLimit-Reset / X-RateLimit-Reset (seconds to wait, a
// Unix time, or an ISO 8601 instant). Zero when none is given.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return positive(t.Sub(now))
		}
	}
	for _, k := range []string{"RateLimit-Reset", "X-RateLimit-Reset", "X-Rate-Limit-Reset"} {
		v := strings.TrimSpace(h.Get(k))
		if v == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return positive(t.Sub(now))
		}
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			// Large numbers are Unix times; small ones are seconds to wait.
			if n > 1e9 {
				return positive(time.Unix(int64(n), 0).Sub(now))
			}
			return time.Duration(n * float64(time.Second))
		}
	}
	return 0
}

func positive(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// Transport classifies an error from http.Client.Do: transient (the request
// may or may not have reached the network), except a redirect to another host
// that crieur refused (see SameHostRedirects): permanent, since the network
// would only redirect again.
func Transport(err error) *Error {
	var re *RedirectError
	if errors.As(err, &re) {
		return &Error{Class: Permanent, Err: err, Message: re.Error()}
	}
	return &Error{Class: Transient, Err: err, Message: err.Error()}
}

// Invalid is the permanent error for a post that Validate refuses: its
// problems, joined.
func Invalid(probs []Problem) *Error {
	msgs := make([]string, len(probs))
	for i, pr := range probs {
		msgs[i] = pr.String()
	}
	return &Error{Class: Permanent, Message: strings.Join(msgs, "; ")}
}

// MayHaveReached reports whether a failed call's request may have reached
// the network: no reply came (a timeout, a reset, a canceled call), and the
// connection was made. The scheduler holds such a call for a person on a
// network that can neither deduplicate nor be looked up.
func MayHaveReached(err error) bool {
	var pe *Error
	if errors.As(err, &pe) && (pe.Status != 0 || pe.NotSent) {
		return false // the network answered that it failed, or nothing was sent
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	var dns *net.DNSError
	return !errors.As(err, &dns)
}

// Within says where in a multi-step publish err happened ("media[1]: …"),
// keeping its class.
func Within(err error, where string) error {
	var pe *Error
	if errors.As(err, &pe) {
		cp := *pe
		cp.Message = where + ": " + pe.Message
		return &cp
	}
	return fmt.Errorf("%s: %w", where, err)
}
