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
	"strings"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
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
)

// network is Instagram's container publishing (IG User › Media, Media
// Publish, Content Publishing Limit) and its long-lived tokens
// (ig_exchange_token, 60 days, refreshed with ig_refresh_token once a day
// old, both on graph.instagram.com: Instagram Platform › Reference ›
// Access Token, Refresh Access Token).
var network = &meta.Containers[*Publisher]{Name: "instagram", Display: "Instagram", DefaultAPI: defaultAPI, DefaultVersion: defaultVersion,
	Edge: "media", Publish: "media_publish", StatusField: "status_code", QuotaEdge: "content_publishing_limit",
	Exchange: "ig_exchange_token", Refresh: "ig_refresh_token", Lifetime: "long-lived tokens last 60 days; crieur refreshes them",
	User: func(user string) (string, error) {
		if !meta.ValidID(user) {
			return "", fmt.Errorf("instagram: setting user %q is not an Instagram account id (digits): set `--set user=ID`", user)
		}
		return user, nil
	},
	Wrap:    func(a *meta.Account) *Publisher { return &Publisher{a} },
	Metrics: []string{publishers.MetricLikes, publishers.MetricComments}}

func init() {
	network.Register(Provider, "image and carousel posts on an Instagram professional account (Instagram Graph API containers)",
		publishers.Field{Required: true, Help: "the Instagram professional account's id (IG user id: the user_id Instagram Login gives)"},
		New)
}

// Publisher posts as one Instagram account.
type Publisher struct{ *meta.Account }

// New builds an Instagram publisher; the token is read when a request is made.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	return network.Connect(cfg, Provider)
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
	// The map is made here, not at start-up: every command would pay for it.
	return append(probs, p.CheckImages(post.Media, maxImageBytes, map[string]bool{"image/jpeg": true}, "JPEG (only)")...)
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

// Preview shows the caption as Instagram receives it.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	text := caption(post)
	pv := publishers.Preview{Parts: []string{text}, Count: []int{publishers.CountRunes(text)}, Limit: maxCaption, Unit: "characters", Problems: p.Validate(post)}
	pv.Extra = p.PreviewNote(post.Media)
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
	// content_publishing_limit: 50 posts in a moving 24 hours; a carousel
	// counts as one.
	if err := p.CheckQuota(ctx, 1, 0); err != nil {
		return publishers.Result{}, err
	}
	text := caption(post)
	return p.PublishPart(ctx, post, 0, "",
		func(ctx context.Context) (string, error) { return p.container(ctx, text, post.Media) },
		func(ctx context.Context) (publishers.Result, bool, error) {
			return p.Flow.Lookup(ctx, "media", "caption", post.ScheduledAt, text, false)
		})
}

// container makes an image container with the caption, or a CAROUSEL of
// image items (is_carousel_item), each with its alt text (Content
// Publishing: alt_text on image containers, since March 2025).
func (p *Publisher) container(ctx context.Context, text string, media []publishers.Media) (string, error) {
	var form url.Values
	var err error
	if len(media) == 1 {
		form, err = p.Image(0, media[0], maxImageBytes, "", false)
	} else {
		form, err = p.Carousel(ctx, media, maxImageBytes, "")
	}
	if err != nil {
		return "", err
	}
	if text != "" {
		form.Set("caption", text)
	}
	return p.Flow.Create(ctx, form)
}

// Find tells whether an uncertain attempt published the post: its
// recorded container, when Instagram says it is PUBLISHED, or (none
// recorded) a post with its caption among the account's latest.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	if r, ok := meta.Live(post, 0); ok {
		return r, true, nil
	}
	if unpublished, err := p.Unpublished(ctx, post, 0); unpublished || err != nil {
		return publishers.Result{}, false, err
	}
	return p.Flow.Lookup(ctx, "media", "caption", post.ScheduledAt, caption(post), false)
}

// Check reads the account's username: the cheapest authenticated call.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	id, username, err := p.Me(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated on Instagram; posts as @%s (%s)", username, id), nil
}
