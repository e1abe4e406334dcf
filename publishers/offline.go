package publishers

import (
	"errors"
	"io"
	"net/http"
)

// Validator is what a network checks in a post; Publisher is one, and so is
// what Network.Offline returns (which may also be a Previewer and an
// AutoThreader).
type Validator interface {
	// Validate lists what the network would reject; it never calls it.
	Validate(p Post) []Problem
}

// OfflineCheck checks posts for one channel by its network's rules, without
// a secret and without a client: a CI job with none of the channel's
// tokens validates and previews posts just the same. It cannot publish.
type OfflineCheck struct {
	v Validator
}

// Check returns the network's rules for a channel with these settings. A
// network with Offline needs nothing else. One without it is still built by
// New, with every secret a stand-in that is never sent anywhere and a client
// that refuses every request (an adapter gains Offline to leave this path).
func (n Network) Check(channel string, settings map[string]string) (OfflineCheck, error) {
	if n.Offline != nil {
		v, err := n.Offline(settings)
		if err != nil {
			return OfflineCheck{}, err
		}
		return OfflineCheck{v: v}, nil
	}
	secrets := map[string]string{}
	for _, f := range n.Secrets {
		secrets[f.Name] = standIn
	}
	pub, err := n.New(Config{Channel: channel, Settings: settings, Secrets: secrets, HTTP: offlineHTTP, Out: io.Discard})
	if err != nil {
		return OfflineCheck{}, err
	}
	return OfflineCheck{v: pub}, nil
}

// standIn is every secret of a network built for an offline check without
// Offline: never a real value, and never sent (see offlineHTTP).
const standIn = "offline-check-stand-in"

// ErrOffline is what an offline check's client answers every request with.
var ErrOffline = errors.New("an offline check never calls the network")

var offlineHTTP = &http.Client{Transport: refuseAll{}}

type refuseAll struct{}

func (refuseAll) RoundTrip(*http.Request) (*http.Response, error) { return nil, ErrOffline }

// Validate lists what the network would reject in p.
func (o OfflineCheck) Validate(p Post) []Problem { return o.v.Validate(p) }

// Threading is CheckThreading by these rules.
func (o OfflineCheck) Threading(p Post) []Problem { return CheckThreading(o.v, p) }

// Preview is what the channel would receive, when the network renders a
// post otherwise than as its text (ok false: it does not).
func (o OfflineCheck) Preview(p Post) (pv Preview, ok bool) {
	pr, ok := o.v.(Previewer) // the Redacting wrapper is one when the adapter is
	if !ok {
		return Preview{}, false
	}
	return pr.Preview(p), true
}

func unwrapValidator(v Validator) Validator {
	if u, ok := v.(interface{ Unwrap() Publisher }); ok {
		return u.Unwrap()
	}
	return v
}
