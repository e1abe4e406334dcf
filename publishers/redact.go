package publishers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Redacted replaces a secret in any text crieur stores, logs or prints.
const Redacted = "[redacted]"

// minSecret is the shortest value redacted: shorter ones would mangle
// ordinary words and are no credential anyway.
const minSecret = 4

// maxExtra bounds the values found at run time (session tokens, signed
// tokens) a Redactor keeps besides the channel's secrets.
const maxExtra = 64

// Redactor removes a channel's secret values, and the forms they take on the
// wire (base64, HTTP Basic, SMTP PLAIN, URL and JSON escaping), from text.
// Every publisher built through the registry has its errors and results
// passed through one; adapters add the credentials they obtain at run time
// (a session token) with Add. A nil Redactor redacts nothing and is safe to
// use. It is safe for concurrent use.
type Redactor struct {
	mu     sync.RWMutex
	fixed  []string // forms of the channel's secrets
	extra  [][]string
	forms  []string // fixed and extra, longest first
	values map[string]bool
}

// NewRedactor returns a redactor for the secrets of a channel. Each secret is
// also redacted as the password of HTTP Basic and SMTP PLAIN credentials
// whose user is any of the settings' values.
func NewRedactor(secrets, settings map[string]string) *Redactor {
	r := &Redactor{values: map[string]bool{}}
	var users []string
	for _, v := range settings {
		users = append(users, v)
	}
	for _, v := range secrets {
		r.fixed = append(r.fixed, forms(v)...)
		for _, u := range users {
			r.fixed = append(r.fixed, pairForms(u, v)...)
		}
		for _, v2 := range secrets {
			r.fixed = append(r.fixed, pairForms(v2, v)...)
		}
	}
	r.rebuild()
	return r
}

// Add registers values obtained at run time (tokens granted by the network,
// signed tokens) so that they are redacted too. The latest ones are kept.
func (r *Redactor) Add(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecret || r.values[v] {
			continue
		}
		r.values[v] = true
		r.extra = append(r.extra, forms(v))
	}
	if len(r.extra) > maxExtra {
		r.extra = r.extra[len(r.extra)-maxExtra:]
		r.values = map[string]bool{}
		for _, fs := range r.extra {
			r.values[fs[0]] = true
		}
	}
	r.rebuild()
}

// rebuild sorts every form longest first, so that a form containing another
// is replaced whole. r.mu is held (or r is not shared yet).
func (r *Redactor) rebuild() {
	seen := map[string]bool{}
	var all []string
	add := func(fs []string) {
		for _, f := range fs {
			if len(f) >= minSecret && !seen[f] {
				seen[f] = true
				all = append(all, f)
			}
		}
	}
	add(r.fixed)
	for _, fs := range r.extra {
		add(fs)
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	r.forms = all
}

// forms lists v as it may appear on the wire or in an echo of a request.
func forms(v string) []string {
	if len(v) < minSecret {
		return nil
	}
	b := []byte(v)
	out := []string{v, url.QueryEscape(v), url.PathEscape(v),
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
	if j, err := json.Marshal(v); err == nil {
		// Go's JSON form, and PHP's (WordPress), which escapes slashes.
		esc := string(j[1 : len(j)-1])
		out = append(out, esc, strings.ReplaceAll(esc, "/", `\/`))
	}
	// Go's %q form, as errors quote what a server said.
	q := strconv.Quote(v)
	out = append(out, q[1:len(q)-1])
	if t := strings.TrimSpace(v); t != v {
		out = append(out, forms(t)...)
	}
	return out
}

// pairForms lists the encoded credentials that carry user and password
// together: HTTP Basic (base64 of user:password) and SMTP PLAIN.
func pairForms(user, password string) []string {
	if len(password) < minSecret {
		return nil
	}
	var out []string
	for _, s := range []string{user + ":" + password, "\x00" + user + "\x00" + password, user + "\x00" + user + "\x00" + password} {
		b := []byte(s)
		out = append(out, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
			base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b))
	}
	return out
}

// String returns s with every secret form replaced by Redacted.
func (r *Redactor) String(s string) string {
	if r == nil || s == "" {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Redacted)
		}
	}
	return s
}

// leaks reports whether s holds a secret form.
func (r *Redactor) leaks(s string) bool {
	return r.String(s) != s
}

// Error returns err with every secret form removed from its text and from the
// text of every error it wraps, keeping its class (a *Error stays one, with
// its class, status and wait) and what errors.Is and errors.As find in it.
func (r *Redactor) Error(err error) error {
	if r == nil || err == nil || !r.leaks(errorText(err)) {
		return err
	}
	var pe *Error
	if e, ok := err.(*Error); ok {
		pe = e
	}
	if pe != nil {
		c := *pe
		c.Message = r.String(c.Message)
		c.Err = r.Error(c.Err)
		return &c
	}
	red := &redactedError{msg: r.String(err.Error()), orig: err}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if in := u.Unwrap(); in != nil {
			red.wrapped = []error{r.Error(in)}
		}
	case interface{ Unwrap() []error }:
		for _, in := range u.Unwrap() {
			red.wrapped = append(red.wrapped, r.Error(in))
		}
	}
	return red
}

// errorText is the text of err and of every error it wraps.
func errorText(err error) string {
	var b strings.Builder
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		b.WriteString(e.Error())
		b.WriteByte('\n')
		if pe, ok := e.(*Error); ok {
			b.WriteString(pe.Message)
			b.WriteByte('\n')
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, in := range u.Unwrap() {
				walk(in)
			}
		}
	}
	walk(err)
	return b.String()
}

// redactedError is an error whose text held a secret: its text redacted, and
// the errors it wrapped redacted in turn.
type redactedError struct {
	msg     string
	orig    error
	wrapped []error
}

func (e *redactedError) Error() string   { return e.msg }
func (e *redactedError) Unwrap() []error { return e.wrapped }

// Is keeps errors.Is(err, context.DeadlineExceeded) and the like true.
func (e *redactedError) Is(target error) bool { return errors.Is(e.orig, target) }

// Result returns res with its remote id and URL redacted.
func (r *Redactor) Result(res Result) Result {
	res.RemoteID = r.String(res.RemoteID)
	res.RemoteURL = r.String(res.RemoteURL)
	return res
}

// Problems returns probs with their messages redacted.
func (r *Redactor) Problems(probs []Problem) []Problem {
	if r == nil {
		return probs
	}
	for i := range probs {
		probs[i].Message = r.String(probs[i].Message)
	}
	return probs
}

// Redacting wraps pub so that nothing it returns carries one of r's secrets:
// errors (class kept), results, check messages and problems. The wrapper has
// exactly the optional capabilities of pub (Finder, Checker, Previewer; a
// Checker is also a Learner, learning nothing when pub is not); a new
// optional interface must be added here too, or callers' type assertions
// will not find it. Unwrap returns pub.
func Redacting(pub Publisher, r *Redactor) Publisher {
	if pub == nil || r == nil {
		return pub
	}
	base := redacting{pub: pub, r: r}
	f, isF := pub.(Finder)
	c, isC := pub.(Checker)
	v, isV := pub.(Previewer)
	rf, rc, rv := redactFind{base, f}, redactCheck{base, c}, redactPreview{base, v}
	switch {
	case isF && isC && isV:
		return &struct {
			redacting
			redactFind
			redactCheck
			redactPreview
		}{base, rf, rc, rv}
	case isF && isC:
		return &struct {
			redacting
			redactFind
			redactCheck
		}{base, rf, rc}
	case isF && isV:
		return &struct {
			redacting
			redactFind
			redactPreview
		}{base, rf, rv}
	case isC && isV:
		return &struct {
			redacting
			redactCheck
			redactPreview
		}{base, rc, rv}
	case isF:
		return &struct {
			redacting
			redactFind
		}{base, rf}
	case isC:
		return &struct {
			redacting
			redactCheck
		}{base, rc}
	case isV:
		return &struct {
			redacting
			redactPreview
		}{base, rv}
	}
	return &base
}

// Unwrap returns the publisher a wrapper such as Redacting's was built on,
// or pub itself.
func Unwrap(pub Publisher) Publisher {
	if u, ok := pub.(interface{ Unwrap() Publisher }); ok {
		return u.Unwrap()
	}
	return pub
}

type redacting struct {
	pub Publisher
	r   *Redactor
}

func (w redacting) Unwrap() Publisher { return w.pub }

// redactor is what StatsOf applies to a wrapped Stats.
func (w redacting) redactor() *Redactor { return w.r }

func (w redacting) Validate(p Post) []Problem { return w.r.Problems(w.pub.Validate(p)) }

func (w redacting) Publish(ctx context.Context, p Post) (Result, error) {
	if on := p.OnPart; on != nil {
		p.OnPart = func(r PartResult) error {
			r.Result = w.r.Result(r.Result)
			return on(r)
		}
	}
	res, err := w.pub.Publish(ctx, p)
	return w.r.Result(res), w.r.Error(err)
}

type redactFind struct {
	w redacting
	f Finder
}

func (w redactFind) Find(ctx context.Context, p Post) (Result, bool, error) {
	if on := p.OnPart; on != nil { // a lookup may report a thread's live parts
		p.OnPart = func(r PartResult) error {
			r.Result = w.w.r.Result(r.Result)
			return on(r)
		}
	}
	res, ok, err := w.f.Find(ctx, p)
	return w.w.r.Result(res), ok, w.w.r.Error(err)
}

type redactCheck struct {
	w redacting
	c Checker
}

func (w redactCheck) Check(ctx context.Context) (string, error) {
	msg, err := w.c.Check(ctx)
	return w.w.r.String(msg), w.w.r.Error(err)
}

// Learned makes every wrapped Checker a Learner: what a Check learned, or
// nil when the adapter learns nothing (Learner only ever follows a Check).
func (w redactCheck) Learned() map[string]string {
	l, ok := w.c.(Learner)
	if !ok {
		return nil
	}
	got := l.Learned()
	for k, v := range got {
		got[k] = w.w.r.String(v)
	}
	return got
}

type redactPreview struct {
	w redacting
	v Previewer
}

func (w redactPreview) Preview(p Post) Preview {
	pv := w.v.Preview(p)
	pv.Extra = w.w.r.String(pv.Extra)
	pv.Problems = w.w.r.Problems(pv.Problems)
	return pv
}
