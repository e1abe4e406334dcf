package facebook

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
)

func settings(base string) map[string]string {
	return map[string]string{"api": base, "version": fakeVersion, "page": fakePage}
}

func suite(t *testing.T) publishertest.Suite {
	img := publishertest.WriteFile(t, "cover.png", publishertest.PNG)
	return publishertest.Suite{
		Network: "facebook",
		Handler: func(t *testing.T) http.Handler { return newFake(t) },
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-fb", Settings: settings(base), Secrets: map[string]string{"access_token": fakePageToken}}
		},
		Post: publishertest.ThreadPost(img),
		CheckResult: func(t *testing.T, r publishers.Result) {
			if !strings.HasPrefix(r.RemoteID, fakePage+"_") || r.RemoteURL != "https://www.facebook.com/"+fakePage+"/posts/"+strings.TrimPrefix(r.RemoteID, fakePage+"_") {
				t.Errorf("result %+v: want PAGE_POST and its permalink", r)
			}
		},
		// Pages BUC throttling: code 80001, the wait in the usage header.
		RateLimited: publishertest.Fault{Status: 400,
			Header: map[string]string{"X-Business-Use-Case-Usage": `{"` + fakePage + `":[{"type":"pages","call_count":100,"total_cputime":25,"total_time":25,"estimated_time_to_regain_access":5}]}`},
			Body:   `{"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001,"fbtrace_id":"A1"}}`},
		RateLimitWait: 5 * time.Minute,
		Unauthorized:  publishertest.Fault{Status: 400, Body: `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A2"}}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"A3"}}`},
		InvalidText:   "(#100) Invalid parameter",
		Received:      func(h http.Handler) []publishertest.Arrived { return h.(*fakeFacebook).arrived() },
	}
}

func TestConformance(t *testing.T) { publishertest.Run(t, suite(t)) }

func build(t *testing.T, base string, extra map[string]string) *Publisher {
	t.Helper()
	s := settings(base)
	for k, v := range extra {
		s[k] = v
	}
	p, err := New(publishers.Config{Channel: "acme-fb", Settings: s, Secrets: map[string]string{"access_token": fakePageToken},
		HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Publisher)
}

// Photos are uploaded unpublished and attached to one feed post, in
// order, the link in the text; a URL is given for Facebook to fetch; a
// post without photos carries its link as the link field.
func TestPublishPhotosAndLinks(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	p := build(t, srv.URL, nil)
	a := publishertest.WriteFile(t, "a.png", publishertest.PNG)
	link := "https://example.org/spring?utm_source=facebook"
	res, err := p.Publish(context.Background(), publishers.Post{Text: "Two photos", Link: link,
		Media: []publishers.Media{{Path: a, Alt: "one"}, {Path: "https://cdn.example.org/b.jpg", Alt: "two"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), publishers.Post{Text: "Read it", Link: link, Thread: []string{"Second paragraph."}}); err != nil {
		t.Fatal(err)
	}
	posts := f.created()
	if len(posts) != 2 || posts[0].ID != res.RemoteID {
		t.Fatalf("posts %+v", posts)
	}
	if posts[0].Message != "Two photos\n\n"+link || posts[0].Link != "" || len(posts[0].Photos) != 2 {
		t.Errorf("photo post %+v: want the link in the message and two photos", posts[0])
	}
	first, second := f.photoByID(posts[0].Photos[0]), f.photoByID(posts[0].Photos[1])
	if !bytes.Equal(first.Bytes, []byte(publishertest.PNG)) || second.URL != "https://cdn.example.org/b.jpg" {
		t.Errorf("photos %+v %+v: want the file's bytes, then the URL", first, second)
	}
	if posts[1].Message != "Read it\n\nSecond paragraph." || posts[1].Link != link || len(posts[1].Photos) != 0 {
		t.Errorf("link post %+v", posts[1])
	}
}

// Meta's error codes and usage headers become the scheduler's classes.
func TestErrors(t *testing.T) {
	buc := `{"104857600123":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":7}]}`
	cases := []publishertest.ErrorCase{
		{Name: "page BUC throttled", Status: 400, Header: map[string]string{"X-Business-Use-Case-Usage": buc},
			Body: `{"error":{"message":"(#80001) There have been too many calls to this Page account.","type":"OAuthException","code":80001}}`, Class: publishers.RateLimited, Wait: 7 * time.Minute, Text: "too many calls"},
		{Name: "app throttled, no wait given", Status: 403, Header: map[string]string{"X-App-Usage": `{"call_count":100,"total_cputime":20,"total_time":30}`},
			Body: `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","code":4,"is_transient":true}}`, Class: publishers.RateLimited, Wait: 15 * time.Minute},
		{Name: "page throttled", Status: 400, Body: `{"error":{"message":"(#32) Page request limit reached","code":32}}`, Class: publishers.RateLimited, Wait: 15 * time.Minute},
		{Name: "policy block", Status: 400, Body: `{"error":{"message":"It looks like you were misusing this feature","code":368}}`, Class: publishers.RateLimited, Wait: time.Hour, Text: "temporarily blocked"},
		{Name: "expired token", Status: 400, Body: `{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":463}}`, Class: publishers.Auth, Text: "crieur channel login acme-fb"},
		{Name: "missing permission", Status: 403, Body: `{"error":{"message":"(#200) Requires pages_manage_posts permission","code":200}}`, Class: publishers.Auth, Text: "lacks a permission"},
		{Name: "transient", Status: 500, Body: `{"error":{"message":"An unknown error has occurred.","code":1,"is_transient":true}}`, Class: publishers.Transient},
		{Name: "refused post", Status: 400, Body: `{"error":{"message":"(#100) Invalid parameter","code":100,"error_user_msg":"The link is not valid"}}`, Class: publishers.Permanent, Text: "The link is not valid"},
	}
	publishertest.CheckErrors(t, cases, func(t *testing.T, h http.Handler) error {
		_, err := build(t, publishertest.Server(t, h).URL, nil).Publish(context.Background(), publishers.Post{Text: "hello"})
		return err
	})
}

// The channel's rate_limit_backoff is the wait when Meta names none.
func TestBackoffSetting(t *testing.T) {
	h := publishertest.Reply(400, nil, `{"error":{"message":"(#4) Application request limit reached","code":4}}`)
	_, err := build(t, publishertest.Server(t, h).URL, map[string]string{"rate_limit_backoff": "40m"}).Publish(context.Background(), publishers.Post{Text: "x"})
	publishertest.CheckError(t, err, publishers.RateLimited, 40*time.Minute, "")
}

// Find finds the earlier attempt's post by its message among the Page's
// posts since the delivery was due; not another post, not an older one.
func TestFind(t *testing.T) {
	f := newFake(t)
	srv := publishertest.Server(t, f)
	p := build(t, srv.URL, nil)
	due := time.Now().Add(-time.Minute)
	post := publishers.Post{Text: "Spring is here", Link: "https://example.org/s", ScheduledAt: due}
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := p.Find(context.Background(), post)
	if err != nil || !found || got.RemoteID != res.RemoteID || got.RemoteURL != res.RemoteURL || got.PublishedAt.Before(due.Add(-time.Minute)) {
		t.Errorf("Find = %+v, %v, %v; want %+v", got, found, err, res)
	}
	other := post
	other.Text = "Another text"
	_, found, err = p.Find(context.Background(), other)
	if found || err != nil {
		t.Errorf("another text: found %v, %v", found, err)
	}
	later := post
	later.ScheduledAt = time.Now().Add(time.Hour)
	if _, found, _ = p.Find(context.Background(), later); found {
		t.Errorf("a post made before the delivery was due was taken for it")
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	big := publishertest.WriteFile(t, "big.png", publishertest.PNG+strings.Repeat("x", maxImageBytes))
	txt := publishertest.WriteFile(t, "notes.txt", "words")
	p, err := fromSettings(map[string]string{"page": fakePage})
	if err != nil {
		t.Fatal(err)
	}
	ok := publishers.Post{Text: "fine"}
	publishertest.CheckValidate(t, p, ok, []publishertest.ValidateCase{
		{Name: "empty", Change: func(p *publishers.Post) { *p = publishers.Post{} }, Fields: []string{"text"}},
		{Name: "too long", Change: func(p *publishers.Post) { *p = publishers.Post{Text: strings.Repeat("a", maxChars+1)} }, Fields: []string{"text"}},
		{Name: "bad link", Change: func(p *publishers.Post) { *p = publishers.Post{Text: "x", Link: "ftp://x"} }, Fields: []string{"link"}},
		{Name: "too big", Change: func(p *publishers.Post) { *p = publishers.Post{Text: "x", Media: []publishers.Media{{Path: big}}} }, Fields: []string{"media[0]"}},
		{Name: "not an image", Change: func(p *publishers.Post) { *p = publishers.Post{Text: "x", Media: []publishers.Media{{Path: txt}}} }, Fields: []string{"media[0]"}},
		{Name: "plain http URL", Change: func(p *publishers.Post) {
			*p = publishers.Post{Text: "x", Media: []publishers.Media{{Path: "http://x.example/a.png"}}}
		}, Fields: []string{"media[0]"}},
		{Name: "missing", Change: func(p *publishers.Post) {
			*p = publishers.Post{Text: "x", Media: []publishers.Media{{Path: dir + "/none.png"}}}
		}, Fields: []string{"media[0]"}},
	})
	for _, bad := range []map[string]string{{}, {"page": "acme"}, {"page": fakePage, "version": "25"}, {"page": fakePage, "api": "http://graph.example"}} {
		if _, err := fromSettings(bad); err == nil {
			t.Errorf("settings %v accepted", bad)
		}
	}
	pv := p.Preview(publishers.Post{Text: "x", Media: []publishers.Media{{Path: big, Alt: "a cake"}}})
	if !strings.Contains(pv.Extra, "alt text is not sent") {
		t.Errorf("preview %q does not say alt text is not carried", pv.Extra)
	}
}

// The channel's token through the OAuth kit, against a fake that refuses a
// token as Facebook does (400, code 190): renewed and retried once, then
// the channel paused with `crieur channel login`.
func TestOAuth(t *testing.T) {
	publishertest.RunOAuth(t, publishertest.OAuthSuite{
		Network: "facebook",
		Handler: authorizedBy,
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-fb", Settings: map[string]string{"api": base, "version": fakeVersion, "page": fakePage,
				oauth.SettingBaseURL: base, oauth.SettingClientID: "fb-app"}}
		},
		ClientID:     "fb-app",
		ClientSecret: "fb-Secret-app",
		Post:         publishers.Post{DeliveryID: 4, Text: "Spring is here.", Link: "https://acme.example/spring"},
	})
}
