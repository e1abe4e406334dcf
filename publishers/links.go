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
