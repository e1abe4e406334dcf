package calendar

import (
	"net/url"
	"strings"
)

// WebURL reports whether s is an absolute http(s) URL with a host and no
// control character, space or quote: the only form of a network's post
// address crieur records, shows and writes into feeds.
func WebURL(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return r <= ' ' || r == 0x7f || r == '"' || (r >= 0x80 && r <= 0x9f)
	}) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// RemoteURLRefused is the note recorded when a network's reply gave a post
// address that is not an http(s) URL; the address itself is not kept.
const RemoteURLRefused = "the network's reply gave a post address that is not an http(s) URL; it was not recorded"

// DropBadRemoteURL clears a RemoteURL that is not a WebURL (a network's
// reply is not trusted: a webhook may answer anything) and returns the note
// to record; "" when the address is kept.
func (o *Outcome) DropBadRemoteURL() string {
	if o.RemoteURL == "" || WebURL(o.RemoteURL) {
		return ""
	}
	o.RemoteURL = ""
	return RemoteURLRefused
}
