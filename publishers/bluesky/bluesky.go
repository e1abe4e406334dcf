// Package bluesky publishes posts, threads and images to a Bluesky account
// through its PDS's XRPC API (plain net/http). Record keys are derived from
// the delivery's idempotency key, so an attempt whose outcome is unknown can
// be looked up (RetryLookup) instead of posted twice.
package bluesky

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
)

const (
	name           = "bluesky"
	defaultPDS     = "https://bsky.social"
	postCollection = "app.bsky.feed.post"
)

// rules are Bluesky's limits per post: 300 graphemes and 3,000 UTF-8 bytes.
var rules = publishers.Rules{Limit: 300, Unit: "graphemes", Count: publishers.CountGraphemes, ByteLimit: 3000}

func init() {
	publishers.Register(publishers.Network{
		Name:        name,
		Description: "Bluesky (AT Protocol): posts, threads, images with alt text",
		Settings: []publishers.Field{
			{Name: "handle", Required: true, Help: "the account's handle, e.g. alice.bsky.social"},
			{Name: "pds", Default: defaultPDS, Help: "the account's PDS (or entryway) URL"},
			{Name: "langs", Help: "languages of the posts, comma-separated BCP 47 tags (e.g. en,fr)"},
			publishers.InsecureHTTP,
		},
		Secrets: []publishers.Field{
			{Name: "app_password", Required: true, Help: "an app password (Bluesky settings: Privacy and security, App passwords)"},
		},
		Safety:  publishers.RetryLookup,
		New:     func(cfg publishers.Config) (publishers.Publisher, error) { return New(cfg) },
		Metrics: []string{publishers.MetricReplies, publishers.MetricReposts, publishers.MetricLikes, publishers.MetricQuotes},
		// Its rules are Bluesky's own and the handle's settings: never the
		// app password, never the PDS.
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// client is the HTTP side shared by every call.
type client struct {
	http *http.Client
	now  func() time.Time
}

// Publisher posts to one Bluesky account. It keeps one session for all its
// posts; it is safe for concurrent use.
type Publisher struct {
	client
	handle   string
	pds      string
	password string
	langs    []string
	redact   *publishers.Redactor // session tokens are added to it
	settings map[string]string    // for insecure_http

	// sessMu is held while a session is created or refreshed, so that
	// concurrent posts wait for one session instead of each asking for one.
	sessMu sync.Mutex
	sess   *session

	mu sync.Mutex
	// seen holds the idempotency keys this publisher has tried (or been asked
	// to Find) without success: publishing one again looks each part up first.
	seen map[string]bool
}

// New builds a publisher from a channel's settings and secrets.
func New(cfg publishers.Config) (*Publisher, error) {
	pub, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	password := cfg.Secrets["app_password"]
	if password == "" {
		return nil, fmt.Errorf("bluesky: secret app_password is required")
	}
	pub.client = client{http: cfg.Client(), now: cfg.Clock}
	pub.password, pub.redact = password, cfg.Redact
	return pub, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// password and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	handle := strings.TrimPrefix(strings.TrimSpace(settings["handle"]), "@")
	if handle == "" {
		return nil, fmt.Errorf("bluesky: setting handle is required")
	}
	pds := strings.TrimRight(strings.TrimSpace(settings["pds"]), "/")
	if pds == "" {
		pds = defaultPDS
	}
	u, ok := publishers.HTTPURL(pds)
	if !ok {
		return nil, fmt.Errorf("bluesky: setting pds must be an http(s) URL, got %q", pds)
	}
	if err := publishers.CheckHTTPS("bluesky: setting pds", u, settings); err != nil {
		return nil, err
	}
	var langs []string
	for _, l := range strings.Split(settings["langs"], ",") {
		if l = strings.TrimSpace(l); l != "" {
			langs = append(langs, l)
		}
	}
	if len(langs) > 3 {
		return nil, fmt.Errorf("bluesky: setting langs lists %d languages, Bluesky takes at most 3", len(langs))
	}
	return &Publisher{
		handle:   handle,
		pds:      pds,
		langs:    langs,
		settings: settings,
		seen:     map[string]bool{},
	}, nil
}

// parts returns the texts of the posts of p, in order: its text split by
// Bluesky's limits (each part numbered), or, when p has explicit thread parts,
// its text followed by them unchanged. p.Link is appended to the text when
// the text does not already carry it.
func parts(p publishers.Post) []string {
	text := strings.TrimSpace(publishers.WithLink(strings.TrimSpace(p.Text), p.Link))
	if len(p.Thread) == 0 {
		return publishers.Split(text, rules, true)
	}
	out := []string{text}
	for _, t := range p.Thread {
		out = append(out, strings.TrimSpace(t))
	}
	return out
}

// partField names part i of p in problems.
func partField(p publishers.Post, i int) string {
	if i == 0 || len(p.Thread) == 0 {
		return "text"
	}
	return fmt.Sprintf("thread[%d]", i-1)
}

// Validate lists what Bluesky would refuse. It reads the images' first bytes
// but never calls the network.
func (pub *Publisher) Validate(p publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	for i, text := range parts(p) {
		field := partField(p, i)
		if text == "" && (i > 0 || len(p.Media) == 0) {
			probs = append(probs, publishers.Problem{Field: field, Message: "empty post"})
			continue
		}
		probs = append(probs, rules.Check(field, text)...)
	}
	if len(p.Media) > maxImages {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d images: a post holds at most %d", len(p.Media), maxImages)})
	}
	for i, m := range p.Media {
		if msg := checkImage(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// Preview shows the parts as Bluesky counts them, and the links, mentions and
// tags that will become facets (mentions are resolved only when publishing).
func (pub *Publisher) Preview(p publishers.Post) publishers.Preview {
	pv := publishers.Preview{Limit: rules.Limit, Unit: rules.Unit, Problems: pub.Validate(p)}
	var extra []string
	for i, text := range parts(p) {
		pv.Parts = append(pv.Parts, text)
		pv.Count = append(pv.Count, rules.Length(text))
		for _, s := range findSpans(text) {
			extra = append(extra, fmt.Sprintf("part %d: %s %s (bytes %d-%d)", i+1, spanLabel(s.Kind), text[s.Start:s.End], s.Start, s.End))
		}
	}
	switch {
	case len(p.Media) > 0:
		extra = append(extra, fmt.Sprintf("embed: %d image(s)", len(p.Media)))
	case p.Link != "":
		extra = append(extra, "embed: link card "+p.Link)
	}
	pv.Extra = strings.Join(extra, "\n")
	return pv
}

func spanLabel(kind string) string {
	switch kind {
	case featureLink:
		return "link"
	case featureMention:
		return "mention"
	}
	return "tag"
}

// Check creates a session (or reuses the cached one) and reads it back: the
// cheapest authenticated call, and it never posts.
func (pub *Publisher) Check(ctx context.Context) (string, error) {
	var a struct {
		Handle string `json:"handle"`
		DID    string `json:"did"`
	}
	if err := pub.authed(ctx, request{method: http.MethodGet, nsid: "com.atproto.server.getSession"}, &a); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated as %s (%s)", a.Handle, a.DID), nil
}

// Find reports whether an earlier attempt of p published it: its first part
// exists and, for a thread, its last part too. A thread cut short by a failure
// counts as not found, so that the next Publish completes it: Publish skips
// the parts that exist.
func (pub *Publisher) Find(ctx context.Context, p publishers.Post) (publishers.Result, bool, error) {
	if p.IdempotencyKey == "" {
		return publishers.Result{}, false, nil
	}
	pub.mu.Lock()
	pub.seen[p.IdempotencyKey] = true
	pub.mu.Unlock()
	s, err := pub.currentSession(ctx)
	if err != nil {
		return publishers.Result{}, false, err
	}
	first, ok, err := pub.getRecord(ctx, s, recordKey(p.IdempotencyKey, 0))
	if err != nil || !ok {
		return publishers.Result{}, false, err
	}
	if n := len(parts(p)); n > 1 {
		if _, ok, err := pub.getRecord(ctx, s, recordKey(p.IdempotencyKey, n-1)); err != nil || !ok {
			return publishers.Result{}, false, err
		}
	}
	return pub.result(s, first), true, nil
}

// Publish posts p: its images, then each part as a reply to the one before.
func (pub *Publisher) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	if probs := pub.Validate(p); len(probs) > 0 {
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.String()
		}
		return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Message: strings.Join(msgs, "; ")}
	}
	key, retrying := p.IdempotencyKey, false
	if key == "" {
		key = randomKey()
	} else {
		pub.mu.Lock()
		retrying = pub.seen[key]
		pub.seen[key] = true
		pub.mu.Unlock()
	}

	s, err := pub.currentSession(ctx)
	if err != nil {
		return publishers.Result{}, err
	}
	t := &thread{pub: pub, post: p, key: key, retrying: retrying, dids: map[string]string{}}
	var first record
	all := parts(p)
	// Parts an earlier attempt published (as the calendar recorded them) are
	// not posted again: the thread resumes after them.
	next, live := p.Resume()
	if next > 0 {
		first, err = t.live(ctx, s, live)
		if err != nil {
			return publishers.Result{}, err
		}
	}
	for i, text := range all {
		if i < next {
			continue
		}
		ref, err := t.part(ctx, s, i, text)
		if err != nil && i > 0 {
			// The first posts are live: they are returned with the error,
			// so that the calendar keeps their id, and the error says so.
			res := pub.result(s, first)
			return res, livePrefix(err, fmt.Sprintf("thread part %d/%d (the first %d are live from %s)", i+1, len(all), i, res.RemoteURL))
		}
		if err != nil {
			return publishers.Result{}, err
		}
		if i == 0 {
			first = ref
		}
		res := pub.result(s, ref)
		if err := p.Confirm(publishers.PartResult{Index: i, Result: res, Ref: ref.CID}); err != nil {
			return pub.result(s, first), livePrefix(err, fmt.Sprintf("recording thread part %d/%d", i+1, len(all)))
		}
	}
	pub.forget(key)
	return pub.result(s, first), nil
}

// livePrefix says where a thread stopped, keeping the error's class.
func livePrefix(err error, where string) error {
	var pe *publishers.Error
	if errors.As(err, &pe) {
		cp := *pe
		cp.Message = where + ": " + pe.Message
		return &cp
	}
	return fmt.Errorf("%s: %w", where, err)
}

// forget drops a delivery that is known to be published from seen.
func (pub *Publisher) forget(key string) {
	pub.mu.Lock()
	delete(pub.seen, key)
	pub.mu.Unlock()
}

// result turns the first part's record into what the calendar stores.
func (pub *Publisher) result(s *session, first record) publishers.Result {
	published := pub.now()
	if t, err := time.Parse(time.RFC3339Nano, first.createdAt); err == nil {
		published = t
	}
	return publishers.Result{
		RemoteID:    first.URI,
		RemoteURL:   "https://bsky.app/profile/" + s.handle + "/post/" + first.rkey(),
		PublishedAt: published.UTC(),
	}
}
