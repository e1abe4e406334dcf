// Package instagram publishes posts on an Instagram professional account
// through the Instagram Graph API's content publishing (Instagram
// Platform › Content Publishing; reference › IG User › Media, Media
// Publish, Content Publishing Limit; IG Container): an image container
// (or a carousel of image items) made with POST /{ig-user-id}/media, then
// published with POST /{ig-user-id}/media_publish.
//
// Crash safety is Threads': each container is recorded through the part
// recorder before it is published, and the next attempt reads its
// status_code instead of making a second post (see publishers/meta).
// Images are fetched by Meta from a public URL: local files go through the
// channel's media host (publishers/mediahost).
package instagram

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediahost"
	"github.com/crieur/crieur/publishers/meta"
	"github.com/crieur/crieur/publishers/oauth"
)

const (
	// defaultAPI is the Instagram API with Instagram Login's host; a
	// token from Facebook Login calls https://graph.facebook.com (set api).
	defaultAPI     = "https://graph.instagram.com"
	defaultVersion = "v25.0"
	// maxCaption is a caption's limit (IG User › Media: 2,200 characters,
	// 30 hashtags, 20 @ tags).
	maxCaption  = 2200
	maxHashtags = 30
	maxMentions = 20
	// maxCarousel is the most items of a carousel (IG User › Media:
	// carousels hold up to 10 images and videos).
	maxCarousel = 10
	// maxImageBytes is the image size limit (IG User › Media, image
	// specifications: 8 MB, JPEG).
	maxImageBytes = 8 << 20
	settingUser   = "user"
)

func init() {
	oauth.Register(Provider)
	publishers.Register(publishers.Network{
		Name:        "instagram",
		Description: "image and carousel posts on an Instagram professional account (Instagram Graph API containers)",
		Settings: slices.Concat([]publishers.Field{
			{Name: settingUser, Required: true, Help: "the Instagram professional account's id (IG user id: the user_id Instagram Login gives)"},
		}, meta.Fields(defaultAPI, defaultVersion), mediahost.Fields("Instagram"), Provider.Settings()),
		Secrets: Provider.Secrets(),
		Safety:  publishers.RetryLookup,
		New:     New,
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// Publisher posts as one Instagram account.
type Publisher struct {
	graph *meta.Graph
	flow  *meta.Flow
	host  *mediahost.Host
}

// New builds an Instagram publisher; the token is read when a request is made.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if err := p.graph.Connect(cfg, Provider, loginHint(cfg.Channel)); err != nil {
		return nil, err
	}
	return p, nil
}

func fromSettings(settings map[string]string) (*Publisher, error) {
	g, err := meta.ReadSettings("instagram", "Instagram", settings, defaultAPI, defaultVersion)
	if err != nil {
		return nil, err
	}
	user := strings.TrimSpace(settings[settingUser])
	if !meta.ValidID(user) {
		return nil, fmt.Errorf("instagram: setting user %q is not an Instagram account id (digits): set `--set user=ID`", user)
	}
	host, err := mediahost.FromSettings("instagram", settings)
	if err != nil {
		return nil, err
	}
	flow := &meta.Flow{Graph: g, User: user, Edge: "media", Publish: "media_publish", StatusField: "status_code",
		Poll: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}}
	return &Publisher{graph: g, flow: flow, host: host}, nil
}

func loginHint(channel string) string {
	return meta.LoginHint(channel, "long-lived tokens last 60 days; crieur refreshes them")
}

// caption is the post's text: its explicit thread parts follow as
// paragraphs (Instagram has no threads), then the link (captions show it
// as text: Instagram makes no link clickable there).
func caption(post publishers.Post) string {
	if len(post.Media) == 0 {
		return publishers.WithLink(publishers.Paragraphs(post), post.Link)
	}
	return publishers.Paragraphs(post)
}

// Validate checks the post against Instagram's rules; it never calls it.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	text := caption(post)
	if n := publishers.CountRunes(text); n > maxCaption {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("%d/%d characters: %d over the caption's limit (Instagram has no threads; shorten it)", n, maxCaption, n-maxCaption)})
	}
	if n := countWords(text, '#'); n > maxHashtags {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("%d hashtags, Instagram takes %d", n, maxHashtags)})
	}
	if n := countWords(text, '@'); n > maxMentions {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("%d @ tags, Instagram takes %d", n, maxMentions)})
	}
	switch {
	case len(post.Media) == 0:
		probs = append(probs, publishers.Problem{Field: "media", Message: "an Instagram post needs an image"})
	case len(post.Media) > maxCarousel:
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d images, an Instagram carousel takes %d", len(post.Media), maxCarousel)})
	}
	for i, m := range post.Media {
		if msg := p.checkImage(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// countWords counts the words of s that start with mark (#tag, @name).
func countWords(s string, mark byte) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if len(w) > 1 && w[0] == mark {
			n++
		}
	}
	return n
}

func (p *Publisher) checkImage(path string) string {
	// The map is made here, not at start-up: every command would pay for it.
	return mediahost.CheckImage(p.host, "Instagram", path, maxImageBytes, map[string]bool{"image/jpeg": true}, "JPEG (only)")
}

// Preview shows the caption as Instagram receives it.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	text := caption(post)
	pv := publishers.Preview{Parts: []string{text}, Count: []int{publishers.CountRunes(text)}, Limit: maxCaption, Unit: "characters", Problems: p.Validate(post)}
	pv.Extra = mediahost.PreviewNote(p.host, "Instagram", post.Media)
	return pv
}

// Publish checks the day's quota, then makes the container (a carousel's
// items first), records it, and publishes it.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	if r, ok := meta.Live(post, 0); ok {
		return r, nil
	}
	if err := p.checkQuota(ctx); err != nil {
		return publishers.Result{}, err
	}
	text := caption(post)
	res, err := p.flow.Part(ctx, post, 0,
		func(ctx context.Context) (string, error) { return p.container(ctx, text, post.Media) },
		func(ctx context.Context) (publishers.Result, bool, error) {
			return p.flow.Lookup(ctx, "media", "caption", post.ScheduledAt, text, false)
		})
	if err != nil {
		return publishers.Result{}, err
	}
	if res.RemoteURL == "" {
		res.RemoteURL = p.flow.Permalink(ctx, res.RemoteID)
	}
	if err := post.Confirm(publishers.PartResult{Index: 0, Result: res}); err != nil {
		return res, err
	}
	return res, nil
}

// container makes an image container with the caption, or a CAROUSEL of
// image items (is_carousel_item), each with its alt text (Content
// Publishing: alt_text on image containers, since March 2025).
func (p *Publisher) container(ctx context.Context, text string, media []publishers.Media) (string, error) {
	item := func(i int, m publishers.Media, carousel bool) (url.Values, error) {
		u, err := p.host.URL(m.Path, maxImageBytes)
		if err != nil {
			return nil, publishers.Within(err, fmt.Sprintf("media[%d]", i))
		}
		form := url.Values{"image_url": {u}}
		if carousel {
			form.Set("is_carousel_item", "true")
		}
		if alt := strings.TrimSpace(m.Alt); alt != "" {
			form.Set("alt_text", alt)
		}
		return form, nil
	}
	if len(media) == 1 {
		form, err := item(0, media[0], false)
		if err != nil {
			return "", err
		}
		if text != "" {
			form.Set("caption", text)
		}
		return p.flow.Create(ctx, form)
	}
	var children []string
	for i, m := range media {
		form, err := item(i, m, true)
		if err != nil {
			return "", err
		}
		id, err := p.flow.Create(ctx, form)
		if err != nil {
			return "", publishers.Within(err, fmt.Sprintf("media[%d]", i))
		}
		children = append(children, id)
	}
	form := url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}}
	if text != "" {
		form.Set("caption", text)
	}
	return p.flow.Create(ctx, form)
}

// checkQuota reads content_publishing_limit (50 posts in a moving 24
// hours; a carousel counts as one) and waits when the account is at it.
func (p *Publisher) checkQuota(ctx context.Context) error {
	var out struct {
		Data []struct {
			QuotaUsage int `json:"quota_usage"`
			Config     struct {
				QuotaTotal    int `json:"quota_total"`
				QuotaDuration int `json:"quota_duration"`
			} `json:"config"`
		} `json:"data"`
	}
	if err := p.graph.Get(ctx, p.flow.User+"/content_publishing_limit", url.Values{"fields": {"quota_usage,config"}}, &out); err != nil {
		return err
	}
	if len(out.Data) == 0 {
		return nil
	}
	d := out.Data[0]
	q := meta.Quota{Used: d.QuotaUsage, Total: d.Config.QuotaTotal, Duration: time.Duration(d.Config.QuotaDuration) * time.Second}
	if why := q.Over(1, "posts"); why != "" {
		return p.graph.QuotaWait(why)
	}
	return nil
}

// Find tells whether an uncertain attempt published the post: its
// recorded container, when Instagram says it is PUBLISHED, or (none
// recorded) a post with its caption among the account's latest.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	if r, ok := meta.Live(post, 0); ok {
		return r, true, nil
	}
	if id, ok := meta.Recorded(post, 0); ok {
		st, err := p.flow.State(ctx, id)
		if err != nil || st.Status != meta.StatusPublished {
			return publishers.Result{}, false, err
		}
	}
	return p.flow.Lookup(ctx, "media", "caption", post.ScheduledAt, caption(post), false)
}

// Check reads the account's username: the cheapest authenticated call.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := p.graph.Get(ctx, p.flow.User, url.Values{"fields": {"id,username"}}, &me); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated on Instagram; posts as @%s (%s)", me.Username, me.ID), nil
}
