// Package mastodon publishes posts as statuses (threads when long) on a
// Mastodon instance, with media and alt text, through its REST API
// (https://docs.joinmastodon.org/methods/).
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
)

func init() {
	publishers.Register(publishers.Network{
		Name:        "mastodon",
		Description: "posts statuses (threads when long) with media and alt text on a Mastodon instance",
		Settings: []publishers.Field{
			{Name: "instance", Required: true, Help: "the instance's base URL, e.g. https://mastodon.social"},
			{Name: "visibility", Default: "public", Help: "public, unlisted, private or direct"},
			// The instance's limits, stored by `crieur channel test` so that
			// offline checks and previews use them; any can be set by hand.
			{Name: settingMaxChars, Help: "characters per status (read from the instance by `channel test`; default 500)"},
			{Name: settingURLLength, Help: "what a URL counts as (read from the instance by `channel test`; default 23)"},
			{Name: settingMaxMedia, Help: "attachments per status (read from the instance by `channel test`; default 4)"},
			{Name: settingAltLength, Help: "characters of alt text (read from the instance by `channel test`; default 1500)"},
			{Name: settingSoftware, Help: "the server software, e.g. mastodon or gotosocial (read from the instance by `channel test`)"},
			publishers.InsecureHTTP,
		},
		Secrets: []publishers.Field{
			{Name: "token", Required: true, Help: "an access token with the write:statuses and write:media scopes"},
		},
		// Every status carries an Idempotency-Key derived from the delivery's
		// key; Mastodon answers a repeated key with the status it created.
		// It keeps keys for about an hour, and some Mastodon-API servers
		// (GoToSocial) ignore them: the key is a second guard only. Before
		// a retry of an uncertain attempt, Find looks the status up among
		// the account's recent statuses.
		Safety:  publishers.RetryLookup,
		New:     New,
		Metrics: []string{publishers.MetricReplies, publishers.MetricReposts, publishers.MetricLikes},
		// Its rules need the instance's settings only.
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// Publisher posts to one account on one instance.
type Publisher struct {
	base       string // instance URL without a trailing slash
	token      string
	visibility string
	client     *http.Client
	now        func() time.Time

	// PollInterval is the wait between checks of a media attachment the
	// instance is still processing; PollLimit bounds how many checks are made.
	PollInterval time.Duration
	PollLimit    int

	mu      sync.Mutex
	limits  *limits // nil until the instance answered
	stored  limits  // from the channel's settings (or Mastodon's defaults)
	account string  // the account's id, once asked
}

// limits are what the instance accepts; defaults are Mastodon's own.
type limits struct {
	maxChars, urlLength, maxMedia, altLength int
	// software is the server's software in lower case ("mastodon",
	// "gotosocial"), "" when unknown.
	software string
}

var defaultLimits = limits{maxChars: 500, urlLength: 23, maxMedia: 4, altLength: 1500}

var visibilities = map[string]bool{"public": true, "unlisted": true, "private": true, "direct": true}

// New builds a Mastodon publisher from the channel's settings and secrets.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.Secrets["token"])
	if token == "" {
		return nil, errors.New("mastodon: secret token is missing")
	}
	p.token, p.client, p.now = token, cfg.Client(), cfg.Clock
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// token and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	cfg := publishers.Config{Settings: settings}
	base := strings.TrimRight(strings.TrimSpace(cfg.Settings["instance"]), "/")
	if !strings.Contains(base, "://") && base != "" {
		base = "https://" + base
	}
	u, ok := publishers.HTTPURL(base)
	if !ok {
		return nil, fmt.Errorf("mastodon: setting instance %q is not an instance URL like https://mastodon.social", cfg.Settings["instance"])
	}
	if err := publishers.CheckHTTPS("mastodon: setting instance", u, cfg.Settings); err != nil {
		return nil, err
	}
	vis := cfg.Settings["visibility"]
	if vis == "" {
		vis = "public"
	}
	if !visibilities[vis] {
		return nil, fmt.Errorf("mastodon: setting visibility %q is not one of public, unlisted, private, direct", vis)
	}
	stored, err := storedLimits(cfg.Settings)
	if err != nil {
		return nil, err
	}
	return &Publisher{
		base: base, visibility: vis,
		PollInterval: time.Second, PollLimit: 120,
		stored: stored,
	}, nil
}

// mention matches a remote mention; Mastodon counts only its local part.
var mention = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`@([A-Za-z0-9_]+)@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`) })

// countChars counts as Mastodon does: code points, with @user@domain
// mentions counting as @user.
func countChars(s string) int {
	return publishers.CountRunes(mention().ReplaceAllString(s, "@$1"))
}

func (p *Publisher) current() limits {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limits != nil {
		return *p.limits
	}
	return p.stored
}

// rules are how the instance counts a status: URLs at the length it
// reserves for them, unless its software is known to count them in full.
func (l limits) rules() publishers.Rules {
	r := publishers.Rules{Limit: l.maxChars, Unit: "characters", Count: countChars, URLLength: l.urlLength}
	if countsURLsInFull[l.software] {
		r.URLLength = 0
	}
	return r
}

// splitRules are the rules a long text is cut by. On a server other than
// Mastodon itself, whose counting crieur knows exactly, parts are cut a
// margin below the limit (2%, at least one character), so that a server
// counting a little differently still takes every part.
func (l limits) splitRules() publishers.Rules {
	r := l.rules()
	if l.software != "" && l.software != "mastodon" {
		r.Limit -= max(1, r.Limit/50)
	}
	return r
}

// parts is the thread a post becomes: its text with its link (Mastodon has
// no link field), cut to fit when it does not (see splitRules), then its
// explicit thread parts.
func parts(post publishers.Post, l limits) []string {
	var out []string
	if text := publishers.WithLink(strings.TrimSpace(post.Text), post.Link); strings.TrimSpace(text) != "" {
		r := l.rules()
		if len(r.Check("text", text)) > 0 {
			r = l.splitRules()
		}
		out = publishers.Split(text, r, true)
	}
	for _, t := range post.Thread {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Validate checks the post against the instance's known limits (or
// Mastodon's defaults before the instance was asked); it never calls it.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	l := p.current()
	r := l.rules()
	var probs []publishers.Problem
	if strings.TrimSpace(post.Text) == "" && len(post.Media) == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a status needs text or media"})
	}
	for i, t := range post.Thread {
		probs = append(probs, r.Check(fmt.Sprintf("thread[%d]", i), strings.TrimSpace(t))...)
	}
	if len(post.Media) > l.maxMedia {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d attachments, the instance takes %d per status", len(post.Media), l.maxMedia)})
	}
	for i, m := range post.Media {
		field := fmt.Sprintf("media[%d]", i)
		if n := publishers.CountRunes(m.Alt); n > l.altLength {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("alt text is %d characters, the instance takes %d", n, l.altLength)})
		}
		if msg := checkMediaFile(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: field, Message: msg})
		}
	}
	return probs
}

// Preview shows the thread the post becomes, counted against the instance's
// known limit.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	l := p.current()
	r := l.rules()
	pv := publishers.Preview{Limit: r.Limit, Unit: r.Unit, Problems: p.Validate(post)}
	pv.Parts = parts(post, l)
	for _, part := range pv.Parts {
		pv.Count = append(pv.Count, r.Length(part))
	}
	return pv
}

// Publish uploads the media, then posts the thread, each status replying to
// the one before. Media go on the first status. A thread an earlier attempt
// cut short resumes after its live parts (post.Live), replying to the last.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	next, live := post.Resume()
	var mediaIDs []string
	for i, m := range post.Media {
		if next > 0 {
			break // the first status, which carries them, is live
		}
		id, err := p.upload(ctx, m)
		if err != nil {
			return publishers.Result{}, prefix(err, fmt.Sprintf("media[%d]", i))
		}
		mediaIDs = append(mediaIDs, id)
	}
	l := p.loadLimits(ctx)
	thread := parts(post, l)
	if len(thread) == 0 {
		thread = []string{""} // media only
	}

	var first status
	replyTo := ""
	if next > 0 {
		first = status{ID: live[0].RemoteID, URL: live[0].RemoteURL}
		if !live[0].PublishedAt.IsZero() {
			first.CreatedAt = live[0].PublishedAt.Format(time.RFC3339Nano)
		}
		replyTo = live[next-1].RemoteID
	}
	for i, text := range thread {
		if i < next {
			continue
		}
		req := statusRequest{Status: text, Visibility: p.visibility, InReplyToID: replyTo}
		if i == 0 {
			req.MediaIDs = mediaIDs
		}
		key := ""
		if post.IdempotencyKey != "" {
			key = fmt.Sprintf("%s-%d", post.IdempotencyKey, i)
		}
		st, err := p.postStatus(ctx, req, key)
		if err != nil {
			if i > 0 {
				// The first statuses are live: they are returned with the
				// error, so that the calendar keeps their id.
				return p.result(first), prefix(err, fmt.Sprintf("thread part %d/%d (the first %d are live from %s)", i+1, len(thread), i, first.URL))
			}
			return publishers.Result{}, err
		}
		if i == 0 {
			first = st
		}
		replyTo = st.ID
		if err := post.Confirm(publishers.PartResult{Index: i, Result: p.result(st)}); err != nil {
			return p.result(first), prefix(err, fmt.Sprintf("recording thread part %d/%d", i+1, len(thread)))
		}
	}
	return p.result(first), nil
}

// result describes a thread by its first status.
func (p *Publisher) result(first status) publishers.Result {
	published := p.now()
	if t, err := time.Parse(time.RFC3339, first.CreatedAt); err == nil {
		published = t
	}
	return publishers.Result{RemoteID: first.ID, RemoteURL: first.URL, PublishedAt: published}
}

// Check verifies the token and reads the instance's limits (Learned then
// gives them, for the channel to keep).
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var acct struct {
		Acct string `json:"acct"`
	}
	if _, err := p.do(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", nil, &acct); err != nil {
		return "", err
	}
	l := p.loadLimits(ctx)
	host := strings.TrimPrefix(strings.TrimPrefix(p.base, "https://"), "http://")
	return fmt.Sprintf("authenticated as @%s on %s (%d characters per status)", acct.Acct, host, l.maxChars), nil
}

// prefix says where in a multi-step publish an error happened, keeping its class.
func prefix(err error, where string) error { return publishers.Within(err, where) }
