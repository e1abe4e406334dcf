package publishers

import (
	"net/url"
	"sort"
	"strings"
)

// TagLinks adds UTM parameters to every http(s) link in text (and returns the
// new text), keeping existing query strings (an existing utm_* key is not
// overwritten) and fragments; trailing punctuation after a URL (.,;:!?) and
// closing brackets stay outside.
func TagLinks(text string, params map[string]string) string {
	spans := urlSpans(text)
	if len(spans) == 0 || len(params) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(text[last:sp[0]])
		b.WriteString(TagURL(text[sp[0]:sp[1]], params))
		last = sp[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// TagURL adds params to the query of an http(s) URL, in key order, skipping
// keys the URL already has and empty values. The rest of the URL is kept byte
// for byte (no re-encoding), so a link still points where its author meant.
func TagURL(u string, params map[string]string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return u
	}
	if s := strings.ToLower(parsed.Scheme); s != "http" && s != "https" {
		return u
	}
	base, fragment, hasFragment := strings.Cut(u, "#")
	path, query, _ := strings.Cut(base, "?")
	existing, _ := url.ParseQuery(query)

	keys := make([]string, 0, len(params))
	for k, v := range params {
		if _, ok := existing[k]; ok || k == "" || v == "" {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return u
	}
	sort.Strings(keys)

	var b strings.Builder
	b.WriteString(path)
	b.WriteByte('?')
	b.WriteString(query)
	for i, k := range keys {
		if i > 0 || (query != "" && !strings.HasSuffix(query, "&")) {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(params[k]))
	}
	if hasFragment {
		b.WriteByte('#')
		b.WriteString(fragment)
	}
	return b.String()
}

// HasLink reports whether text already carries link, with or without a query
// or fragment (a copy of the link with UTM parameters counts).
func HasLink(text, link string) bool {
	link = strings.TrimSpace(link)
	if link == "" {
		return true
	}
	for _, u := range URLs(text) {
		if bareURL(u) == bareURL(link) {
			return true
		}
	}
	return false
}

// WithLink is the one rule by which a post's link reaches a network that has
// no link field: the text, then the link on its own paragraph, unless the
// text already carries it (HasLink). The link is appended as given, UTM tags
// included; Rules.Length counts it as the network counts URLs.
func WithLink(text, link string) string {
	link = strings.TrimSpace(link)
	if HasLink(text, link) {
		return text
	}
	if strings.TrimSpace(text) == "" {
		return link
	}
	return strings.TrimRight(text, " \t\r\n") + "\n\n" + link
}

// bareURL is a URL without its query and fragment.
func bareURL(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	return u
}
