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
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediahost"
	"github.com/crieur/crieur/publishers/meta"
	"github.com/crieur/crieur/publishers/oauth"
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
	settingUser   = "user"
)

// imageTypes are the image formats Threads fetches (Media
// specifications: JPEG and PNG).
var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true}

func init() {
	oauth.Register(Provider)
	publishers.Register(publishers.Network{
		Name:        "threads",
		Description: "posts and threads on Threads, with images and carousels (Threads API containers)",
		Settings: slices.Concat([]publishers.Field{
			{Name: settingUser, Default: "me", Help: "the Threads user id to post as (default: the token's user)"},
		}, meta.Fields(defaultAPI, defaultVersion), mediahost.Fields("Threads"), Provider.Settings()),
		Secrets: Provider.Secrets(),
		// The container recorded before publishing, and else the account's
		// recent posts, tell whether an uncertain attempt went out.
		Safety:  publishers.RetryLookup,
		New:     New,
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
	})
}

// Publisher posts as one Threads user.
type Publisher struct {
	user  string
	graph *meta.Graph
	flow  *meta.Flow
	host  *mediahost.Host
}

// New builds a Threads publisher; the token is read when a request is made.
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
	g, err := meta.ReadSettings("threads", "Threads", settings, defaultAPI, defaultVersion)
	if err != nil {
		return nil, err
	}
	user := strings.TrimSpace(settings[settingUser])
	if user == "" {
		user = "me"
	}
	if user != "me" && !meta.ValidID(user) {
		return nil, fmt.Errorf("threads: setting user %q is not a Threads user id (digits) or me", user)
	}
	host, err := mediahost.FromSettings("threads", settings)
	if err != nil {
		return nil, err
	}
	flow := &meta.Flow{Graph: g, User: user, Edge: "threads", Publish: "threads_publish", StatusField: "status",
		Poll: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}}
	return &Publisher{user: user, graph: g, flow: flow, host: host}, nil
}

func loginHint(channel string) string {
	return meta.LoginHint(channel, "Threads long-lived tokens last 60 days")
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
	for i, m := range post.Media {
		if msg := p.checkImage(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

func (p *Publisher) checkImage(path string) string {
	return mediahost.CheckImage(p.host, "Threads", path, maxImageBytes, imageTypes, "JPEG or PNG")
}

// Preview shows the thread as Threads receives it.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	ps := parts(post)
	pv := publishers.Preview{Parts: ps, Limit: maxChars, Unit: rules.Unit, Problems: p.Validate(post)}
	for _, s := range ps {
		pv.Count = append(pv.Count, Count(s))
	}
	pv.Extra = mediahost.PreviewNote(p.host, "Threads", post.Media)
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
	if err := p.checkQuota(ctx, next, len(ps)); err != nil {
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
		res, err := p.flow.Part(ctx, post, i,
			func(ctx context.Context) (string, error) { return p.container(ctx, text, media, replyTo) },
			func(ctx context.Context) (publishers.Result, bool, error) { return p.lookup(ctx, post, i, text) })
		if err != nil {
			if i > 0 {
				err = publishers.Within(err, fmt.Sprintf("thread part %d of %d", i+1, len(ps)))
			}
			return first, err
		}
		if res.RemoteURL == "" {
			res.RemoteURL = p.flow.Permalink(ctx, res.RemoteID)
		}
		if err := post.Confirm(publishers.PartResult{Index: i, Result: res}); err != nil {
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
		u, err := p.host.URL(media[0].Path, maxImageBytes)
		if err != nil {
			return "", publishers.Within(err, "media[0]")
		}
		form.Set("media_type", "IMAGE")
		form.Set("image_url", u)
		if alt := strings.TrimSpace(media[0].Alt); alt != "" {
			form.Set("alt_text", alt)
		}
	default:
		var children []string
		for i, m := range media {
			u, err := p.host.URL(m.Path, maxImageBytes)
			if err != nil {
				return "", publishers.Within(err, fmt.Sprintf("media[%d]", i))
			}
			item := url.Values{"media_type": {"IMAGE"}, "image_url": {u}, "is_carousel_item": {"true"}}
			if alt := strings.TrimSpace(m.Alt); alt != "" {
				item.Set("alt_text", alt)
			}
			id, err := p.flow.Create(ctx, item)
			if err != nil {
				return "", publishers.Within(err, fmt.Sprintf("media[%d]", i))
			}
			children = append(children, id)
		}
		form.Set("media_type", "CAROUSEL")
		form.Set("children", strings.Join(children, ","))
	}
	return p.flow.Create(ctx, form)
}

// checkQuota reads threads_publishing_limit (Threads › Overview › Rate
// limiting: 250 posts and 1,000 replies in a moving 24 hours) and waits
// when the parts still to post, from next, would exceed either.
func (p *Publisher) checkQuota(ctx context.Context, next, total int) error {
	var out struct {
		Data []struct {
			QuotaUsage      int         `json:"quota_usage"`
			Config          quotaConfig `json:"config"`
			ReplyQuotaUsage int         `json:"reply_quota_usage"`
			ReplyConfig     quotaConfig `json:"reply_config"`
		} `json:"data"`
	}
	q := url.Values{"fields": {"quota_usage,config,reply_quota_usage,reply_config"}}
	if err := p.graph.Get(ctx, p.user+"/threads_publishing_limit", q, &out); err != nil {
		return err
	}
	if len(out.Data) == 0 {
		return nil
	}
	d := out.Data[0]
	posts, replies := 0, total-next
	if next == 0 {
		posts, replies = 1, total-1
	}
	if why := d.Config.quota(d.QuotaUsage).Over(posts, "posts"); why != "" {
		return p.graph.QuotaWait(why)
	}
	if why := d.ReplyConfig.quota(d.ReplyQuotaUsage).Over(replies, "replies"); why != "" {
		return p.graph.QuotaWait(why)
	}
	return nil
}

type quotaConfig struct {
	QuotaTotal    int `json:"quota_total"`
	QuotaDuration int `json:"quota_duration"` // seconds
}

func (c quotaConfig) quota(used int) meta.Quota {
	return meta.Quota{Used: used, Total: c.QuotaTotal, Duration: time.Duration(c.QuotaDuration) * time.Second}
}

// Check reads the token's user: the cheapest authenticated call.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := p.graph.Get(ctx, p.user, url.Values{"fields": {"id,username"}}, &me); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated on Threads as @%s (%s)", me.Username, me.ID), nil
}
