package x

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

var (
	pixel     = filepath.Join("testdata", "pixel.png")
	suitePost = publishers.Post{
		DeliveryID:     7,
		IdempotencyKey: "d7-4c2e",
		Slug:           "spring-sale",
		Text:           "Spring is here & our bikes are 20% off this week only.",
		Link:           "https://shop.example/spring?utm_campaign=spring&utm_medium=social&utm_source=x",
		Media:          []publishers.Media{{Path: pixel, Alt: "A red bike leaning on a wall"}},
		Thread:         []string{"Questions? Reply here."},
	}
)

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network:   "x",
		Handler:   func(t *testing.T) http.Handler { return newFake(t) },
		Configure: config,
		Post:      suitePost,
		Received:  func(h http.Handler) []publishertest.Arrived { return h.(*fake).arrived() },
		Alt:       true,
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "1002" || r.RemoteURL != "https://x.com/i/status/1002" {
				t.Errorf("result = %+v, want the first post (1002; 1001 is the image)", r)
			}
		},
		RateLimited: publishertest.Fault{Status: 429, Header: map[string]string{
			"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)},
			Body: `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`},
		RateLimitWait: 90 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"errors":[{"parameters":{"media_type":["text/plain"]},"message":"The media_type value is not one of the allowed values"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"}`},
		InvalidText:   "One or more parameters to your request was invalid.",
	})
}

// A post with a link, an image with alt text and a thread part arrives as
// X documents it: the image uploaded (initialize, append, finalize), its
// alt text set, the first post carrying it, the second replying to it.
func TestThreadWithMedia(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	var confirmed []publishers.PartResult
	post := suitePost
	post.OnPart = func(r publishers.PartResult) error { confirmed = append(confirmed, r); return nil }
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	want := []fakeTweet{
		{ID: "1002", Text: "Spring is here & our bikes are 20% off this week only.\n\n" + suitePost.Link, MediaIDs: []string{"1001"}, Created: now},
		{ID: "1003", Text: "Questions? Reply here.", ReplyTo: "1002", Created: now},
	}
	if !reflect.DeepEqual(f.tweets, want) {
		t.Errorf("posts =\n%+v\nwant\n%+v", f.tweets, want)
	}
	png, _ := os.ReadFile(pixel)
	m := f.media["1001"]
	if m == nil || !bytes.Equal(m.data, png) || m.mediaType != "image/png" || m.category != "tweet_image" || m.alt != "A red bike leaning on a wall" || m.segments != 1 {
		t.Errorf("upload = %+v", m)
	}
	if res != (publishers.Result{RemoteID: "1002", RemoteURL: "https://x.com/i/status/1002", PublishedAt: now}) {
		t.Errorf("result = %+v", res)
	}
	if len(confirmed) != 2 || confirmed[0].RemoteID != "1002" || confirmed[1].RemoteID != "1003" || confirmed[1].Index != 1 {
		t.Errorf("parts confirmed = %+v", confirmed)
	}
}

// A text over 280 becomes a thread of parts that each fit as X counts.
func TestLongTextThreads(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	text := strings.Repeat("Story about a garden in the rain, with 日本語 words and 🚲. ", 12)
	if _, err := p.Publish(context.Background(), publishers.Post{Text: text, AutoThread: true}); err != nil {
		t.Fatal(err)
	}
	if len(f.tweets) < 3 {
		t.Fatalf("%d posts, want a thread", len(f.tweets))
	}
	for i, tw := range f.tweets {
		if n := Length(tw.Text); n > 280 {
			t.Errorf("part %d is %d characters", i, n)
		}
		if i > 0 && tw.ReplyTo != f.tweets[i-1].ID {
			t.Errorf("part %d replies to %q, want %q", i, tw.ReplyTo, f.tweets[i-1].ID)
		}
		if !strings.HasSuffix(tw.Text, "/"+strconv.Itoa(len(f.tweets))) {
			t.Errorf("part %d has no counter: %q", i, tw.Text)
		}
	}
}

// A video goes up in chunks of at most 5 MB, in order, and the post waits
// until X has processed it (STATUS checks).
func TestChunkedUploadWithProcessing(t *testing.T) {
	f := newFake(t)
	f.processing = 2
	p := newPub(t, f)
	video := bytes.Repeat([]byte("0123456789"), 1_100_000) // 11 MB: three chunks
	path := filepath.Join(t.TempDir(), "clip.mp4")
	if err := os.WriteFile(path, video, 0o600); err != nil {
		t.Fatal(err)
	}
	post := publishers.Post{Text: "Our new clip", Media: []publishers.Media{{Path: path}}}
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	m := f.media["1001"]
	if m == nil || m.segments != 3 || !bytes.Equal(m.data, video) || m.category != "tweet_video" || m.mediaType != "video/mp4" {
		t.Fatalf("upload: %d segments, %d bytes, %s %s", m.segments, len(m.data), m.category, m.mediaType)
	}
	if f.statusHits != 2 {
		t.Errorf("%d status checks, want 2 (processing, then succeeded)", f.statusHits)
	}
	if m.alt != "" {
		t.Errorf("alt text %q set without one", m.alt)
	}
	if len(f.tweets) != 1 || !reflect.DeepEqual(f.tweets[0].MediaIDs, []string{"1001"}) {
		t.Errorf("posts %+v", f.tweets)
	}
	if pv := p.Preview(post); !strings.Contains(pv.Extra, "X API calls: 6 (1 post; 5 for media") {
		t.Errorf("preview cost %q, want 6 calls: 1 post, initialize + 3 appends + finalize", pv.Extra)
	}

	// Processing that does not end in time fails transiently, posting nothing.
	f2 := newFake(t)
	f2.processing = 10
	p2 := newPub(t, f2)
	p2.PollLimit = 3
	_, err := p2.Publish(context.Background(), post)
	publishertest.CheckError(t, err, publishers.Transient, 0, "still being processed")
	if len(f2.tweets) != 0 {
		t.Errorf("posted with media still processing")
	}
}

// X refuses a text the account already posted. When the lookup finds the
// post (an earlier attempt made it, its reply lost), it is the result and
// nothing is posted again; when it does not, the delivery is held for a
// person, never marked published.
func TestDuplicateLookedUp(t *testing.T) {
	post := publishers.Post{Text: "Doors open at 9 & close at 5: https://example.org/hours", ScheduledAt: now.Add(-time.Minute)}

	t.Run("found", func(t *testing.T) {
		f := newFake(t)
		f.older = []fakeTweet{
			{ID: "900", Text: post.Text, Created: now.Add(-30 * time.Second)},
			{ID: "899", Text: "something else", Created: now.Add(-40 * time.Second)},
		}
		p := newPub(t, f)
		res, err := p.Publish(context.Background(), post)
		if err != nil {
			t.Fatal(err)
		}
		if res.RemoteID != "900" || len(f.tweets) != 0 {
			t.Errorf("result %+v, %d new posts: want the existing post 900 and nothing new", res, len(f.tweets))
		}
	})
	t.Run("not found: held", func(t *testing.T) {
		f := newFake(t)
		// The same text posted days ago, before the post's time: X still
		// refuses it, and it is not this delivery's post.
		f.older = []fakeTweet{{ID: "800", Text: post.Text, Created: now.Add(-72 * time.Hour)}}
		p := newPub(t, f)
		_, err := p.Publish(context.Background(), post)
		publishertest.CheckError(t, err, publishers.Permanent, 0, "duplicate")
		if !publishers.NeedsPerson(err) {
			t.Errorf("error %v does not hold the delivery for a person", err)
		}
		if f.listed != 1 {
			t.Errorf("the account's posts were read %d times, want once", f.listed)
		}
	})
}

// Find recognises the post an earlier attempt made: X's rendering (t.co
// links, the media link, HTML entities) does not hide it; a thread cut
// short is not found, and its live parts are reported for the retry.
func TestFind(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	post := suitePost
	post.ScheduledAt = now
	res, found, err := p.Find(context.Background(), post)
	publishertest.CheckFind(t, res, found, err, false, false, publishers.Result{})

	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	res, found, err = newPub(t, f).Find(context.Background(), post)
	publishertest.CheckFind(t, res, found, err, true, false, publishers.Result{RemoteID: "1002", RemoteURL: "https://x.com/i/status/1002", PublishedAt: now})

	// The thread cut short after its first part.
	f.tweets = f.tweets[:1]
	var live []publishers.PartResult
	post.OnPart = func(r publishers.PartResult) error { live = append(live, r); return nil }
	_, found, err = newPub(t, f).Find(context.Background(), post)
	if err != nil || found || len(live) != 1 || live[0].RemoteID != "1002" {
		t.Fatalf("cut thread: found %v, err %v, live %+v: want not found, part 0 live", found, err, live)
	}
	post.Live, post.OnPart = live, nil
	if _, err := newPub(t, f).Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	if len(f.tweets) != 2 || f.tweets[1].ReplyTo != "1002" || f.tweets[1].Text != "Questions? Reply here." {
		t.Errorf("the retry did not resume after the live part: %+v", f.tweets)
	}

	// Another text is not this post.
	other := suitePost
	other.Text = "Spring is here and our bikes are 30% off."
	if _, found, err := newPub(t, f).Find(context.Background(), other); found || err != nil {
		t.Errorf("another text found (%v, %v)", found, err)
	}
}

// A 429 waits until the limit X names resets: the 15-minute window, or the
// 24-hour limit of the user or the app when that one is spent.
func TestRateLimits(t *testing.T) {
	unix := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	post := publishers.Post{Text: "hello"}
	publishertest.CheckErrors(t, []publishertest.ErrorCase{
		{Name: "15-minute window", Status: 429, Header: map[string]string{"x-rate-limit-remaining": "0", "x-rate-limit-reset": unix(4 * time.Minute)},
			Body: `{"title":"Too Many Requests","detail":"Too Many Requests","status":429}`, Class: publishers.RateLimited, Wait: 4 * time.Minute, Text: "Too Many Requests"},
		{Name: "user 24-hour limit spent", Status: 429, Header: map[string]string{"x-rate-limit-remaining": "12", "x-rate-limit-reset": unix(4 * time.Minute),
			"x-user-limit-24hour-limit": "17", "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": unix(7 * time.Hour)},
			Body: `{"title":"Too Many Requests","status":429}`, Class: publishers.RateLimited, Wait: 7 * time.Hour, Text: "Too Many Requests"},
		{Name: "app 24-hour limit spent", Status: 429, Header: map[string]string{"x-rate-limit-reset": unix(time.Minute),
			"x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": unix(20 * time.Hour), "x-user-limit-24hour-remaining": "3", "x-user-limit-24hour-reset": unix(23 * time.Hour)},
			Class: publishers.RateLimited, Wait: 20 * time.Hour, Text: "rate limited"},
		{Name: "no header: X's window", Status: 429, Class: publishers.RateLimited, Wait: 15 * time.Minute, Text: "rate limited"},
		{Name: "refused token", Status: 401, Body: `{"title":"Unauthorized","detail":"Unauthorized","status":401}`,
			Class: publishers.Auth, Text: "run `crieur channel login acme-x`"},
		{Name: "server error", Status: 503, Body: `{"title":"Service Unavailable","status":503}`, Class: publishers.Transient, Text: "Service Unavailable"},
		{Name: "invalid", Status: 400, Body: `{"errors":[{"message":"Your Tweet text is too long."}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid."}`,
			Class: publishers.Permanent, Text: "One or more parameters to your request was invalid."},
	}, func(t *testing.T, h http.Handler) error {
		_, err := newPub(t, h).Publish(context.Background(), post)
		if err != nil && strings.Contains(err.Error(), token) {
			t.Errorf("the token leaked into %q", err)
		}
		return err
	})
}

// The token's life cycle goes through the OAuth kit on every call of the
// adapter (the image's upload included), against one server that is X's
// API and its token endpoint: renewed before it expires, the rotated
// refresh token saved before use, a 401 renewed and retried once, then the
// channel paused with `crieur channel login NAME`.
func TestOAuth(t *testing.T) {
	publishertest.RunOAuth(t, publishertest.OAuthSuite{
		Network: "x",
		Handler: authorizedBy,
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-x", Settings: map[string]string{"api": base,
				oauth.SettingBaseURL: base, oauth.SettingClientID: "x-client"}}
		},
		ClientID: "x-client",
		Post:     publishers.Post{DeliveryID: 3, Text: "Spring is here.", Media: []publishers.Media{{Path: pixel, Alt: "A red bike"}}},
	})
}

// A channel without a token yet (never logged in) is refused by its first
// call with an auth error whose fix is `crieur channel login NAME`, before
// anything reaches X.
func TestNoTokenSaysLogin(t *testing.T) {
	nw, err := publishers.Lookup("x")
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t)
	cfg := config(publishertest.Server(t, f).URL)
	cfg.Secrets = nil
	p, err := nw.New(cfg)
	if err != nil {
		t.Fatalf("New without a token: %v", err)
	}
	_, err = p.Publish(context.Background(), publishers.Post{Text: "hello"})
	publishertest.CheckError(t, err, publishers.Auth, 0, "run `crieur channel login acme-x`")
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Fix != "crieur channel login acme-x" {
		t.Errorf("error %v: its fix is not `crieur channel login acme-x`", err)
	}
	if len(f.tweets) != 0 || len(f.media) != 0 {
		t.Errorf("a call reached X without a token")
	}
	if _, err := nw.Check("acme-x", map[string]string{"api": "http://api.x.example"}); !errors.Is(err, publishers.ErrInsecureHTTP) {
		t.Errorf("plain http to another host: %v", err)
	}
}

func TestValidate(t *testing.T) {
	p := newPub(t, newFake(t))
	dir := t.TempDir()
	write := func(name string, n int) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, bytes.Repeat([]byte{0}, n), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	gif, txt := write("a.gif", 10), write("a.txt", 10)
	big := write("big.png", imageBytes+1)
	img := func(n int) []publishers.Media {
		out := make([]publishers.Media, n)
		for i := range out {
			out[i] = publishers.Media{Path: pixel, Alt: "a pixel"}
		}
		return out
	}
	publishertest.CheckValidate(t, p, suitePost, []publishertest.ValidateCase{
		{Name: "valid", Change: func(*publishers.Post) {}, Fields: nil},
		{Name: "four images", Change: func(p *publishers.Post) { p.Media = img(4) }, Fields: nil},
		{Name: "five images", Change: func(p *publishers.Post) { p.Media = img(5) }, Fields: []string{"media"}},
		{Name: "a GIF with an image", Change: func(p *publishers.Post) { p.Media = append(img(1), publishers.Media{Path: gif}) }, Fields: []string{"media"}},
		{Name: "not an image", Change: func(p *publishers.Post) { p.Media = []publishers.Media{{Path: txt}} }, Fields: []string{"media[0]"}},
		{Name: "missing file", Change: func(p *publishers.Post) { p.Media = []publishers.Media{{Path: filepath.Join(dir, "no.png")}} }, Fields: []string{"media[0]"}},
		{Name: "image over 5 MB", Change: func(p *publishers.Post) { p.Media = []publishers.Media{{Path: big}} }, Fields: []string{"media[0]"}},
		{Name: "alt over 1000", Change: func(p *publishers.Post) { p.Media[0].Alt = strings.Repeat("a", 1001) }, Fields: []string{"media[0]"}},
		{Name: "thread part over 280", Change: func(p *publishers.Post) { p.Thread = []string{strings.Repeat("日本", 71)} }, Fields: []string{"thread[0]"}},
		{Name: "invalid character", Change: func(p *publishers.Post) { p.Text += "\uFFFF" }, Fields: []string{"text"}},
		{Name: "empty", Change: func(p *publishers.Post) { p.Text, p.Media, p.Thread, p.Link = "", nil, nil, "" }, Fields: []string{"text"}},
	})

	// Over 280 without --thread is the author's choice to make.
	long := publishers.Post{Text: strings.Repeat("word ", 60)}
	if probs := publishers.CheckThreading(p, long); len(probs) != 1 || !strings.Contains(probs[0].Message, "299/280") {
		t.Errorf("threading problems %v", probs)
	}
}

// When the account posted more since the post's time than Find reads, it
// cannot tell: it fails (transient) rather than report the post absent,
// so that the scheduler waits instead of posting again.
func TestFindCannotReachBack(t *testing.T) {
	f := newFake(t)
	for i := range findPages*pageSize + 10 {
		f.older = append(f.older, fakeTweet{ID: strconv.Itoa(100000 + i), Text: "busy account " + strconv.Itoa(i), Created: now.Add(time.Duration(i) * time.Second)})
	}
	p := newPub(t, f)
	_, found, err := p.Find(context.Background(), publishers.Post{Text: "our post", ScheduledAt: now})
	if found || err == nil {
		t.Fatalf("found %v, err %v: want a transient failure", found, err)
	}
	publishertest.CheckError(t, err, publishers.Transient, 0, "cannot tell whether the post was published")
	if f.listed != findPages {
		t.Errorf("%d pages read, want %d", f.listed, findPages)
	}
}

// Check reads the account with the cheapest authenticated call.
func TestCheck(t *testing.T) {
	p := newPub(t, newFake(t))
	got, err := p.Check(context.Background())
	if err != nil || got != "authenticated as @acme on X" {
		t.Errorf("Check = %q, %v", got, err)
	}
}

// A listed post is the one crieur sent when its words match outside URLs
// and the URLs crieur sent are among those X expanded, whatever case or
// encoding X gives them; another URL makes it another post.
func TestSameText(t *testing.T) {
	text := "Read it: https://Example.org/spring/?utm_source=x&utm_medium=social"
	listed := func(expanded ...string) posted {
		tw := posted{Text: "Read it: https://t.co/abc"}
		for _, u := range expanded {
			tw.Entities.URLs = append(tw.Entities.URLs, struct {
				ExpandedURL string `json:"expanded_url"`
			}{u})
		}
		return tw
	}
	cases := []struct {
		name string
		tw   posted
		want bool
	}{
		{"same URL", listed("https://Example.org/spring/?utm_source=x&utm_medium=social"), true},
		{"X re-encoded it", listed("https://example.org/spring?utm_source=x%26utm_medium=social"), true},
		{"no entities listed", listed(), true},
		{"another URL", listed("https://example.org/autumn"), false},
		{"other words", posted{Text: "Read this: https://t.co/abc"}, false},
	}
	for _, c := range cases {
		if got := sameText(c.tw, text); got != c.want {
			t.Errorf("%s: sameText = %v, want %v", c.name, got, c.want)
		}
	}
}

// A 403 other than duplicate content: one about the app or the account
// pauses the channel (Auth) and says what to do; one about this post fails
// its delivery alone (Permanent) in X's words. X's problem types are those
// its reference lists (https://docs.x.com/x-api/fundamentals/response-codes-and-errors).
func TestForbidden(t *testing.T) {
	problem := func(typ, title, detail string, extra ...string) map[string]any {
		m := map[string]any{"type": typ, "title": title, "detail": detail, "status": 403}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	const login = "crieur channel login acme-x"
	thread := publishers.Post{Text: "First part.", Thread: []string{"Second part."}}
	single := publishers.Post{Text: "Hello"}
	for _, c := range []struct {
		name    string
		body    map[string]any
		replies bool // only replies are refused
		post    publishers.Post
		class   publishers.Class
		words   []string // in the error
		fix     string   // the pause's advice (Auth)
	}{
		{"app not in a project", problem("https://api.twitter.com/2/problems/client-forbidden", "Client Forbidden",
			"Requests to the v2 endpoints need keys from an App attached to a Project.", "reason", "client-not-enrolled", "required_enrollment", "Appropriate Level of API Access"),
			false, single, publishers.Auth, []string{"attached to a Project", "developer console"}, login},
		{"official client forbidden", problem("https://api.x.com/2/problems/client-forbidden", "Client Forbidden", "This client may not use this endpoint.", "reason", "official-client-forbidden"),
			false, single, publishers.Auth, []string{"may not use this endpoint"}, login},
		{"app-only token", problem("https://api.x.com/2/problems/unsupported-authentication", "Unsupported Authentication",
			"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint."),
			false, single, publishers.Auth, []string{"Application-Only", "log in as the account"}, login},
		{"read-only app", problem("about:blank", "Forbidden", "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."),
			false, single, publishers.Auth, []string{"oauth1 app permissions", "Read and write"}, login},
		{"missing scope", problem("about:blank", "Forbidden", "Missing the tweet.write scope for this endpoint."),
			false, single, publishers.Auth, []string{"tweet.write scope"}, login},
		{"suspended account", problem("about:blank", "Forbidden", "Your account is suspended and is not permitted to perform this action."),
			false, single, publishers.Auth, []string{"suspended"}, "sign in at x.com as the account and follow X's steps until the restriction is lifted"},
		{"not permitted, first post", problem("about:blank", "Forbidden", "You are not permitted to perform this action."),
			false, single, publishers.Auth, []string{"not permitted"}, ""},
		{"unknown 403", problem("about:blank", "Forbidden", "Forbidden"),
			false, single, publishers.Auth, []string{"Forbidden"}, ""},

		{"not permitted, on a reply", problem("about:blank", "Forbidden", "You are not permitted to perform this action."),
			true, thread, publishers.Permanent, []string{"You are not permitted to perform this action.", "thread part 2/2", "the first 1 are live"}, ""},
		{"reply restricted", problem("about:blank", "Forbidden",
			"Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to."),
			true, thread, publishers.Permanent, []string{"Reply to this conversation is not allowed"}, ""},
		{"post not visible", problem("https://api.x.com/2/problems/not-authorized-for-resource", "Forbidden", "Sorry, you are not authorized to see the Post with id: [1001]."),
			true, thread, publishers.Permanent, []string{"not authorized to see"}, ""},
		{"disallowed resource", problem("https://api.x.com/2/problems/disallowed-resource", "Forbidden", "This resource may not be acted on."),
			false, single, publishers.Permanent, []string{"may not be acted on"}, ""},
		{"looks automated", problem("about:blank", "Forbidden", "This request looks like it might be automated. To protect our users from spam, we can't complete this action right now."),
			false, single, publishers.Permanent, []string{"might be automated"}, ""},
		{"exclusive post", problem("about:blank", "Forbidden", "You are not permitted to create an exclusive Tweet."),
			false, single, publishers.Permanent, []string{"exclusive"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.forbid, f.forbidReplies = c.body, c.replies
			p := newPub(t, f)
			res, err := p.Publish(context.Background(), c.post)
			publishertest.CheckError(t, err, c.class, 0, "(status 403)")
			for _, w := range c.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var pe *publishers.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not classified", err)
			}
			if pe.Fix != c.fix {
				t.Errorf("fix %q, want %q", pe.Fix, c.fix)
			}
			if publishers.NeedsPerson(err) {
				t.Errorf("error %v holds the delivery", err)
			}
			if c.replies && res.RemoteID != "1001" {
				t.Errorf("result %+v: the live first part is lost", res)
			}
		})
	}
}
