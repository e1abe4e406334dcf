// Package wordpress publishes posts to a WordPress site through its REST API
// (wp-json/wp/v2), authenticated with an application password.
package wordpress

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// statuses are the post statuses a channel may publish with. "future" is left
// out: it needs a date, and the scheduler owns timing.
var statuses = map[string]bool{"publish": true, "draft": true, "pending": true, "private": true}

var network = publishers.Network{
	Name:        "wordpress",
	Description: "WordPress site (REST API with an application password)",
	Settings: []publishers.Field{
		{Name: "site", Required: true, Help: "base URL of the site, e.g. https://blog.example.com"},
		{Name: "status", Default: "publish", Help: "post status: publish, draft, pending or private"},
		{Name: "categories", Help: "comma-separated category names given to every post (created if missing)"},
		publishers.InsecureHTTP,
	},
	Secrets: []publishers.Field{
		{Name: "user", Required: true, Help: "the WordPress user name"},
		{Name: "app_password", Required: true, Help: "an application password of that user (Users → Profile)"},
	},
	// Posts carry a slug derived from the calendar's slug, so an earlier
	// attempt is found by an exact slug look-up.
	Safety: publishers.RetryLookup,
}

func init() {
	network.New = New // set here: New reads network, so it cannot be in its initializer
	// Its rules need the site's settings only, never the user's password.
	network.Offline = func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) }
	publishers.Register(network)
}

// Publisher publishes to one WordPress site.
type Publisher struct {
	cfg        publishers.Config
	api        string // {site}/wp-json/wp/v2
	status     string
	categories []string
	user       string
	password   string
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
		return nil, fmt.Errorf("wordpress: missing %s", strings.Join(missing, ", "))
	}
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.cfg, p.user = cfg, cfg.Secrets["user"]
	// WordPress shows application passwords in groups of four with
	// spaces; it accepts them with or without.
	p.password = cfg.Secrets["app_password"]
	return p, nil
}

// fromSettings reads the site's settings: all its rules need, with no
// user, password or client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	site := strings.TrimRight(network.Setting(settings, "site"), "/")
	u, ok := publishers.HTTPURL(site)
	if !ok {
		return nil, fmt.Errorf("wordpress: site %q is not an http(s) URL", site)
	}
	if u.User != nil {
		return nil, errors.New("wordpress: site must not carry credentials; use the user and app_password secrets")
	}
	if err := publishers.CheckHTTPS("wordpress: setting site", u, settings); err != nil {
		return nil, err
	}
	status := network.Setting(settings, "status")
	if !statuses[status] {
		return nil, fmt.Errorf("wordpress: status %q is not one of publish, draft, pending, private", status)
	}
	var cats []string
	for _, c := range strings.Split(settings["categories"], ",") {
		if c = strings.TrimSpace(c); c != "" {
			cats = append(cats, c)
		}
	}
	return &Publisher{
		cfg:        publishers.Config{Settings: settings},
		api:        site + "/wp-json/wp/v2",
		status:     status,
		categories: cats,
	}, nil
}

// wpPost is the part of a post object the adapter reads.
type wpPost struct {
	ID      int64  `json:"id"`
	Link    string `json:"link"`
	Slug    string `json:"slug"`
	DateGMT string `json:"date_gmt"`
	Title   struct {
		Raw      string `json:"raw"`
		Rendered string `json:"rendered"`
	} `json:"title"`
}

func (w wpPost) result(now time.Time) publishers.Result {
	r := publishers.Result{RemoteID: strconv.FormatInt(w.ID, 10), RemoteURL: w.Link, PublishedAt: now}
	// date_gmt has no zone designator; it is UTC.
	if t, err := time.Parse("2006-01-02T15:04:05", w.DateGMT); err == nil {
		r.PublishedAt = t.UTC()
	}
	return r
}

// Publish uploads the featured image, resolves tags and categories to ids
// (creating missing ones) and creates the post.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	content, err := longform.PostHTML(post)
	if err != nil {
		return publishers.Result{}, publishers.Errorf(publishers.Permanent, "rendering the body: %v", err)
	}
	tags, err := p.termIDs(ctx, "tags", post.Tags)
	if err != nil {
		return publishers.Result{}, err
	}
	cats, err := p.termIDs(ctx, "categories", p.categories)
	if err != nil {
		return publishers.Result{}, err
	}
	body := map[string]any{
		"title":   post.Title,
		"content": content,
		"status":  p.status,
		"slug":    longform.Slug(post.Slug, maxSlug),
	}
	if post.Excerpt != "" {
		body["excerpt"] = post.Excerpt
	}
	if len(tags) > 0 {
		body["tags"] = tags
	}
	if len(cats) > 0 {
		body["categories"] = cats
	}
	if len(post.Media) > 0 {
		id, err := p.uploadMedia(ctx, post.Media[0])
		if err != nil {
			return publishers.Result{}, err
		}
		body["featured_media"] = id
	}
	var created wpPost
	if err := p.client().Do(ctx, "POST", p.api+"/posts", body, &created); err != nil {
		return publishers.Result{}, err
	}
	if created.ID == 0 {
		return publishers.Result{}, publishers.Errorf(publishers.Transient, "WordPress answered without a post id")
	}
	return created.result(p.cfg.Clock()), nil
}

// Find looks for a post an earlier attempt created: the slug sent is derived
// from the calendar's slug, so the look-up is exact. A post holding that slug
// under another title is not taken for ours; it is reported for a person to
// check, rather than risk a lost or a double post.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	slug := longform.Slug(post.Slug, maxSlug)
	if slug == "" {
		return publishers.Result{}, false, publishers.Errorf(publishers.Permanent, "post has no slug to look up")
	}
	q := url.Values{
		"slug":    {slug},
		"status":  {"publish,future,draft,pending,private"},
		"context": {"edit"},
	}
	var found []wpPost
	if err := p.client().Do(ctx, "GET", p.api+"/posts?"+q.Encode(), nil, &found); err != nil {
		return publishers.Result{}, false, err
	}
	for _, w := range found {
		if w.Slug != slug {
			continue
		}
		if strings.TrimSpace(w.Title.Raw) != strings.TrimSpace(post.Title) {
			return publishers.Result{}, false, publishers.Errorf(publishers.Permanent,
				"post %d already holds slug %q under another title (%q); check it by hand", w.ID, slug, w.Title.Raw)
		}
		return w.result(p.cfg.Clock()), true, nil
	}
	return publishers.Result{}, false, nil
}

// Check reads the authenticated user: the cheapest read that needs the
// application password to be valid.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var me struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Slug string `json:"slug"`
	}
	if err := p.client().Do(ctx, "GET", p.api+"/users/me", nil, &me); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated as %s (user %d)", me.Name, me.ID), nil
}
