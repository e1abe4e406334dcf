// Package threads publishes posts on Threads through the Threads API
// (developers.facebook.com › Threads › Posts, Reply Management,
// Troubleshooting): each post is a media container (TEXT, IMAGE, or a
// CAROUSEL of IMAGE items) made with POST /{user}/threads, then published
// with POST /{user}/threads_publish; a thread's later parts are replies
// (reply_to_id) to the part before.
//
// Crash safety: each container's id is recorded through the part
// recorder (Post.Confirm, a part with the container in its Ref and no
// remote id) before it is published, so the next attempt reads its status
// instead of making a second post: FINISHED is published, PUBLISHED is
// looked up among the account's posts, EXPIRED or ERROR make a new one.
//
// Images are fetched by Meta from a public URL: local files go through
// the channel's media host (publishers/mediahost).
package threads

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

const (
	defaultAPI     = "https://graph.threads.net"
	defaultVersion = "v1.0"
	// maxChars is a post's text limit (Threads › Posts › Limitations: 500
	// characters, an emoji counting as its UTF-8 bytes).
	maxChars = 500
	// maxCarousel is the most items of a carousel (Threads › Posts ›
	// Carousel posts: up to 20 images and videos).
	maxCarousel = 20
	// maxLinks is the most links a post may hold (Threads › Text
	// attachments: more than 5 links fail at the container step).
	maxLinks = 5
	// maxImageBytes is Threads' image size limit (Posts › Media
	// specifications: 8 MB).
	maxImageBytes = 8 << 20
)

// imageTypes are the image formats Threads fetches (Media
// specifications: JPEG and PNG).
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true}

// network is Threads' container publishing (Threads › Posts) and its
// long-lived tokens (th_exchange_token, 60 days, refreshed with
// th_refresh_token once a day old: Threads › Get started › Long-lived
// tokens).
var network = &meta.Containers[*Publisher]{Name: "threads", Display: "Threads", DefaultAPI: defaultAPI, DefaultVersion: defaultVersion,
	Edge: "threads", Publish: "threads_publish", StatusField: "status", QuotaEdge: "threads_publishing_limit", ReplyQuota: true,
	Exchange: "th_exchange_token", Refresh: "th_refresh_token", Lifetime: "Threads long-lived tokens last 60 days",
	User: func(user string) (string, error) {
		if user == "" {
			user = "me"
		}
		if user != "me" && !meta.ValidID(user) {
			return "", fmt.Errorf("threads: setting user %q is not a Threads user id (digits) or me", user)
		}
		return user, nil
	},
	Wrap: func(a *meta.Account) *Publisher { return &Publisher{a} },
	// Stats reads the Threads Insights API, which needs a permission of its
	// own: a channel asks for it with stats=on.
	Metrics:    []string{publishers.MetricReplies, publishers.MetricReposts, publishers.MetricLikes, publishers.MetricQuotes, publishers.MetricViews},
	StatsScope: insightsScope}

func init() {
	network.Register(Provider, "posts and threads on Threads, with images and carousels (Threads API containers)",
		publishers.Field{Default: "me", Help: "the Threads user id to post as (default: the token's user)"},
		New)
}

// Publisher posts as one Threads user.
type Publisher struct{ *meta.Account }

// New builds a Threads publisher; the token is read when a request is made.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	return network.Connect(cfg, Provider)
}

// Count counts a text as Threads does: characters, an emoji counting as
// its UTF-8 bytes (Threads › Posts › Limitations).
func Count(s string) int {
	n := 0
	for _, r := range s {
		if isEmoji(r) {
			n += utf8.RuneLen(r)
		} else {
			n++
		}
	}
	return n
}

// isEmoji tells the pictographs and their modifiers from other symbols.
func isEmoji(r rune) bool {
	return r >= 0x1F000 && r <= 0x1FAFF || r >= 0x2600 && r <= 0x27BF || r == 0xFE0F || r == 0x200D || unicode.Is(unicode.Sk, r) && r >= 0x1F3FB
}

var rules = publishers.Rules{Limit: maxChars, Unit: "characters", Count: Count}

// parts is the thread a post becomes: its text with its link, cut to fit
// when the author allowed a thread, then its explicit parts.
func parts(post publishers.Post) []string {
	var out []string
	if text := publishers.WithLink(strings.TrimSpace(post.Text), post.Link); strings.TrimSpace(text) != "" {
		if post.AutoThread {
			out = publishers.Split(text, rules, true)
		} else {
			out = []string{text}
		}
	}
	for _, t := range post.Thread {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	if len(out) == 0 && len(post.Media) > 0 {
		out = []string{""} // images without text
	}
	return out
}

// TextThread says how many posts the text becomes.
func (p *Publisher) TextThread(post publishers.Post) (posts, length, limit int, unit string) {
	text := publishers.WithLink(strings.TrimSpace(post.Text), post.Link)
	if text == "" || rules.Fits(text) {
		return 1, 0, maxChars, rules.Unit
	}
	return len(publishers.Split(text, rules, true)), Count(text), maxChars, rules.Unit
}

// Validate checks the post against Threads' rules; it never calls it.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	ps := parts(post)
	if len(ps) == 0 {
		return []publishers.Problem{{Field: "text", Message: "a Threads post needs text or an image"}}
	}
	for i, s := range ps {
		field := "text"
		if i > 0 {
			field = fmt.Sprintf("thread[%d]", i-1)
		}
		if i == 0 && !post.AutoThread && len(post.Thread) == 0 {
			continue // CheckThreading says it, with the way out
		}
		probs = append(probs, rules.Check(field, s)...)
		if n := len(publishers.URLs(s)); n > maxLinks {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("%d links, Threads takes %d per post", n, maxLinks)})
		}
	}
	if len(post.Media) > maxCarousel {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d images, a Threads carousel takes %d", len(post.Media), maxCarousel)})
	}
	return append(probs, p.CheckImages(post.Media, maxImageBytes, imageTypes, "JPEG or PNG")...)
}

// Preview shows the thread as Threads receives it.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	ps := parts(post)
	pv := publishers.Preview{Parts: ps, Limit: maxChars, Unit: rules.Unit, Problems: p.Validate(post)}
	for _, s := range ps {
		pv.Count = append(pv.Count, Count(s))
	}
	pv.Extra = p.PreviewNote(post.Media)
	return pv
}

// Publish checks the quota, then publishes each part not yet live: the
// first with the images, the others as replies to the part before.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := append(p.Validate(post), publishers.CheckThreading(p, post)...); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	ps := parts(post)
	next, live := post.Resume()
	if next >= len(ps) {
		return live[0].Result, nil
	}
	// threads_publishing_limit (Threads › Overview › Rate limiting: 250
	// posts and 1,000 replies in a moving 24 hours): the parts still to
	// post, from next, must fit both.
	posts, replies := 0, len(ps)-next
	if next == 0 {
		posts, replies = 1, len(ps)-1
	}
	if err := p.CheckQuota(ctx, posts, replies); err != nil {
		return publishers.Result{}, err
	}
	var first publishers.Result
	if len(live) > 0 {
		first = live[0].Result
	}
	prev := ""
	if len(live) > 0 {
		prev = live[len(live)-1].RemoteID
	}
	for i := next; i < len(ps); i++ {
		text, replyTo := ps[i], prev
		var media []publishers.Media
		if i == 0 {
			media = post.Media
		}
		within := ""
		if i > 0 {
			within = fmt.Sprintf("thread part %d of %d", i+1, len(ps))
		}
		res, err := p.PublishPart(ctx, post, i, within,
			func(ctx context.Context) (string, error) { return p.container(ctx, text, media, replyTo) },
			func(ctx context.Context) (publishers.Result, bool, error) { return p.lookup(ctx, post, i, text) })
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = res
		}
		prev = res.RemoteID
	}
	return first, nil
}

// container makes the container of one post: TEXT, IMAGE, or a CAROUSEL
// of IMAGE items made first (is_carousel_item), each with its alt text
// (Threads › Posts › Accessibility: alt_text on image containers).
func (p *Publisher) container(ctx context.Context, text string, media []publishers.Media, replyTo string) (string, error) {
	form := url.Values{}
	if text != "" {
		form.Set("text", text)
	}
	if replyTo != "" {
		form.Set("reply_to_id", replyTo)
	}
	switch len(media) {
	case 0:
		form.Set("media_type", "TEXT")
	case 1:
		image, err := p.Image(0, media[0], maxImageBytes, "IMAGE", false)
		if err != nil {
			return "", err
		}
		maps.Copy(form, image)
	default:
		carousel, err := p.Carousel(ctx, media, maxImageBytes, "IMAGE")
		if err != nil {
			return "", err
		}
		maps.Copy(form, carousel)
	}
	return p.Flow.Create(ctx, form)
}

// Check reads the token's user: the cheapest authenticated call.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	id, username, err := p.Me(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated on Threads as @%s (%s)", username, id), nil
}
