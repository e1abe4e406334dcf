// Package x publishes posts on X (formerly Twitter) through its API v2
// (https://docs.x.com/x-api/): posts and threads (POST /2/tweets), images
// and videos by chunked upload with alt text, counted as X counts them.
// It authenticates as the user with an OAuth 2.0 user access token.
package x

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
)

// defaultAPI is where X's API lives.
const defaultAPI = "https://api.x.com"

func init() {
	oauth.Register(oauth.X)
	publishers.Register(publishers.Network{
		Name:        "x",
		Description: "posts on X (formerly Twitter), threads when long, with images, videos and alt text, through the X API v2",
		Settings: append([]publishers.Field{
			{Name: "api", Default: defaultAPI, Kind: publishers.URL, Help: "the API's base URL (default https://api.x.com)"},
			{Name: settingStats, Default: "off", Help: "read each post's numbers (likes, reposts, replies, quotes, views) for reports: on or off; X bills each read"},
			publishers.InsecureHTTP,
		}, oauth.X.Settings()...),
		// None is required when the channel is added: `crieur channel
		// login NAME` obtains the tokens (scopes tweet.read tweet.write
		// users.read media.write offline.access).
		Secrets: oauth.X.Secrets(),
		// X has no idempotency key. Before a retry of an uncertain attempt,
		// Find looks the post up among the account's recent posts; and X
		// refuses a text the account already posted, which Publish then
		// looks up too (see duplicate).
		Safety:  publishers.RetryLookup,
		New:     New,
		Offline: func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings) },
		Metrics: []string{publishers.MetricReplies, publishers.MetricReposts, publishers.MetricLikes, publishers.MetricQuotes, publishers.MetricViews},
		NoStats: func(settings map[string]string) string {
			if on, _ := statsOn(settings); !on {
				return "X bills each read of a post's numbers: set stats=on on the channel to read them"
			}
			return ""
		},
	})
}

// Publisher posts to one X account.
type Publisher struct {
	base   string         // the API's base URL without a trailing slash
	sess   *oauth.Session // the channel's OAuth 2.0 user token
	client *http.Client
	now    func() time.Time

	// PollInterval is the longest wait between checks of an upload X is
	// still processing; PollLimit bounds how many checks are made.
	PollInterval time.Duration
	PollLimit    int

	stats bool // the channel reads its posts' numbers (stats=on): X bills each read

	mu   sync.Mutex
	user string // the account's id, once asked
}

// New builds an X publisher from the channel's settings and its token.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	p.client, p.now = cfg.Client(), cfg.Clock
	// A channel not logged in yet is built: each call then says to run
	// `crieur channel login NAME` (an auth error with its Fix).
	if p.sess, err = oauth.NewSession(oauth.X, cfg); err != nil {
		return nil, fmt.Errorf("x: %w", err)
	}
	return p, nil
}

// fromSettings reads the channel's settings: all its rules need, with no
// token and no client (Offline), which New adds.
func fromSettings(settings map[string]string) (*Publisher, error) {
	base := strings.TrimRight(strings.TrimSpace(settings["api"]), "/")
	if base == "" {
		base = defaultAPI
	}
	u, ok := publishers.HTTPURL(base)
	if !ok {
		return nil, fmt.Errorf("x: setting api %q is not a URL like %s", settings["api"], defaultAPI)
	}
	if err := publishers.CheckHTTPS("x: setting api", u, settings); err != nil {
		return nil, err
	}
	stats, err := statsOn(settings)
	if err != nil {
		return nil, err
	}
	return &Publisher{base: base, stats: stats, PollInterval: 5 * time.Second, PollLimit: 120}, nil
}

// rules are how X counts a post and cuts a long text into a thread.
var rules = publishers.Rules{Limit: maxWeighted, Unit: "characters", Count: Length}

// textProblems says what X would refuse in one post's text.
func textProblems(field, text string) []publishers.Problem {
	var probs []publishers.Problem
	if n := Length(text); n > maxWeighted {
		probs = append(probs, publishers.Problem{Field: field, Message: fmt.Sprintf("%d/%d characters as X counts them: %d over the limit", n, maxWeighted, n-maxWeighted)})
	}
	if strings.TrimSpace(text) == "" {
		probs = append(probs, publishers.Problem{Field: field, Message: "a post on X needs text"})
	}
	if hasInvalid(text) {
		probs = append(probs, publishers.Problem{Field: field, Message: "holds a character X refuses (U+FFFE, U+FEFF or U+FFFF)"})
	}
	return probs
}

// parts is the thread a post becomes: its text NFC-normalised with its link
// (X has no link field), cut to fit 280 when it does not, then its explicit
// thread parts.
func parts(post publishers.Post) []string {
	var out []string
	if text := norm.NFC.String(publishers.WithLink(strings.TrimSpace(post.Text), post.Link)); strings.TrimSpace(text) != "" {
		out = publishers.Split(text, rules, true)
	}
	for _, t := range post.Thread {
		if t = norm.NFC.String(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Validate checks the post by X's rules; it never calls X.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	if strings.TrimSpace(post.Text) == "" && len(post.Media) == 0 {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a post on X needs text or media"})
	}
	if hasInvalid(post.Text) {
		probs = append(probs, publishers.Problem{Field: "text", Message: "holds a character X refuses (U+FFFE, U+FEFF or U+FFFF)"})
	}
	for i, t := range post.Thread {
		if t = strings.TrimSpace(t); t != "" {
			probs = append(probs, textProblems(fmt.Sprintf("thread[%d]", i), t)...)
		}
	}
	return append(probs, checkMedia(post.Media)...)
}

// TextThread says how many posts the post's text becomes.
func (p *Publisher) TextThread(post publishers.Post) (posts, length, limit int, unit string) {
	text := strings.TrimSpace(post.Text)
	if text == "" {
		return 0, 0, maxWeighted, rules.Unit
	}
	full := publishers.WithLink(text, post.Link)
	n := Length(full)
	if n <= maxWeighted {
		return 1, 0, maxWeighted, rules.Unit
	}
	post.Thread = nil
	return len(parts(post)), n, maxWeighted, rules.Unit
}

// Preview shows the thread the post becomes, counted as X counts, and
// what it costs: X bills each API call.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{Limit: maxWeighted, Unit: rules.Unit, Problems: p.Validate(post)}
	pv.Parts = parts(post)
	for _, part := range pv.Parts {
		pv.Count = append(pv.Count, Length(part))
	}
	pv.Extra = cost(post, pv.Parts)
	return pv
}

// cost says how many API calls publishing the post makes, as X bills
// them: one per post of the thread, and per media file its upload's calls.
func cost(post publishers.Post, thread []string) string {
	posts := max(len(thread), 1)
	links := 0
	for _, t := range thread {
		if len(urlSpans(t)) > 0 {
			links++
		}
	}
	media := 0
	for _, m := range post.Media {
		media += mediaCalls(m)
	}
	s := fmt.Sprintf("X API calls: %d (%d post", posts+media, posts)
	if posts > 1 {
		s += "s"
	}
	if links > 0 {
		s += fmt.Sprintf(", %d with a link, which X prices higher", links)
	}
	if media > 0 {
		s += fmt.Sprintf("; %d for media: initialize, append per 5 MB, finalize, alt text", media)
	}
	return s + ")"
}

// tweetRequest is the body of POST /2/tweets
// (https://docs.x.com/x-api/posts/create-or-edit-post): text, reply, media.
type tweetRequest struct {
	Text  string       `json:"text,omitempty"`
	Reply *tweetReply  `json:"reply,omitempty"`
	Media *tweetMedias `json:"media,omitempty"`
}

type tweetReply struct {
	InReplyToTweetID string `json:"in_reply_to_tweet_id"`
}

type tweetMedias struct {
	MediaIDs []string `json:"media_ids"`
}

// created is the answer of POST /2/tweets: {"data": {"id", "text"}}.
type created struct {
	Data struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	} `json:"data"`
}

// Publish uploads the media, then posts the thread, each post replying to
// the one before; media go on the first. A thread an earlier attempt cut
// short resumes after its live parts (post.Live), replying to the last.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	next, live := post.Resume()
	var mediaIDs []string
	for i, m := range post.Media {
		if next > 0 {
			break // the first post, which carries them, is live
		}
		id, err := p.upload(ctx, m)
		if err != nil {
			return publishers.Result{}, prefix(err, fmt.Sprintf("media[%d]", i))
		}
		mediaIDs = append(mediaIDs, id)
	}
	thread := parts(post)
	if len(thread) == 0 {
		thread = []string{""} // media only
	}
	var first publishers.Result
	replyTo := ""
	if next > 0 {
		first = live[0].Result
		replyTo = live[next-1].RemoteID
	}
	for i, text := range thread {
		if i < next {
			continue
		}
		req := tweetRequest{Text: text}
		if replyTo != "" {
			req.Reply = &tweetReply{InReplyToTweetID: replyTo}
		}
		if i == 0 && len(mediaIDs) > 0 {
			req.Media = &tweetMedias{MediaIDs: mediaIDs}
		}
		res, err := p.postTweet(ctx, req)
		if req.Reply != nil && errors.Is(err, errNotPermitted) {
			// X may not let this post reply (the conversation is
			// restricted, the post replied to gone): this post's
			// refusal, not the account's.
			var pe *publishers.Error
			if errors.As(err, &pe) {
				pe.Class = publishers.Permanent
			}
		}
		if isDuplicate(err) {
			res, err = p.duplicate(ctx, post, i, len(thread), text, replyTo, err)
		}
		if err != nil {
			if i > 0 {
				// The first posts are live: they are returned with the
				// error, so that the calendar keeps their id.
				return first, prefix(err, fmt.Sprintf("thread part %d/%d (the first %d are live from %s)", i+1, len(thread), i, first.RemoteURL))
			}
			return publishers.Result{}, err
		}
		if i == 0 {
			first = res
		}
		replyTo = res.RemoteID
		if err := post.Confirm(publishers.PartResult{Index: i, Result: res}); err != nil {
			return first, prefix(err, fmt.Sprintf("recording thread part %d/%d", i+1, len(thread)))
		}
	}
	return first, nil
}

func (p *Publisher) postTweet(ctx context.Context, req tweetRequest) (publishers.Result, error) {
	var out created
	if _, err := p.do(ctx, request{method: http.MethodPost, path: "/2/tweets", body: jsonBody(req), out: &out}); err != nil {
		return publishers.Result{}, err
	}
	if out.Data.ID == "" {
		return publishers.Result{}, publishers.Errorf(publishers.Transient, "X answered the post without an id")
	}
	return p.result(out.Data.ID, time.Time{}), nil
}

// result describes a post by its id: X's answer carries no URL, and a
// post's URL works under any account name.
func (p *Publisher) result(id string, at time.Time) publishers.Result {
	if at.IsZero() {
		at = p.now()
	}
	return publishers.Result{RemoteID: id, RemoteURL: "https://x.com/i/status/" + id, PublishedAt: at}
}

// Check verifies the token with the cheapest authenticated read,
// GET /2/users/me (https://docs.x.com/x-api/users/user-lookup-me).
func (p *Publisher) Check(ctx context.Context) (string, error) {
	me, err := p.me(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("authenticated as @%s on X", me.Username), nil
}
