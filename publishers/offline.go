package publishers

import "fmt"

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

// Check returns the network's rules for a channel with these settings, from
// its Offline: no secret is read and no client is built. Every registered
// network has Offline (Register refuses one without).
func (n Network) Check(channel string, settings map[string]string) (OfflineCheck, error) {
	if n.Offline == nil {
		return OfflineCheck{}, fmt.Errorf("network %s has no offline rules: it cannot check a post for channel %s", n.Name, channel)
	}
	v, err := n.Offline(settings)
	if err != nil {
		return OfflineCheck{}, err
	}
	return OfflineCheck{v: v}, nil
}

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
