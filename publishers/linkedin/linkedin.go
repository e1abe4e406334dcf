// Package linkedin publishes posts on LinkedIn, as a member (a person) or
// as an organization's page, through the Community Management API's Posts
// API (Microsoft Learn: LinkedIn Marketing › Community Management › Shares ›
// Posts API), with images (Images API) and link cards (article content).
//
// The commentary is sent in LinkedIn's "little" text format (little.go):
// every reserved character escaped, hashtags and mentions as its templates.
// LinkedIn answers a repeated commentary with 422 DUPLICATE_POST naming the
// post it already has: after a lost reply, that post is the delivery's.
package linkedin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
)

const (
	defaultAPI = "https://api.linkedin.com"
	// defaultVersion is the LinkedIn-Version sent when the channel sets
	// none. LinkedIn keeps each monthly version for at least a year; set
	// `version` to a newer one when it sunsets this one.
	defaultVersion = "202610"
	// maxChars is the most characters of commentary a post takes.
	maxChars = 3000
	// maxImages is the most images of a multi-image post (Posts API,
	// MultiImage content: 2 to 20 images).
	maxImages = 20
	// maxAlt is the most characters of an image's alternative text (Posts
	// API, media content altText).
	maxAlt = 4086
)

// Settings' names.
const (
	settingAuthor  = "author"
	settingVersion = "version"
	settingAPI     = "api"
	settingUpload  = "upload"
	settingBackoff = "rate_limit_backoff"
	settingLookup  = "lookup"
)

func init() {
	oauth.Register(oauth.LinkedIn)
	publishers.Register(publishers.Network{
		Name:        "linkedin",
		Description: "posts on a LinkedIn member's feed or an organization's page, with images and link cards (Posts API)",
		Settings: append([]publishers.Field{
			{Name: settingAuthor, Help: "who posts: urn:li:person:ID or urn:li:organization:ID (default: the member whose token it is, read from /v2/userinfo)"},
			{Name: settingVersion, Default: defaultVersion, Help: "the LinkedIn-Version (YYYYMM) of the API to speak"},
			{Name: settingAPI, Default: defaultAPI, Kind: publishers.URL, Help: "the API's base URL"},
			{Name: settingUpload, Kind: publishers.URL, Help: "a host, besides LinkedIn's own (*.linkedin.com), that image uploads may be sent to with the token"},
			{Name: settingBackoff, Help: "how long to wait after LinkedIn's 429 (e.g. 1h; default: until the next midnight UTC, when its daily limits reset)"},
			{Name: settingStats, Default: "off", Help: "read each post's reactions and comments for reports: on or off; on asks at login for r_organization_social (a page) or r_member_social (a member, which LinkedIn restricts)"},
			{Name: settingLookup, Default: "auto", Help: "look an uncertain attempt's post up among the author's posts before a retry: auto (organizations: their pages may read their posts), true (a member whose app has r_member_social), false"},
			publishers.InsecureHTTP,
		}, oauth.LinkedIn.Settings()...),
		// None is required when the channel is added: `crieur channel
		// login NAME` obtains the tokens (scopes w_member_social, or
		// w_organization_social for a page).
		Secrets: oauth.LinkedIn.Secrets(),
		// A lookup among the author's posts where the token may read them
		// (lookup), else a person decides. Either way a retry is guarded by
		// LinkedIn itself: it refuses a repeated commentary as a duplicate
		// and names the post it has, which is recorded.
		Safety:  publishers.RetryLookup,
		New:     New,
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
		Metrics: []string{publishers.MetricReactions, publishers.MetricComments},
		NoStats: func(settings map[string]string) string {
			if on, _ := statsOn(settings); !on {
				return "LinkedIn gives a post's numbers only with a read scope crieur asks for with stats=on (r_organization_social for a page, r_member_social for a member)"
			}
			return ""
		},
	})
}

// Publisher posts as one author.
type Publisher struct {
	channel string
	api     string // base URL, no trailing slash
	upload  *url.URL
	version string
	backoff time.Duration // 0: until the next midnight UTC
	lookup  bool
	stats   bool // stats=on: the channel reads its posts' numbers

	sess   *oauth.Session // the channel's OAuth token
	client *http.Client
	now    func() time.Time

	mu     sync.Mutex
	author string // the author's URN: set, or read from /v2/userinfo once
}

// finding is a Publisher that may look its posts up (Finder).
type finding struct{ *Publisher }

// New builds a LinkedIn publisher from the channel's settings; the access
// token is read when a request is made (see do), so a channel added before
// `crieur channel login` builds.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.channel = cfg.Channel
	if p.sess, err = oauth.NewSession(oauth.LinkedIn, cfg); err != nil {
		return nil, fmt.Errorf("linkedin: %w", err)
	}
	p.client, p.now = cfg.Client(), cfg.Clock
	if p.lookup {
		return finding{p}, nil
	}
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// token and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	p := &Publisher{version: defaultVersion, api: defaultAPI, now: time.Now}
	if v := strings.TrimSpace(settings[settingVersion]); v != "" {
		if !validVersion(v) {
			return nil, fmt.Errorf("linkedin: setting version %q is not a LinkedIn-Version like %s (YYYYMM)", v, defaultVersion)
		}
		p.version = v
	}
	if a := strings.TrimSpace(settings[settingAuthor]); a != "" {
		if !strings.HasPrefix(a, personPrefix) && !strings.HasPrefix(a, orgPrefix) || !validID(a[strings.LastIndexByte(a, ':')+1:]) {
			return nil, fmt.Errorf("linkedin: setting author %q is not urn:li:person:ID or urn:li:organization:ID", a)
		}
		p.author = a
	}
	if v := strings.TrimRight(strings.TrimSpace(settings[settingAPI]), "/"); v != "" {
		u, ok := publishers.HTTPURL(v)
		if !ok {
			return nil, fmt.Errorf("linkedin: setting api %q is not a URL like %s", v, defaultAPI)
		}
		if err := publishers.CheckHTTPS("linkedin: setting api", u, settings); err != nil {
			return nil, err
		}
		p.api = v
	} else if err := publishers.CheckHTTPS("linkedin", nil, settings); err != nil {
		return nil, err // a bad insecure_http
	}
	if v := strings.TrimSpace(settings[settingUpload]); v != "" {
		u, ok := publishers.HTTPURL(v)
		if !ok {
			return nil, fmt.Errorf("linkedin: setting upload %q is not a URL like https://upload.example", v)
		}
		if err := publishers.CheckHTTPS("linkedin: setting upload", u, settings); err != nil {
			return nil, err
		}
		p.upload = u
	}
	if v := strings.TrimSpace(settings[settingBackoff]); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("linkedin: setting rate_limit_backoff %q is not a duration like 1h or 30m", v)
		}
		p.backoff = d
	}
	switch v := strings.ToLower(strings.TrimSpace(settings[settingLookup])); v {
	case "", "auto":
		p.lookup = strings.HasPrefix(p.author, orgPrefix)
	case "true", "false":
		p.lookup = v == "true"
	default:
		return nil, fmt.Errorf("linkedin: setting lookup %q is not auto, true or false", v)
	}
	stats, err := statsOn(settings)
	if err != nil {
		return nil, err
	}
	p.stats = stats
	return p, nil
}

const (
	personPrefix = "urn:li:person:"
	orgPrefix    = "urn:li:organization:"
)

func validVersion(v string) bool {
	if len(v) != 6 {
		return false
	}
	_, err := time.Parse("200601", v)
	return err == nil
}

func validID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// text is the post's text as one commentary: LinkedIn has no threads, so
// explicit thread parts follow as paragraphs. The link is added at the end
// when the post carries images (its card is then not shown); a post
// without images shows it as a link card instead.
func text(post publishers.Post) string { return publishers.Paragraphs(post) }

// Validate checks the post against LinkedIn's rules; it never calls it.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	body := text(post)
	if body == "" && len(post.Media) == 0 && strings.TrimSpace(post.Link) == "" {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a LinkedIn post needs text, an image or a link"})
	}
	if n := publishers.CountRunes(visible(body)); n > maxChars {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("%d/%d characters: %d over the limit (LinkedIn has no threads; shorten it)", n, maxChars, n-maxChars)})
	}
	if link := strings.TrimSpace(post.Link); link != "" && len(post.Media) == 0 {
		if _, ok := publishers.HTTPURL(link); !ok {
			probs = append(probs, publishers.Problem{Field: "link", Message: fmt.Sprintf("%q is not an http(s) URL for a link card", link)})
		}
	}
	if len(post.Media) > maxImages {
		probs = append(probs, publishers.Problem{Field: "media", Message: fmt.Sprintf("%d images, LinkedIn takes %d per post", len(post.Media), maxImages)})
	}
	for i, m := range post.Media {
		field := fmt.Sprintf("media[%d]", i)
		if n := publishers.CountRunes(m.Alt); n > maxAlt {
			probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("alt text is %d characters, LinkedIn takes %d", n, maxAlt)})
		}
		if msg := checkImage(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: field, Message: msg})
		}
	}
	return probs
}

// Preview shows the text as LinkedIn shows it, counted against its limit,
// and (Extra) the commentary as sent, in the little format.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	body := text(post)
	shown := visible(body)
	pv := publishers.Preview{Parts: []string{shown}, Count: []int{publishers.CountRunes(shown)}, Limit: maxChars, Unit: "characters", Problems: p.Validate(post)}
	pv.Extra = "commentary: " + commentary(body)
	if link := strings.TrimSpace(post.Link); link != "" && len(post.Media) == 0 {
		pv.Extra += "\nlink card: " + link
	}
	return pv
}

// Publish uploads the images, then creates the post. A 422 DUPLICATE_POST
// (the same commentary as a post LinkedIn has, made by an earlier attempt
// whose reply was lost) returns that post.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	author, err := p.authorURN(ctx)
	if err != nil {
		return publishers.Result{}, err
	}
	body := postRequest{
		Author:     author,
		Commentary: commentary(text(post)),
		Visibility: "PUBLIC",
		Distribution: distribution{
			FeedDistribution:               "MAIN_FEED",
			TargetEntities:                 []any{},
			ThirdPartyDistributionChannels: []any{},
		},
		LifecycleState: "PUBLISHED",
	}
	var images []mediaRef
	for i, m := range post.Media {
		id, err := p.uploadImage(ctx, author, m.Path)
		if err != nil {
			return publishers.Result{}, prefix(err, fmt.Sprintf("media[%d]", i))
		}
		images = append(images, mediaRef{ID: id, AltText: m.Alt})
	}
	switch {
	case len(images) == 1:
		body.Content = &content{Media: &images[0]}
	case len(images) > 1:
		body.Content = &content{MultiImage: &multiImage{Images: images}}
	case strings.TrimSpace(post.Link) != "":
		title := strings.TrimSpace(post.Title)
		if title == "" {
			title = strings.TrimSpace(post.Link)
		}
		body.Content = &content{Article: &article{Source: strings.TrimSpace(post.Link), Title: title, Description: strings.TrimSpace(post.Excerpt)}}
	}
	urn, err := p.createPost(ctx, body)
	if err != nil {
		var dup *duplicateError
		if !errors.As(err, &dup) {
			return publishers.Result{}, err
		}
		if !post.ScheduledAt.IsZero() && dup.before(post.ScheduledAt.Add(-findWindow)) {
			return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Status: dup.status, Message: fmt.Sprintf(
				"LinkedIn refused the post as a duplicate of an earlier one, %s, made before this post was due: change its text to post it again", postURL(dup.urn))}
		}
		urn = dup.urn
	}
	res := publishers.Result{RemoteID: urn, RemoteURL: postURL(urn), PublishedAt: p.now()}
	if err := post.Confirm(publishers.PartResult{Index: 0, Result: res}); err != nil {
		return res, err
	}
	return res, nil
}

// postURL is where a post is seen: its URN in the feed's update page (the
// address LinkedIn itself gives for a post URN).
func postURL(urn string) string {
	return "https://www.linkedin.com/feed/update/" + urn + "/"
}

// Check makes the cheapest authenticated read the channel's scopes allow:
// for a page, its latest post (Posts API, find by author, which the
// Community Management API's r_organization_social allows); for a member,
// whose token it is (/v2/userinfo, the OpenID Connect profile).
func (p *Publisher) Check(ctx context.Context) (string, error) {
	if author := p.currentAuthor(); strings.HasPrefix(author, orgPrefix) {
		h := http.Header{}
		p.restli(h)
		h.Set("X-RestLi-Method", "FINDER")
		q := url.Values{"q": {"author"}, "author": {author}, "count": {"1"}}
		if _, err := p.do(ctx, http.MethodGet, p.api+"/rest/posts?"+q.Encode(), nil, h, nil); err != nil {
			return "", err
		}
		return fmt.Sprintf("authenticated on LinkedIn; posts as the page %s", author), nil
	}
	var info userinfo
	if _, err := p.do(ctx, http.MethodGet, p.api+"/v2/userinfo", nil, nil, &info); err != nil {
		return "", err
	}
	who := strings.TrimSpace(info.Name)
	if who == "" {
		who = personPrefix + info.Sub
	}
	author := p.currentAuthor()
	if author == "" && info.Sub != "" {
		author = personPrefix + info.Sub
	}
	return fmt.Sprintf("authenticated as %s on LinkedIn; posts as %s", who, author), nil
}

// prefix says where in a multi-step publish an error happened, keeping its class.
func prefix(err error, where string) error { return publishers.Within(err, where) }
