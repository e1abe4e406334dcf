// Package facebook publishes posts on a Facebook Page through the Graph
// API's Pages endpoints (Graph API reference › Page › Feed and Page ›
// Photos; Pages API › Posts): a text with its link as the Page's feed post,
// photos uploaded unpublished and attached to one feed post
// (attached_media). Facebook has no threads: thread parts follow as
// paragraphs. Before a retry after a lost reply, the post is looked up among
// the Page's posts since the delivery was due (Find).
package facebook

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/mediatype"
	"github.com/crieur/crieur/publishers/meta"
	"github.com/crieur/crieur/publishers/oauth"
)

const (
	defaultAPI = "https://graph.facebook.com"
	// defaultVersion is the Graph API version called when the channel sets
	// none; set `version` when Meta retires it.
	defaultVersion = "v25.0"
	// maxChars is the most characters of a Facebook post's message.
	maxChars = 63206
	// maxImageBytes is the Page Photos upload's size limit (Graph API
	// reference › Page › Photos: photos up to 4 MB; PNG best under 1 MB).
	maxImageBytes = 4 << 20
	settingPage   = "page"
)

// imageTypes are the formats Page Photos takes: JPEG, BMP, PNG, GIF, TIFF.
var imageTypes = map[string]bool{"image/jpeg": true, "image/bmp": true, "image/png": true, "image/gif": true, "image/tiff": true}

func init() {
	oauth.Register(Provider)
	publishers.Register(publishers.Network{
		Name:        "facebook",
		Description: "posts on a Facebook Page, with photos and links (Graph API, Page feed)",
		Settings: slices.Concat([]publishers.Field{
			{Name: settingPage, Required: true, Help: "the Page's id (a number: the Page's About › Page transparency, or `crieur channel login` lists them)"},
		}, meta.Fields(defaultAPI, defaultVersion), Provider.Settings()),
		Secrets: Provider.Secrets(),
		// Before a retry the Page's posts since the delivery was due are
		// read; the post found there is the earlier attempt's.
		Safety:  publishers.RetryLookup,
		New:     New,
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
		// Stats reads them with the Page token (pages_read_engagement).
		Metrics: []string{publishers.MetricReactions, publishers.MetricComments, publishers.MetricReposts},
	})
}

// Publisher posts as one Page.
type Publisher struct {
	page  string
	graph *meta.Graph
	now   func() time.Time
}

// New builds a Facebook Page publisher; the Page token is read when a
// request is made, so a channel added before its login builds.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	if err := p.graph.Connect(cfg, Provider, loginHint(cfg.Channel)); err != nil {
		return nil, err
	}
	p.now = cfg.Clock
	return p, nil
}

func fromSettings(settings map[string]string) (*Publisher, error) {
	g, err := meta.ReadSettings("facebook", "Facebook", settings, defaultAPI, defaultVersion)
	if err != nil {
		return nil, err
	}
	page := strings.TrimSpace(settings[settingPage])
	if !meta.ValidID(page) {
		return nil, fmt.Errorf("facebook: setting page %q is not a Page id (digits): set `--set page=ID`", page)
	}
	return &Publisher{page: page, graph: g, now: time.Now}, nil
}

func loginHint(channel string) string {
	return meta.LoginHint(channel, "or store a new Page access token with `crieur channel edit NAME --secret access_token=…`")
}

// message is the post's text: explicit thread parts follow as paragraphs;
// with photos the link is written into the text (the post shows the
// photos, not a link preview).
func message(post publishers.Post) string { return publishers.Paragraphs(post) }

// Validate checks the post against Facebook's rules; it never calls it.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	msg := message(post)
	if msg == "" && len(post.Media) == 0 && strings.TrimSpace(post.Link) == "" {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a Facebook post needs text, a photo or a link"})
	}
	if n := publishers.CountRunes(msg); n > maxChars {
		probs = append(probs, publishers.Problem{Field: "text", Message: fmt.Sprintf("%d/%d characters: %d over the limit (Facebook has no threads; shorten it)", n, maxChars, n-maxChars)})
	}
	if link := strings.TrimSpace(post.Link); link != "" {
		if _, ok := publishers.HTTPURL(link); !ok {
			probs = append(probs, publishers.Problem{Field: "link", Message: fmt.Sprintf("%q is not an http(s) URL", link)})
		}
	}
	for i, m := range post.Media {
		if msg := checkImage(m.Path); msg != "" {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		}
	}
	return probs
}

// checkImage says why Facebook would refuse the photo at path, or "". An
// https URL is passed to Facebook, which fetches it.
func checkImage(path string) string {
	if u, ok := publishers.HTTPURL(path); ok {
		if u.Scheme != "https" {
			return path + ": Facebook fetches photos from https URLs only"
		}
		return ""
	}
	return publishers.CheckImageFile("Facebook", path, maxImageBytes, imageTypes, "JPEG, PNG, GIF, BMP or TIFF")
}

// Preview shows the message as Facebook shows it, and what becomes of the
// link and of alt text.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	msg := message(post)
	pv := publishers.Preview{Parts: []string{msg}, Count: []int{publishers.CountRunes(msg)}, Limit: maxChars, Unit: "characters", Problems: p.Validate(post)}
	var extra []string
	if link := strings.TrimSpace(post.Link); link != "" && len(post.Media) == 0 {
		extra = append(extra, "link preview: "+link)
	}
	for _, m := range post.Media {
		if strings.TrimSpace(m.Alt) != "" {
			// Graph API reference › Page › Photos documents no alt text
			// parameter: Facebook writes its own.
			extra = append(extra, "alt text is not sent: the Pages API takes none (Facebook generates alt text for photos)")
			break
		}
	}
	pv.Extra = strings.Join(extra, "\n")
	return pv
}

// created is the Graph API's answer to a POST that makes a node.
type created struct {
	ID     string `json:"id"`
	PostID string `json:"post_id"`
}

// Publish uploads the photos unpublished, then makes one feed post with
// the message, the link (when there are no photos) and the photos as
// attached_media (Pages API › Posts › Publish a multi-photo post).
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Invalid(probs)
	}
	form := url.Values{}
	if msg := message(post); msg != "" {
		form.Set("message", msg)
	}
	if link := strings.TrimSpace(post.Link); link != "" && len(post.Media) == 0 {
		form.Set("link", link)
	}
	for i, m := range post.Media {
		id, err := p.uploadPhoto(ctx, m.Path)
		if err != nil {
			return publishers.Result{}, prefix(err, fmt.Sprintf("media[%d]", i))
		}
		ref, _ := json.Marshal(map[string]string{"media_fbid": id})
		form.Set(fmt.Sprintf("attached_media[%d]", i), string(ref))
	}
	var out created
	if err := p.graph.Post(ctx, p.page+"/feed", form, &out); err != nil {
		return publishers.Result{}, err
	}
	if out.ID == "" {
		// Made, maybe: a retry looks it up first.
		return publishers.Result{}, &publishers.Error{Class: publishers.Transient, Message: "Facebook answered without the new post's id"}
	}
	res := publishers.Result{RemoteID: out.ID, RemoteURL: postURL(out.ID), PublishedAt: p.now()}
	if err := post.Confirm(publishers.PartResult{Index: 0, Result: res}); err != nil {
		return res, err
	}
	return res, nil
}

// uploadPhoto adds a photo to the Page without publishing it (published
// false: it appears only in the post it is attached to) and returns its id.
// A local file is uploaded as source; an https URL is given as url, which
// Facebook fetches.
func (p *Publisher) uploadPhoto(ctx context.Context, path string) (string, error) {
	form := url.Values{"published": {"false"}}
	var out created
	if u, ok := publishers.HTTPURL(path); ok && u != nil {
		form.Set("url", path)
		if err := p.graph.Post(ctx, p.page+"/photos", form, &out); err != nil {
			return "", err
		}
	} else {
		data, err := safefile.ReadFile(path, maxImageBytes)
		if err != nil {
			return "", &publishers.Error{Class: publishers.Permanent, Message: "cannot read " + path, Err: err}
		}
		ctype, _ := mediatype.Of(path)
		if err := p.graph.Upload(ctx, p.page+"/photos", form, "source", filepath.Base(path), ctype, data, &out); err != nil {
			return "", err
		}
	}
	if out.ID == "" {
		return "", &publishers.Error{Class: publishers.Transient, Message: "Facebook answered the photo upload without its id"}
	}
	return out.ID, nil
}

// postURL is where a Page post is seen: its id is PAGEID_POSTID.
func postURL(id string) string {
	if page, post, ok := strings.Cut(id, "_"); ok {
		return "https://www.facebook.com/" + page + "/posts/" + post
	}
	return "https://www.facebook.com/" + id
}

// Check reads the Page's name with the token: the cheapest call that
// proves the token reaches the Page.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	var page struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := p.graph.Get(ctx, p.page, url.Values{"fields": {"id,name"}}, &page); err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated on Facebook; posts as the Page %s (%s)", page.Name, page.ID), nil
}

// prefix says where in a multi-step publish an error happened, keeping its class.
func prefix(err error, where string) error { return publishers.Within(err, where) }
