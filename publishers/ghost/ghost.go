// Package ghost publishes posts to a Ghost site through its Admin API, with
// an integration's Admin API key, optionally sending each post as a newsletter.
package ghost

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

var network = publishers.Network{
	Name:        "ghost",
	Description: "Ghost site (Admin API with an integration's Admin API key)",
	Settings: []publishers.Field{
		{Name: "site", Required: true, Help: "admin URL of the site, e.g. https://blog.ghost.io"},
		{Name: "newsletter", Help: "slug of a newsletter: each post is also sent by email to its subscribers"},
		publishers.InsecureHTTP,
	},
	Secrets: []publishers.Field{
		{Name: "admin_key", Required: true, Help: "Admin API key of a custom integration, <id>:<secret>"},
	},
	// Posts carry a slug derived from the calendar's slug, so an earlier
	// attempt is found by reading that slug.
	Safety: publishers.RetryLookup,
}

func init() {
	network.New = New // set here: New reads network, so it cannot be in its initializer
	// Its rules need the site's settings only, never the Admin API key.
	network.Offline = func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) }
	publishers.Register(network)
}

// Publisher publishes to one Ghost site.
type Publisher struct {
	cfg        publishers.Config
	api        string // {site}/ghost/api/admin
	newsletter string
	keyID      string
	secret     []byte
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
		return nil, fmt.Errorf("ghost: missing %s", strings.Join(missing, ", "))
	}
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	// The key is never quoted in errors: it is a secret.
	id, hexSecret, ok := strings.Cut(strings.TrimSpace(cfg.Secrets["admin_key"]), ":")
	secret, err := hex.DecodeString(hexSecret)
	if !ok || id == "" || err != nil || len(secret) == 0 {
		return nil, errors.New("ghost: admin_key is not an Admin API key (<id>:<hex secret>); copy it from Settings → Integrations")
	}
	cfg.Redact.Add(hexSecret)
	p.cfg, p.keyID, p.secret = cfg, id, secret
	return p, nil
}

// fromSettings reads the site's settings: all its rules need, with no key
// (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	site := strings.TrimRight(settings["site"], "/")
	u, ok := publishers.HTTPURL(site)
	if !ok || u.User != nil {
		return nil, fmt.Errorf("ghost: site %q is not an http(s) URL", site)
	}
	if err := publishers.CheckHTTPS("ghost: setting site", u, settings); err != nil {
		return nil, err
	}
	return &Publisher{
		cfg:        publishers.Config{Settings: settings},
		api:        strings.TrimSuffix(site, "/ghost") + "/ghost/api/admin",
		newsletter: strings.TrimSpace(settings["newsletter"]),
	}, nil
}

// ghostPost is the part of a post object the adapter reads.
type ghostPost struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	Slug        string `json:"slug"`
	Title       string `json:"title"`
	PublishedAt string `json:"published_at"`
}

func (g ghostPost) result(now time.Time) publishers.Result {
	r := publishers.Result{RemoteID: g.ID, RemoteURL: g.URL, PublishedAt: now}
	if t, err := time.Parse(time.RFC3339Nano, g.PublishedAt); err == nil {
		r.PublishedAt = t.UTC()
	}
	return r
}

type postsEnvelope struct {
	Posts []ghostPost `json:"posts"`
}

// Publish uploads the feature image, then creates the post from HTML,
// published, and sent as an email when the channel names a newsletter.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	html, err := longform.PostHTML(post)
	if err != nil {
		return publishers.Result{}, publishers.Errorf(publishers.Permanent, "rendering the body: %v", err)
	}
	gp := map[string]any{
		"title":  post.Title,
		"html":   html,
		"status": "published",
		"slug":   longform.Slug(post.Slug, maxSlug),
	}
	if tags := tagObjects(post.Tags); len(tags) > 0 {
		gp["tags"] = tags
	}
	if post.Excerpt != "" {
		gp["custom_excerpt"] = post.Excerpt
	}
	if post.Canonical != "" {
		gp["canonical_url"] = post.Canonical
	}
	if len(post.Media) > 0 {
		img, err := p.uploadImage(ctx, post.Media[0].Path)
		if err != nil {
			return publishers.Result{}, err
		}
		gp["feature_image"] = img
		if alt := strings.TrimSpace(post.Media[0].Alt); alt != "" {
			gp["feature_image_alt"] = alt
		}
	}
	q := url.Values{"source": {"html"}}
	if p.newsletter != "" {
		q.Set("newsletter", p.newsletter)
	}
	var out postsEnvelope
	body := map[string]any{"posts": []any{gp}}
	if err := p.client().Do(ctx, "POST", p.api+"/posts/?"+q.Encode(), body, &out); err != nil {
		return publishers.Result{}, err
	}
	if len(out.Posts) == 0 || out.Posts[0].ID == "" {
		return publishers.Result{}, publishers.Errorf(publishers.Transient, "Ghost answered without a post id")
	}
	return out.Posts[0].result(p.cfg.Clock()), nil
}

// tagObjects turns names into Ghost's tag objects (Ghost creates missing tags
// by name), dropping blanks and repeats.
func tagObjects(names []string) []map[string]string {
	var out []map[string]string
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || seen[strings.ToLower(n)] {
			continue
		}
		seen[strings.ToLower(n)] = true
		out = append(out, map[string]string{"name": n})
	}
	return out
}

// Find reads the post by the slug an earlier attempt sent. A post holding
// that slug under another title is not taken for ours; it is reported for a
// person to check, rather than risk a lost or a double post.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	slug := longform.Slug(post.Slug, maxSlug)
	if slug == "" {
		return publishers.Result{}, false, publishers.Errorf(publishers.Permanent, "post has no slug to look up")
	}
	var out postsEnvelope
	err := p.client().Do(ctx, "GET", p.api+"/posts/slug/"+slug+"/", nil, &out)
	var pe *publishers.Error
	if errors.As(err, &pe) && pe.Status == http.StatusNotFound {
		return publishers.Result{}, false, nil
	}
	if err != nil {
		return publishers.Result{}, false, err
	}
	for _, g := range out.Posts {
		if g.Slug != slug {
			continue
		}
		if strings.TrimSpace(g.Title) != strings.TrimSpace(post.Title) {
			return publishers.Result{}, false, publishers.Errorf(publishers.Permanent,
				"post %s already holds slug %q under another title (%q); check it by hand", g.ID, slug, g.Title)
		}
		return g.result(p.cfg.Clock()), true, nil
	}
	return publishers.Result{}, false, nil
}

// Check reads the site's name from the site endpoint, then makes the
// cheapest read that needs the key (the site endpoint itself is
// unauthenticated, so it alone would accept any key): the channel's
// newsletter when it names one, which must exist and be active, else one
// post id.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var site struct {
		Site struct {
			Title   string `json:"title"`
			Version string `json:"version"`
		} `json:"site"`
	}
	if err := p.client().Do(ctx, "GET", p.api+"/site/", nil, &site); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("admin key accepted by %q (Ghost %s)", site.Site.Title, site.Site.Version)
	if p.newsletter == "" {
		var posts postsEnvelope
		if err := p.client().Do(ctx, "GET", p.api+"/posts/?limit=1&fields=id", nil, &posts); err != nil {
			return "", err
		}
		return msg, nil
	}
	var nl struct {
		Newsletters []struct {
			Name   string `json:"name"`
			Slug   string `json:"slug"`
			Status string `json:"status"`
		} `json:"newsletters"`
	}
	q := url.Values{"filter": {"slug:" + p.newsletter}, "limit": {"1"}}
	if err := p.client().Do(ctx, "GET", p.api+"/newsletters/?"+q.Encode(), nil, &nl); err != nil {
		return "", err
	}
	if len(nl.Newsletters) == 0 || nl.Newsletters[0].Slug != p.newsletter {
		return "", publishers.Errorf(publishers.Permanent, "no newsletter with slug %q on this site", p.newsletter)
	}
	if n := nl.Newsletters[0]; n.Status != "active" {
		return "", publishers.Errorf(publishers.Permanent, "newsletter %q is %s, not active: posts would not be sent", n.Slug, n.Status)
	}
	return msg + fmt.Sprintf("; posts are also sent to newsletter %q", nl.Newsletters[0].Name), nil
}
