package meta

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediahost"
	"github.com/crieur/crieur/publishers/oauth"
)

// Containers describes a network that publishes through containers
// (Instagram, Threads): what its channels' settings, tokens and publishing
// share. Its publishers, of type P, are built on an Account.
type Containers[P publishers.Publisher] struct {
	Name, Display  string // "threads", "Threads"
	DefaultAPI     string // the Graph host
	DefaultVersion string
	// Edge, Publish and StatusField are the Flow's.
	Edge, Publish, StatusField string
	// Exchange and Refresh are the long-lived tokens' grant types
	// (LongLived).
	Exchange, Refresh string
	// Lifetime is what the login hint says of the tokens.
	Lifetime string
	// User reads the account to post as from the user setting (trimmed),
	// or says why it is not one.
	User func(user string) (string, error)
	// QuotaEdge is the account's publishing quota (GET /{user}/{QuotaEdge});
	// with ReplyQuota it counts replies apart.
	QuotaEdge  string
	ReplyQuota bool
	// Wrap makes the network's publisher of an account.
	Wrap func(*Account) P
	// Metrics are the numbers its publishers' Stats reads
	// (publishers.Network.Metrics).
	Metrics []string
	// StatsScope, when set, is the permission reading them needs beyond
	// publishing: a channel asks for it at login with stats=on
	// (SettingStats); without, it gives none.
	StatsScope string
}

// SettingUser is the setting naming a container network's account.
const SettingUser = "user"

// containerPoll are the waits between status reads of a container not yet
// FINISHED.
var containerPoll = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second}

// LoginHint says how to give channel a new token.
func (c *Containers[P]) LoginHint(channel string) string { return LoginHint(channel, c.Lifetime) }

// Provider completes p (the network's endpoints, scopes and console) as
// the network's OAuth service: long-lived tokens (LongLived).
func (c *Containers[P]) Provider(p oauth.Provider) oauth.Provider {
	if scope := c.StatsScope; scope != "" {
		extra := p.ExtraScopes
		p.ExtraScopes = func(settings map[string]string) []string {
			var out []string
			if extra != nil {
				out = extra(settings)
			}
			if on, _ := statsOn(c.Name, scope, settings); on {
				out = append(out, scope)
			}
			return out
		}
	}
	return LongLived{Name: c.Name, Display: c.Display, DefaultAPI: c.DefaultAPI,
		Exchange: c.Exchange, Refresh: c.Refresh, Hint: c.LoginHint}.Provider(p)
}

// Register registers the network's OAuth service p and its publishers:
// described by description, with the account setting user first, then the
// Graph API's, the media host's and p's; newPublisher is the network's
// New (Connect with p).
func (c *Containers[P]) Register(p oauth.Provider, description string, user publishers.Field,
	newPublisher func(publishers.Config) (publishers.Publisher, error)) {
	oauth.Register(p)
	user.Name = SettingUser
	var stats []publishers.Field
	if c.StatsScope != "" {
		stats = append(stats, statsField(c.Display, c.StatsScope))
	}
	publishers.Register(publishers.Network{
		Name:        c.Name,
		Description: description,
		Settings:    slices.Concat([]publishers.Field{user}, Fields(c.DefaultAPI, c.DefaultVersion), mediahost.Fields(c.Display), stats, p.Settings()),
		Metrics:     c.Metrics,
		NoStats: func(settings map[string]string) string {
			if c.StatsScope == "" {
				return ""
			}
			if on, _ := statsOn(c.Name, c.StatsScope, settings); !on {
				return fmt.Sprintf("%s gives a post's numbers only with the permission %s, which crieur asks for with stats=on", c.Display, c.StatsScope)
			}
			return ""
		},
		Secrets: p.Secrets(),
		// The container recorded before publishing, and else the account's
		// recent posts, tell whether an uncertain attempt went out.
		Safety: publishers.RetryLookup,
		New:    newPublisher,
		Offline: func(settings map[string]string) (publishers.Validator, error) {
			pub, err := c.Open(settings)
			if err != nil {
				return nil, err
			}
			return pub, nil
		},
	})
}

// Account is one channel's account on a container network: its Graph
// API, its container flow and its media host.
type Account struct {
	Graph *Graph
	Flow  *Flow
	Host  *mediahost.Host
	// display, quotaEdge and replyQuota are the network's (Containers).
	display, quotaEdge string
	replyQuota         bool
	// StatsScope is the network's (Containers); StatsOn says the channel
	// set stats=on to read numbers with it.
	StatsScope string
	StatsOn    bool
}

// Open reads a channel's settings into the network's publisher (no
// token, no client: Connect adds them).
func (c *Containers[P]) Open(settings map[string]string) (P, error) {
	a, err := c.open(settings)
	if err != nil {
		var none P
		return none, err
	}
	return c.Wrap(a), nil
}

func (c *Containers[P]) open(settings map[string]string) (*Account, error) {
	g, err := ReadSettings(c.Name, c.Display, settings, c.DefaultAPI, c.DefaultVersion)
	if err != nil {
		return nil, err
	}
	user, err := c.User(strings.TrimSpace(settings[SettingUser]))
	if err != nil {
		return nil, err
	}
	host, err := mediahost.FromSettings(c.Name, settings)
	if err != nil {
		return nil, err
	}
	on := false
	if c.StatsScope != "" {
		if on, err = statsOn(c.Name, c.StatsScope, settings); err != nil {
			return nil, err
		}
	}
	flow := &Flow{Graph: g, User: user, Edge: c.Edge, Publish: c.Publish, StatusField: c.StatusField, Poll: containerPoll}
	return &Account{Graph: g, Flow: flow, Host: host, display: c.Display, quotaEdge: c.QuotaEdge, replyQuota: c.ReplyQuota,
		StatsScope: c.StatsScope, StatsOn: on}, nil
}

// Connect builds the network's publisher of cfg's channel, on its OAuth
// session with p (the token is read when a request is made).
func (c *Containers[P]) Connect(cfg publishers.Config, p oauth.Provider) (publishers.Publisher, error) {
	a, err := c.open(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if err := a.Graph.Connect(cfg, p, c.LoginHint(cfg.Channel)); err != nil {
		return nil, err
	}
	return c.Wrap(a), nil
}

// CheckImages says what the network would refuse of media: each image as
// mediahost.CheckImage checks it, with its field (media[i]).
func (a *Account) CheckImages(media []publishers.Media, maxBytes int64, types map[string]bool, formats string) []publishers.Problem {
	var probs []publishers.Problem
	for i, m := range media {
		if msg := mediahost.CheckImage(a.Host, a.display, m.Path, maxBytes, types, formats); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// PreviewNote is what the preview says of media (mediahost.PreviewNote).
func (a *Account) PreviewNote(media []publishers.Media) string {
	return mediahost.PreviewNote(a.Host, a.display, media)
}

// Image is the form of an image container for media[i] (its URL from the
// media host, its alt text), of mediaType when set (Threads' IMAGE), a
// carousel's item when carousel.
func (a *Account) Image(i int, m publishers.Media, maxBytes int64, mediaType string, carousel bool) (url.Values, error) {
	u, err := a.Host.URL(m.Path, maxBytes)
	if err != nil {
		return nil, publishers.Within(err, fmt.Sprintf("media[%d]", i))
	}
	form := url.Values{"image_url": {u}}
	if mediaType != "" {
		form.Set("media_type", mediaType)
	}
	if carousel {
		form.Set("is_carousel_item", "true")
	}
	if alt := strings.TrimSpace(m.Alt); alt != "" {
		form.Set("alt_text", alt)
	}
	return form, nil
}

// Carousel makes media's image containers, each a carousel item (Image),
// and returns the form of the CAROUSEL container that holds them.
func (a *Account) Carousel(ctx context.Context, media []publishers.Media, maxBytes int64, mediaType string) (url.Values, error) {
	var children []string
	for i, m := range media {
		form, err := a.Image(i, m, maxBytes, mediaType, true)
		if err != nil {
			return nil, err
		}
		id, err := a.Flow.Create(ctx, form)
		if err != nil {
			return nil, publishers.Within(err, fmt.Sprintf("media[%d]", i))
		}
		children = append(children, id)
	}
	return url.Values{"media_type": {"CAROUSEL"}, "children": {strings.Join(children, ",")}}, nil
}

// PublishPart publishes part index of post (Flow.Part: create makes its
// container, published finds it when an earlier attempt's was published),
// reads its address when Meta did not give it, and reports it live
// (post.Confirm). An error of Part is within what within names, when set.
func (a *Account) PublishPart(ctx context.Context, post publishers.Post, index int, within string,
	create func(ctx context.Context) (string, error),
	published func(ctx context.Context) (publishers.Result, bool, error)) (publishers.Result, error) {
	res, err := a.Flow.Part(ctx, post, index, create, published)
	if err != nil {
		if within != "" {
			err = publishers.Within(err, within)
		}
		return publishers.Result{}, err
	}
	if res.RemoteURL == "" {
		res.RemoteURL = a.Flow.Permalink(ctx, res.RemoteID)
	}
	if err := post.Confirm(publishers.PartResult{Index: index, Result: res}); err != nil {
		return res, err
	}
	return res, nil
}

// Unpublished reports whether part index of post has a recorded container
// that Meta says was not published: the retry publishes it, no lookup can
// find it.
func (a *Account) Unpublished(ctx context.Context, post publishers.Post, index int) (bool, error) {
	id, ok := Recorded(post, index)
	if !ok {
		return false, nil
	}
	st, err := a.Flow.State(ctx, id)
	if err != nil {
		return false, err
	}
	return st.Status != StatusPublished, nil
}

// quotaConfig is a publishing quota's config: its total over a duration.
type quotaConfig struct {
	QuotaTotal    int `json:"quota_total"`
	QuotaDuration int `json:"quota_duration"` // seconds
}

func (c quotaConfig) quota(used int) Quota {
	return Quota{Used: used, Total: c.QuotaTotal, Duration: time.Duration(c.QuotaDuration) * time.Second}
}

// CheckQuota reads the account's publishing quota (QuotaEdge: quota_usage
// and config, with ReplyQuota reply_quota_usage and reply_config) and
// waits (Graph.QuotaWait) when posts more posts, or replies more replies,
// would exceed it.
func (a *Account) CheckQuota(ctx context.Context, posts, replies int) error {
	var out struct {
		Data []struct {
			QuotaUsage      int         `json:"quota_usage"`
			Config          quotaConfig `json:"config"`
			ReplyQuotaUsage int         `json:"reply_quota_usage"`
			ReplyConfig     quotaConfig `json:"reply_config"`
		} `json:"data"`
	}
	fields := "quota_usage,config"
	if a.replyQuota {
		fields += ",reply_quota_usage,reply_config"
	}
	if err := a.Graph.Get(ctx, a.Flow.User+"/"+a.quotaEdge, url.Values{"fields": {fields}}, &out); err != nil {
		return err
	}
	if len(out.Data) == 0 {
		return nil
	}
	d := out.Data[0]
	if why := d.Config.quota(d.QuotaUsage).Over(posts, "posts"); why != "" {
		return a.Graph.QuotaWait(why)
	}
	if !a.replyQuota {
		return nil
	}
	if why := d.ReplyConfig.quota(d.ReplyQuotaUsage).Over(replies, "replies"); why != "" {
		return a.Graph.QuotaWait(why)
	}
	return nil
}

// Me reads the account's id and username: the cheapest authenticated call.
func (a *Account) Me(ctx context.Context) (id, username string, err error) {
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	if err := a.Graph.Get(ctx, a.Flow.User, url.Values{"fields": {"id,username"}}, &me); err != nil {
		return "", "", err
	}
	return me.ID, me.Username, nil
}
