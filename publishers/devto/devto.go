// Package devto publishes articles to DEV (dev.to) or another Forem through
// the Forem API v1, authenticated with an API key.
package devto

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

var network = publishers.Network{
	Name:        "devto",
	Description: "DEV Community or another Forem (API v1 with an API key)",
	Settings: []publishers.Field{
		{Name: "api", Default: "https://dev.to", Help: "base URL of the Forem"},
		{Name: "published", Default: "true", Help: "publish articles (true) or leave them as drafts (false)"},
		publishers.InsecureHTTP,
	},
	Secrets: []publishers.Field{
		{Name: "api_key", Required: true, Help: "API key from Settings → Extensions"},
	},
	// An earlier attempt is found by listing the account's articles; see Find.
	Safety:  publishers.RetryLookup,
	Metrics: []string{publishers.MetricViews, publishers.MetricReactions, publishers.MetricComments},
}

func init() {
	network.New = New // set here: New reads network, so it cannot be in its initializer
	// Its rules are Forem's own: never the API key.
	network.Offline = func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) }
	publishers.Register(network)
}

// Publisher publishes to one Forem account.
type Publisher struct {
	cfg       publishers.Config
	api       string // {api}/api
	published bool
	key       string
}

var (
	_ publishers.Publisher = (*Publisher)(nil)
	_ publishers.Finder    = (*Publisher)(nil)
	_ publishers.Checker   = (*Publisher)(nil)
	_ publishers.Previewer = (*Publisher)(nil)
)

// New builds a publisher for one channel.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	if missing := network.Missing(cfg.Settings, cfg.Secrets); len(missing) > 0 {
		return nil, fmt.Errorf("devto: missing %s", strings.Join(missing, ", "))
	}
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.cfg, p.key = cfg, strings.TrimSpace(cfg.Secrets["api_key"])
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// key and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	base := strings.TrimRight(network.Setting(settings, "api"), "/")
	u, ok := publishers.HTTPURL(base)
	if !ok || u.User != nil {
		return nil, fmt.Errorf("devto: api %q is not an http(s) URL", base)
	}
	if err := publishers.CheckHTTPS("devto: setting api", u, settings); err != nil {
		return nil, err
	}
	published, err := strconv.ParseBool(network.Setting(settings, "published"))
	if err != nil {
		return nil, fmt.Errorf("devto: published must be true or false, got %q", settings["published"])
	}
	return &Publisher{
		cfg:       publishers.Config{Settings: settings},
		api:       strings.TrimSuffix(base, "/api") + "/api",
		published: published,
	}, nil
}

// article is the part of an article object the adapter reads.
type article struct {
	ID           int64  `json:"id"`
	Title        string `json:"title"`
	URL          string `json:"url"`
	CanonicalURL string `json:"canonical_url"`
	BodyMarkdown string `json:"body_markdown"`
	PublishedAt  string `json:"published_at"`
}

func (a article) result(now time.Time) publishers.Result {
	r := publishers.Result{RemoteID: strconv.FormatInt(a.ID, 10), RemoteURL: a.URL, PublishedAt: now}
	if t, err := time.Parse(time.RFC3339Nano, a.PublishedAt); err == nil {
		r.PublishedAt = t.UTC()
	}
	return r
}

// Publish creates the article. published is always sent: Forem's default is
// a draft.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	a := map[string]any{
		"title":         post.Title,
		"body_markdown": bodyMarkdown(post),
		"published":     p.published,
	}
	if tags := normalTags(post.Tags); len(tags) > 0 {
		// The API documents tags as one comma-separated string.
		a["tags"] = strings.Join(tags, ", ")
	}
	if post.Canonical != "" {
		a["canonical_url"] = post.Canonical
	}
	if post.Excerpt != "" {
		a["description"] = post.Excerpt
	}
	if len(post.Media) > 0 {
		a["main_image"] = post.Media[0].Path
	}
	var created article
	if err := p.client().Do(ctx, "POST", p.api+"/articles", map[string]any{"article": a}, &created); err != nil {
		return publishers.Result{}, err
	}
	if created.ID == 0 {
		return publishers.Result{}, publishers.Errorf(publishers.Transient, "Forem answered without an article id")
	}
	return created.result(p.cfg.Clock()), nil
}

// Find pages through the account's articles, drafts included, for one an
// earlier attempt created. The key is what Forem itself keeps unique:
//   - the canonical URL when the post has one: Forem refuses a second article
//     with the same canonical_url, so a match is certainly ours;
//   - otherwise title and body together: Forem refuses a second article of
//     one user with the same title and body_markdown, so they name one
//     article, and both are sent verbatim.
//
// A marker hidden in the body would also work, but would put crieur's words
// in every article; the title is not enough alone, since recurring posts
// share titles.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	body := normalBody(bodyMarkdown(post))
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "per_page": {strconv.Itoa(perPage)}}
		var list []article
		if err := p.client().Do(ctx, "GET", p.api+"/articles/me/all?"+q.Encode(), nil, &list); err != nil {
			return publishers.Result{}, false, err
		}
		for _, a := range list {
			if post.Canonical != "" && a.CanonicalURL == post.Canonical ||
				post.Canonical == "" && a.Title == post.Title && normalBody(a.BodyMarkdown) == body {
				return a.result(p.cfg.Clock()), true, nil
			}
		}
		if len(list) < perPage {
			return publishers.Result{}, false, nil
		}
	}
	return publishers.Result{}, false, publishers.Errorf(publishers.Permanent,
		"the account has more than %d articles; cannot tell whether this one was published", maxPages*perPage)
}

// The list endpoint takes up to 1000 articles a page; the cap keeps a look-up
// bounded.
const (
	perPage  = 1000
	maxPages = 20
)

func normalBody(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

// Check reads the account the key belongs to.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var me struct {
		Username string `json:"username"`
		Name     string `json:"name"`
	}
	if err := p.client().Do(ctx, "GET", p.api+"/users/me", nil, &me); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated as @%s (%s)", me.Username, me.Name), nil
}
