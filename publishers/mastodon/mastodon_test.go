package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const token = "tok-Sup3rSecret"

var (
	now   = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	pixel = "testdata/pixel.png"
	// At the fake's 120-character limit this text is two statuses, then the
	// explicit thread part makes a third.
	longText = "Spring is here and our bikes are 20% off this week only. " +
		"Read the details at https://shop.example/bikes/spring-sale-2026?utm_source=mastodon#list before Friday. " +
		"Thanks @alice@bikes.example for the photos!"
	suitePost = publishers.Post{
		DeliveryID:     7,
		IdempotencyKey: "d7-4c2e",
		Slug:           "spring-sale",
		Text:           longText,
		Media:          []publishers.Media{{Path: pixel, Alt: "A red bike leaning on a wall"}},
		Thread:         []string{"Questions? Reply here."},
	}
)

// fake is a Mastodon instance that checks each request as the API documents
// it and keeps what was posted.
type fake struct {
	t *testing.T

	mu          sync.Mutex
	instance    string // the /api/v2/instance answer; "" answers 500
	instanceHit int
	instanceV1  string // the /api/v1/instance answer; "" answers 500
	processing  int    // how many 206 answers a media check gets before 200
	syncUpload  bool   // answer uploads 200 with a url, as for small images
	statuses    []statusRequest
	keys        []string
	byKey       map[string]string // Idempotency-Key → answer, as Mastodon dedupes
	failStatus  int               // answer the status with this index with a 422
	ignoreKeys  bool              // ignore Idempotency-Key, as GoToSocial does
	alt         string            // the last upload's description
	rendered    []map[string]any  // the statuses as the API shows them, oldest first
	older       []map[string]any  // statuses listed after those posted
	newer       []map[string]any  // statuses listed before those posted
	ignoreMaxID bool              // answer every page as the first
	listed      int               // pages of the account's statuses read
	// read answers GET /api/v1/statuses/:id: a status's JSON, or
	// "404", "410", "403", "429" for that status code.
	read map[string]string
}

// rendered is a status as the API shows it: its text in HTML, links and
// mentions marked up as Mastodon does.
func renderStatus(id string, req statusRequest, created time.Time, alt string) map[string]any {
	text := html.EscapeString(req.Status)
	text = regexp.MustCompile(`https?://[^\s<]+`).ReplaceAllStringFunc(text, func(u string) string {
		scheme, rest, _ := strings.Cut(u, "://")
		cut := min(len(rest), 30)
		return fmt.Sprintf(`<a href="%s" rel="nofollow noopener" target="_blank"><span class="invisible">%s://</span><span class="ellipsis">%s</span><span class="invisible">%s</span></a>`, u, scheme, rest[:cut], rest[cut:])
	})
	text = regexp.MustCompile(`@(\w+)@([\w.-]+)`).ReplaceAllString(text, `<span class="h-card"><a href="https://$2/@$1" class="u-url mention">@<span>$1</span></a></span>`)
	text = "<p>" + strings.ReplaceAll(strings.ReplaceAll(text, "\n\n", "</p><p>"), "\n", "<br />") + "</p>"
	var reply any
	if req.InReplyToID != "" {
		reply = req.InReplyToID
	}
	media := []map[string]any{}
	for _, m := range req.MediaIDs {
		media = append(media, map[string]any{"id": m, "description": alt})
	}
	return map[string]any{"id": id, "url": "https://social.example/@crieur/" + id, "uri": "https://social.example/users/crieur/statuses/" + id,
		"created_at": created.UTC().Format(time.RFC3339Nano), "in_reply_to_id": reply, "content": text, "media_attachments": media}
}

func newFake(t *testing.T) *fake {
	return &fake{
		t:          t,
		instance:   `{"configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":23,"max_media_attachments":2},"media_attachments":{"description_limit":40}}}`,
		processing: 1,
		byKey:      map[string]string{},
		failStatus: -1,
	}
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("%s %s: Authorization = %q", r.Method, r.URL.Path, got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "GET" && r.URL.Path == "/api/v2/instance":
		f.instanceHit++
		if f.instance == "" {
			w.WriteHeader(500)
			return
		}
		_, _ = io.WriteString(w, f.instance)
	case r.Method == "GET" && r.URL.Path == "/api/v1/instance":
		if f.instanceV1 == "" {
			w.WriteHeader(500)
			return
		}
		_, _ = io.WriteString(w, f.instanceV1)
	case r.Method == "GET" && r.URL.Path == "/api/v1/accounts/verify_credentials":
		_, _ = io.WriteString(w, `{"id":"1","username":"crieur","acct":"crieur"}`)
	case r.Method == "POST" && r.URL.Path == "/api/v2/media":
		f.media(w, r)
	case r.Method == "GET" && r.URL.Path == "/api/v1/media/m1":
		if f.processing > 0 {
			f.processing--
			w.WriteHeader(http.StatusPartialContent)
			_, _ = io.WriteString(w, `{"id":"m1","url":null}`)
			return
		}
		_, _ = io.WriteString(w, `{"id":"m1","type":"image","url":"https://files.example/m1.png"}`)
	case r.Method == "POST" && r.URL.Path == "/api/v1/statuses":
		f.status(w, r)
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/v1/statuses/"):
		f.readStatus(w, strings.TrimPrefix(r.URL.Path, "/api/v1/statuses/"))
	case r.Method == "GET" && r.URL.Path == "/api/v1/accounts/1/statuses":
		if got := r.URL.Query().Get("limit"); got != "40" {
			t.Errorf("statuses listed with limit %q, want 40", got)
		}
		f.listed++
		list := append([]map[string]any(nil), f.older...)
		for _, st := range f.rendered {
			list = append([]map[string]any{st}, list...) // newest first
		}
		list = append(append([]map[string]any(nil), f.newer...), list...)
		if maxID := r.URL.Query().Get("max_id"); maxID != "" && !f.ignoreMaxID {
			// The page after the status maxID, in the list's order.
			for i, st := range list {
				if st["id"] == maxID {
					list = list[i+1:]
					break
				}
			}
		}
		list = list[:min(len(list), 40)]
		_ = json.NewEncoder(w).Encode(list)
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"error":"Record not found"}`)
	}
}

func (f *fake) media(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		t.Errorf("media upload is not multipart: %v", err)
		w.WriteHeader(422)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		t.Errorf("media upload has no file field: %v", err)
		w.WriteHeader(422)
		return
	}
	got, _ := io.ReadAll(file)
	want, _ := os.ReadFile(pixel)
	if !bytes.Equal(got, want) || hdr.Filename != "pixel.png" || hdr.Header.Get("Content-Type") != "image/png" {
		t.Errorf("uploaded file %q (%s, %d bytes), want pixel.png (image/png, %d bytes)", hdr.Filename, hdr.Header.Get("Content-Type"), len(got), len(want))
	}
	if d := r.FormValue("description"); d != "A red bike leaning on a wall" {
		t.Errorf("description = %q, want the alt text", d)
	}
	f.alt = r.FormValue("description")
	if f.syncUpload {
		_, _ = io.WriteString(w, `{"id":"m1","type":"image","url":"https://files.example/m1.png"}`)
		return
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"id":"m1","type":"image","url":null}`)
}

func (f *fake) status(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("status Content-Type = %q", ct)
	}
	key := r.Header.Get("Idempotency-Key")
	if answer, ok := f.byKey[key]; ok && key != "" && !f.ignoreKeys {
		_, _ = io.WriteString(w, answer)
		return
	}
	var req statusRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		t.Errorf("status body: %v", err)
	}
	i := len(f.statuses)
	if i == f.failStatus {
		w.WriteHeader(422)
		_, _ = io.WriteString(w, `{"error":"Validation failed: Text character limit of 120 exceeded"}`)
		return
	}
	f.statuses = append(f.statuses, req)
	f.keys = append(f.keys, key)
	id := fmt.Sprintf("10%d", i+1)
	f.rendered = append(f.rendered, renderStatus(id, req, time.Date(2026, 11, 25, 9, 0, 1, 0, time.UTC), f.alt))
	answer := fmt.Sprintf(`{"id":%q,"url":"https://social.example/@crieur/%s","uri":"https://social.example/users/crieur/statuses/%s","created_at":"2026-11-25T09:00:01.000Z"}`, id, id, id)
	if key != "" {
		f.byKey[key] = answer
	}
	_, _ = io.WriteString(w, answer)
}

func config(base string) publishers.Config {
	return publishers.Config{
		Channel:  "acme-mastodon",
		Settings: map[string]string{"instance": base + "/", "visibility": "unlisted"},
		Secrets:  map[string]string{"token": token},
		Now:      func() time.Time { return now },
	}
}

func newPub(t *testing.T, f *fake) *Publisher {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	p, err := New(config(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	mp := p.(*Publisher)
	mp.PollInterval = time.Millisecond
	return mp
}

func TestConformance(t *testing.T) {
	publishertest.Run(t, publishertest.Suite{
		Network: "mastodon",
		Handler: func(t *testing.T) http.Handler {
			f := newFake(t)
			f.syncUpload = true // the suite's publisher polls at the default 1s
			return f
		},
		Configure: config,
		Post: func() publishers.Post {
			p := suitePost
			p.Link = "https://shop.example/spring?utm_campaign=spring&utm_medium=social&utm_source=mastodon"
			return p
		}(),
		Received: func(h http.Handler) []publishertest.Arrived {
			f := h.(*fake)
			f.mu.Lock()
			defer f.mu.Unlock()
			var out []publishertest.Arrived
			for i, st := range f.statuses {
				a := publishertest.Arrived{Text: st.Status, Key: f.keys[i]}
				for range st.MediaIDs {
					a.Media = append(a.Media, publishertest.Media{Name: "pixel.png", Alt: f.alt})
				}
				out = append(out, a)
			}
			return out
		},
		IgnoreKeys: func(h http.Handler) {
			f := h.(*fake)
			f.mu.Lock()
			f.ignoreKeys = true
			f.mu.Unlock()
		},
		Alt: true,
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteID != "101" || r.RemoteURL != "https://social.example/@crieur/101" {
				t.Errorf("result = %+v, want the first status", r)
			}
		},
		RateLimited:   publishertest.Fault{Status: 429, Header: map[string]string{"X-RateLimit-Reset": now.Add(90 * time.Second).Format("2006-01-02T15:04:05.000000Z")}, Body: `{"error":"Too many requests"}`},
		RateLimitWait: 90 * time.Second,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"error":"The access token is invalid"}`},
		Invalid:       publishertest.Fault{Status: 422, Body: `{"error":"Validation failed: File content type is invalid"}`},
		InvalidText:   "File content type is invalid",
	})
}

func TestThread(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	res, err := p.Publish(context.Background(), suitePost)
	if err != nil {
		t.Fatal(err)
	}
	want := []statusRequest{
		{Status: "Spring is here and our bikes are 20% off this week only. Read the details at https://shop.example/bikes/spring-sale-2026?utm_source=mastodon#list before Friday. 1/2", MediaIDs: []string{"m1"}, Visibility: "unlisted"},
		{Status: "Thanks @alice@bikes.example for the photos! 2/2", Visibility: "unlisted", InReplyToID: "101"},
		{Status: "Questions? Reply here.", Visibility: "unlisted", InReplyToID: "102"},
	}
	if !reflect.DeepEqual(f.statuses, want) {
		t.Errorf("statuses =\n%+v\nwant\n%+v", f.statuses, want)
	}
	for i, st := range f.statuses {
		if n := p.current().rules().Length(st.Status); n > 120 {
			t.Errorf("status %d is %d characters, over the instance's 120", i, n)
		}
	}
	if wantKeys := []string{"d7-4c2e-0", "d7-4c2e-1", "d7-4c2e-2"}; !reflect.DeepEqual(f.keys, wantKeys) {
		t.Errorf("Idempotency-Keys = %q, want %q", f.keys, wantKeys)
	}
	wantRes := publishers.Result{RemoteID: "101", RemoteURL: "https://social.example/@crieur/101", PublishedAt: time.Date(2026, 11, 25, 9, 0, 1, 0, time.UTC)}
	if res != wantRes {
		t.Errorf("result = %+v, want %+v", res, wantRes)
	}

	// A retry of the whole delivery (its outcome unknown) posts nothing new:
	// the instance answers each repeated key with the status it made.
	again, err := p.Publish(context.Background(), suitePost)
	if err != nil || again != wantRes {
		t.Errorf("retry = %+v, %v", again, err)
	}
	if len(f.statuses) != 3 {
		t.Errorf("a retry posted %d statuses in all, want 3", len(f.statuses))
	}
	if f.instanceHit != 1 {
		t.Errorf("instance limits read %d times, want once per publisher", f.instanceHit)
	}
}

func TestLimits(t *testing.T) {
	text := strings.Repeat("word ", 60) // 299 characters
	cases := []struct {
		name     string
		instance string
		parts    int
		limit    int
	}{
		{"instance limit", `{"configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":23}}}`, 3, 120},
		{"instance fails: defaults", "", 1, 500},
		{"fields absent: defaults", `{"title":"old server"}`, 1, 500},
		{"large limit", `{"configuration":{"statuses":{"max_characters":5000}}}`, 1, 5000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.instance = c.instance
			p := newPub(t, f)
			if got := p.Preview(publishers.Post{Text: text}).Limit; got != 500 {
				t.Errorf("before asking, Preview limit = %d, want the default 500", got)
			}
			if _, err := p.Publish(context.Background(), publishers.Post{Text: text, IdempotencyKey: "k"}); err != nil {
				t.Fatal(err)
			}
			if len(f.statuses) != c.parts {
				t.Errorf("posted %d statuses, want %d", len(f.statuses), c.parts)
			}
			if got := p.Preview(publishers.Post{Text: text}).Limit; got != c.limit {
				t.Errorf("after publishing, Preview limit = %d, want %d", got, c.limit)
			}
		})
	}
}

func TestMediaProcessing(t *testing.T) {
	post := publishers.Post{Text: "pic", Media: []publishers.Media{{Path: pixel, Alt: "A red bike leaning on a wall"}}}
	cases := []struct {
		name       string
		processing int
		pollLimit  int
		cancelWait bool // the context ends while waiting between checks
		ok         bool
	}{
		{"ready after three checks", 2, 5, false, true},
		{"still processing at the bound", 10, 3, false, false},
		{"context ends while waiting", 10, 3, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.processing = c.processing
			p := newPub(t, f)
			p.PollLimit = c.pollLimit
			ctx := context.Background()
			if c.cancelWait {
				p.PollInterval = time.Hour
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
			}
			_, err := p.Publish(ctx, post)
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				if f.processing != 0 || !reflect.DeepEqual(f.statuses[0].MediaIDs, []string{"m1"}) {
					t.Errorf("status posted before the media was processed (%d checks left)", f.processing)
				}
				return
			}
			if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
				t.Fatalf("err = %v, want transient", err)
			}
			if len(f.statuses) != 0 {
				t.Errorf("a status was posted with unprocessed media")
			}
		})
	}
}

func TestFailureMidThread(t *testing.T) {
	f := newFake(t)
	f.failStatus = 1
	p := newPub(t, f)
	res, err := p.Publish(context.Background(), suitePost)
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Permanent {
		t.Fatalf("err = %v, want permanent", err)
	}
	// The first status is live: the calendar must be able to keep its id.
	if res.RemoteID != "101" || res.RemoteURL != "https://social.example/@crieur/101" {
		t.Errorf("result = %+v, want the first status, which went out", res)
	}
	for _, w := range []string{"thread part 2/3", "https://social.example/@crieur/101", "character limit"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

func TestValidate(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	p.loadLimits(context.Background()) // the fake takes 2 media, 40-character alt text
	img := publishers.Media{Path: pixel, Alt: "ok"}
	cases := []struct {
		name string
		post publishers.Post
		want []string
	}{
		{"valid", suitePost, nil},
		{"long text is split, not refused", publishers.Post{Text: strings.Repeat("long ", 500)}, nil},
		{"media only", publishers.Post{Media: []publishers.Media{img}}, nil},
		{"empty", publishers.Post{Text: "  "}, []string{"text: a status needs text or media"}},
		{"explicit part too long", publishers.Post{Text: "hi", Thread: []string{strings.Repeat("é", 121)}},
			[]string{"thread[0]: 121/120 characters: 1 over the limit"}},
		{"too many media", publishers.Post{Text: "hi", Media: []publishers.Media{img, img, img}},
			[]string{"media: 3 attachments, the instance takes 2 per status"}},
		{"alt too long", publishers.Post{Text: "hi", Media: []publishers.Media{{Path: pixel, Alt: strings.Repeat("a", 41)}}},
			[]string{"media[0]: alt text is 41 characters, the instance takes 40"}},
		{"missing file", publishers.Post{Text: "hi", Media: []publishers.Media{{Path: "testdata/nope.png"}}},
			[]string{"media[0]: cannot read testdata/nope.png"}},
		{"directory", publishers.Post{Text: "hi", Media: []publishers.Media{{Path: "testdata"}}},
			[]string{"media[0]: testdata is a folder"}},
		{"device", publishers.Post{Text: "hi", Media: []publishers.Media{{Path: "/dev/zero"}}},
			[]string{"media[0]: /dev/zero is a device"}},
		{"image over Mastodon's limit", publishers.Post{Text: "hi", Media: []publishers.Media{{Path: bigImage(t)}}},
			[]string{"media[0]: " + bigImage(t) + " is 17 MB, over Mastodon's upload limit of 16 MB"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, pr := range p.Validate(c.post) {
				got = append(got, pr.String())
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Validate = %q, want %q", got, c.want)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	p := newPub(t, newFake(t))
	p.loadLimits(context.Background())
	pv := p.Preview(suitePost)
	if len(pv.Parts) != 3 || pv.Limit != 120 || pv.Unit != "characters" || len(pv.Problems) != 0 {
		t.Fatalf("Preview = %+v", pv)
	}
	// The URL counts 23 and the remote mention as its local part only.
	wantCounts := []int{
		publishers.CountRunes("Spring is here and our bikes are 20% off this week only. Read the details at  before Friday. 1/2") + 23,
		publishers.CountRunes("Thanks @alice for the photos! 2/2"),
		publishers.CountRunes("Questions? Reply here."),
	}
	if !reflect.DeepEqual(pv.Count, wantCounts) {
		t.Errorf("Count = %v, want %v", pv.Count, wantCounts)
	}
}

func TestCheck(t *testing.T) {
	p := newPub(t, newFake(t))
	msg, err := p.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "authenticated as @crieur on 127.0.0.1:") || !strings.HasSuffix(msg, "(120 characters per status)") {
		t.Errorf("Check = %q", msg)
	}
	// What Check read is given back for the channel to keep.
	wantLearned := map[string]string{"max_characters": "120", "characters_reserved_per_url": "23", "max_media_attachments": "2", "description_limit": "40"}
	if got := p.Learned(); !reflect.DeepEqual(got, wantLearned) {
		t.Errorf("Learned = %v, want %v", got, wantLearned)
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"error":"The access token is invalid"}`)
	}))
	defer srv.Close()
	bad, _ := New(config(srv.URL))
	_, err = bad.(*Publisher).Check(context.Background())
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Auth {
		t.Errorf("Check with a refused token = %v, want auth", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error leaks the token: %v", err)
	}
}

func TestNew(t *testing.T) {
	cases := []struct {
		name     string
		settings map[string]string
		secrets  map[string]string
		err      string
	}{
		{"host only", map[string]string{"instance": "mastodon.social"}, map[string]string{"token": token}, ""},
		{"no token", map[string]string{"instance": "https://m.example"}, nil, "secret token is missing"},
		{"bad visibility", map[string]string{"instance": "https://m.example", "visibility": "friends"}, map[string]string{"token": token}, "visibility"},
		{"bad instance", map[string]string{"instance": "ftp://m.example"}, map[string]string{"token": token}, "instance"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := New(publishers.Config{Settings: c.settings, Secrets: c.secrets})
			if c.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := p.(*Publisher).base; got != "https://mastodon.social" {
					t.Errorf("base = %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("err = %v, want one about %q", err, c.err)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("error leaks the token")
			}
		})
	}
}

func TestCountChars(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"@alice@bikes.example hi", len("@alice hi")},
		{"@bob hi", 7},
		{"mail me: a@b.example", 20}, // not a mention: no leading @
		{"café 🚲", 6},
	}
	for _, c := range cases {
		if got := countChars(c.in); got != c.want {
			t.Errorf("countChars(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// bigImage is a sparse 17 MB .png in the test's temporary folder.
func bigImage(t *testing.T) string {
	t.Helper()
	path := filepath.Join(os.TempDir(), "crieur-mastodon-big-"+strconv.Itoa(os.Getpid())+".png")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(17 << 20); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return path
}

// Mastodon has no link field: the post's link, tagged, goes in the status
// text and counts as a URL does there.
func TestLinkArrives(t *testing.T) {
	const link = "https://acme.example/guide?utm_campaign=winter&utm_medium=social&utm_source=mastodon"
	cases := []struct {
		name, text, want string
	}{
		{"appended", "Read our guide", "Read our guide\n\n" + link},
		{"already in the text", "Read " + link + " today", "Read " + link + " today"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			p := newPub(t, f)
			post := publishers.Post{Text: c.text, Link: link, IdempotencyKey: "k"}
			pv := p.Preview(post)
			if len(pv.Parts) != 1 || pv.Parts[0] != c.want {
				t.Errorf("preview parts = %q, want %q", pv.Parts, c.want)
			}
			if want := publishers.CountRunes(c.want) - len(link) + 23; len(pv.Count) != 1 || pv.Count[0] != want {
				t.Errorf("preview count = %v, want [%d] (the link counts 23)", pv.Count, want)
			}
			if _, err := p.Publish(context.Background(), post); err != nil {
				t.Fatal(err)
			}
			if len(f.statuses) != 1 || f.statuses[0].Status != c.want {
				t.Errorf("the instance received %+v, want one status %q", f.statuses, c.want)
			}
		})
	}
}

// A URL counts characters_reserved_per_url on Mastodon, but in full on
// servers known to count every character (GoToSocial advertises 25 and
// counts all); there, a long text is cut a margin below the limit.
func TestSoftwareCountsURLs(t *testing.T) {
	url := "https://shop.example/bikes/spring-sale-2026?utm_source=mastodon" // 63 characters
	text := "See " + url
	long := strings.Repeat("Ride more. ", 40) // 440 characters: four parts at 120
	cases := []struct {
		name, v2, v1 string
		software     string
		count        int // text's count
		maxPart      int // the longest part of long may count this much
	}{
		{"mastodon", `{"version":"4.3.2","configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":23}}}`, "", "mastodon", 4 + 23, 120},
		{"gotosocial by its source", `{"version":"0.18.3+git-9c8f5a0","source_url":"https://codeberg.org/superseriousbusiness/gotosocial","configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":25}}}`, "", "gotosocial", 4 + 63, 118},
		{"gotosocial by its v1 version", "", `{"version":"3.5.3+gotosocial-0.18.3","configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":25}}}`, "gotosocial", 4 + 63, 118},
		{"unknown software", `{"configuration":{"statuses":{"max_characters":120,"characters_reserved_per_url":30}}}`, "", "", 4 + 30, 120},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.instance, f.instanceV1 = c.v2, c.v1
			p := newPub(t, f)
			l := p.loadLimits(context.Background())
			if l.software != c.software {
				t.Errorf("software = %q, want %q", l.software, c.software)
			}
			if pv := p.Preview(publishers.Post{Text: text}); len(pv.Count) != 1 || pv.Count[0] != c.count {
				t.Errorf("count of %q = %v, want %d", text, pv.Count, c.count)
			}
			if got := p.Learned()[settingSoftware]; got != c.software {
				t.Errorf("Learned software = %q, want %q", got, c.software)
			}
			pv := p.Preview(publishers.Post{Text: long})
			longest := 0
			for _, n := range pv.Count {
				longest = max(longest, n)
			}
			if len(pv.Parts) < 4 || longest > c.maxPart {
				t.Errorf("long text cut into %d parts of up to %d characters, want parts of at most %d", len(pv.Parts), longest, c.maxPart)
			}
			// A text that fits the limit is never cut for the margin.
			if pv := p.Preview(publishers.Post{Text: strings.Repeat("a", 119)}); len(pv.Parts) != 1 {
				t.Errorf("a 119-character text was cut into %d parts", len(pv.Parts))
			}
		})
	}
}

// Limits stored on the channel (by `channel test`) are used offline, before
// the instance is asked.
func TestStoredLimits(t *testing.T) {
	cfg := config("https://social.example")
	cfg.Settings[settingMaxChars] = "5000"
	cfg.Settings[settingURLLength] = "25"
	cfg.Settings[settingSoftware] = "gotosocial"
	pub, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := pub.(*Publisher)
	part := strings.Repeat("é", 692)
	if probs := p.Validate(publishers.Post{Text: "hi", Thread: []string{part}}); len(probs) != 0 {
		t.Errorf("a 692-character part is refused at 5000: %v", probs)
	}
	pv := p.Preview(publishers.Post{Text: strings.Repeat("Ride more. ", 1000)}) // 10,999 characters
	if pv.Limit != 5000 || len(pv.Parts) != 3 {
		t.Errorf("preview limit %d in %d parts, want 5000 in 3", pv.Limit, len(pv.Parts))
	}
	if pv := p.Preview(publishers.Post{Text: "See https://shop.example/bikes"}); pv.Count[0] != 30 {
		t.Errorf("URL counted %v on gotosocial, want in full (30)", pv.Count)
	}

	for _, bad := range []string{"many", "0", "-3"} {
		cfg := config("https://social.example")
		cfg.Settings[settingMaxChars] = bad
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "max_characters") {
			t.Errorf("max_characters=%s: err = %v, want one naming the setting", bad, err)
		}
	}
}

// Find recognises the status an uncertain attempt created, so that a retry
// on a server that ignores Idempotency-Key never posts twice.
func TestFind(t *testing.T) {
	planned := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	post := suitePost
	post.ScheduledAt = planned
	other := func(id string, created time.Time) map[string]any {
		return renderStatus(id, statusRequest{Status: "Something else entirely"}, created, "")
	}
	// n statuses of other texts, newest first, the newest created at from
	// with id top.
	others := func(n, top int, from time.Time) []map[string]any {
		var out []map[string]any
		for i := range n {
			out = append(out, other(fmt.Sprint(top-i), from.Add(-time.Duration(i)*time.Second)))
		}
		return out
	}
	cases := []struct {
		name        string
		publish     bool // the post went out before Find
		change      func(*publishers.Post)
		older       []map[string]any
		newer       []map[string]any
		ignoreMaxID bool
		found       bool
		cannotTel   bool
		pages       int // pages read, when not 0
	}{
		{"the earlier attempt's thread", true, nil, nil, nil, false, true, false, 1},
		{"nothing published", false, nil, nil, nil, false, false, false, 1},
		{"same text, long before the post's time", true, func(p *publishers.Post) { p.ScheduledAt = planned.Add(24 * time.Hour) }, nil, nil, false, false, false, 0},
		{"other text", true, func(p *publishers.Post) { p.Text = "A different post" }, nil, nil, false, false, false, 0},
		{"other alt text", true, func(p *publishers.Post) {
			p.Media = []publishers.Media{{Path: pixel, Alt: "Another picture"}}
		}, nil, nil, false, false, false, 0},
		{"40 newer statuses, none matching, then the account's first: absent", false, nil, func() []map[string]any {
			var out []map[string]any
			for i := range 40 {
				out = append(out, other(fmt.Sprint(900-i), planned.Add(time.Duration(40-i)*time.Minute)))
			}
			return out
		}(), nil, false, false, false, 2},
		{"40 statuses reaching back past the post's time", false, nil, func() []map[string]any {
			var out []map[string]any
			for i := range 40 {
				out = append(out, other(fmt.Sprint(900-i), planned.Add(time.Duration(20-i)*time.Minute)))
			}
			return out
		}(), nil, false, false, false, 1},
		// A busy account (or a chaos run): the post is behind a page of newer statuses.
		{"the earlier attempt's status behind 100 newer ones", true, nil, nil, others(100, 5000, planned.Add(time.Hour)), false, true, false, 3},
		{"100 newer statuses, none matching, then older ones: absent", false, nil, others(40, 80, planned.Add(-time.Hour)), others(100, 5000, planned.Add(time.Hour)), false, false, false, 3},
		{"more newer statuses than Find reads: cannot tell", true, nil, nil, others(findPages*recentStatuses, 5000, planned.Add(time.Hour)), false, false, true, findPages},
		{"a server that ignores max_id, 40 newer statuses: cannot tell", true, nil, nil, others(40, 5000, planned.Add(time.Hour)), true, false, true, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.older, f.newer, f.ignoreMaxID = c.older, c.newer, c.ignoreMaxID
			p := newPub(t, f)
			if c.pages != 0 {
				defer func() {
					if f.listed != c.pages {
						t.Errorf("read %d pages of statuses, want %d", f.listed, c.pages)
					}
				}()
			}
			if c.publish {
				if _, err := p.Publish(context.Background(), post); err != nil {
					t.Fatal(err)
				}
			}
			look := post
			if c.change != nil {
				c.change(&look)
			}
			res, found, err := p.Find(context.Background(), look)
			if c.cannotTel {
				if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient || !strings.Contains(err.Error(), "cannot tell") {
					t.Fatalf("Find = %v, %v; want a transient 'cannot tell'", found, err)
				}
				return
			}
			want := publishers.Result{RemoteID: "101", RemoteURL: "https://social.example/@crieur/101", PublishedAt: time.Date(2026, 11, 25, 9, 0, 1, 0, time.UTC)}
			publishertest.CheckFind(t, res, found, err, c.found, false, want)
		})
	}
}

// A server that ignores Idempotency-Key and whose reply was lost: the retry
// the scheduler makes after Find never creates a second status.
func TestNeverTwiceWhenKeysAreIgnored(t *testing.T) {
	nw, err := publishers.Lookup("mastodon")
	if err != nil {
		t.Fatal(err)
	}
	if nw.Safety != publishers.RetryLookup {
		t.Fatalf("mastodon declares %v, want lookup", nw.Safety)
	}
	f := newFake(t)
	f.ignoreKeys = true
	p := newPub(t, f)
	post := publishers.Post{Text: "Read our guide", Link: "https://acme.example/guide?utm_source=mastodon", IdempotencyKey: "d1", ScheduledAt: now}
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	res, found, err := p.Find(context.Background(), post)
	if err != nil || !found || res.RemoteID != "101" {
		t.Fatalf("Find = %+v, %v, %v; want status 101", res, found, err)
	}
	if len(f.statuses) != 1 {
		t.Errorf("%d statuses, want 1", len(f.statuses))
	}
}

// What a status's text becomes once a server rendered it still matches
// the text crieur posted.
func TestComparable(t *testing.T) {
	cases := []struct{ name, posted, content string }{
		{"mastodon link and mention", "Hi @alice@bikes.example, see https://shop.example/bikes/spring-sale-2026?utm_source=x!",
			`<p>Hi <span class="h-card"><a href="https://bikes.example/@alice" class="u-url mention">@<span>alice</span></a></span>, see <a href="https://shop.example/bikes/spring-sale-2026?utm_source=x"><span class="invisible">https://</span><span class="ellipsis">shop.example/bikes/spring-sale</span><span class="invisible">-2026?utm_source=x</span></a>!</p>`},
		{"markdown rendered (gotosocial)", "We **ship** today.\n\nCome & see", `<p>We <strong>ship</strong> today.</p><p>Come &amp; see</p>`},
		{"link without its scheme", "Read https://acme.example/guide", `<p>Read <a href="https://acme.example/guide">acme.example/guide</a></p>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if a, b := comparable(c.posted), comparable(contentText(c.content)); a != b {
				t.Errorf("posted %q\nrendered %q", a, b)
			}
		})
	}
	if comparable("Sale ends Friday") == comparable("Sale ends Monday") {
		t.Errorf("two texts compare equal")
	}
}

// A thread's first status, cut at the limits of the day it went out, is
// still found when the instance's limit has changed since.
func TestFindThreadCutAtOtherLimits(t *testing.T) {
	f := newFake(t)
	p := newPub(t, f)
	post := suitePost
	if _, err := p.Publish(context.Background(), post); err != nil {
		t.Fatal(err)
	}
	f.instance = `{"configuration":{"statuses":{"max_characters":5000}}}`
	again := newPub(t, f)
	again.limits = nil
	res, found, err := again.Find(context.Background(), post)
	if err != nil || !found || res.RemoteID != "101" {
		t.Errorf("Find = %+v, %v, %v; want the thread's first status 101", res, found, err)
	}
	// A status that only starts like the post, without a counter, is not it.
	other := publishers.Post{Text: "Spring is here and our bikes are 20% off this week only. And more."}
	if _, found, err := again.Find(context.Background(), other); found || err != nil {
		t.Errorf("Find matched another post: %v, %v", found, err)
	}
}

// A thread cut short after its first status (a crash, or a failure between
// parts) is not found: Find reports the live first status through Confirm,
// so that the calendar records it and the next Publish posts only what is
// missing, replying to it; the whole thread is then found.
func TestFindThreadCutShort(t *testing.T) {
	f := newFake(t)
	f.ignoreKeys = true
	f.failStatus = 1
	p := newPub(t, f)
	post := publishers.Post{Text: "Spring sale starts today in every shop", Thread: []string{"Second part: the details"},
		IdempotencyKey: "d1", ScheduledAt: now}
	if _, err := p.Publish(context.Background(), post); err == nil {
		t.Fatal("Publish succeeded, want the second part refused")
	}
	f.failStatus = -1
	var confirmed []publishers.PartResult
	post.OnPart = func(r publishers.PartResult) error {
		confirmed = append(confirmed, r)
		return nil
	}
	if res, found, err := p.Find(context.Background(), post); err != nil || found {
		t.Fatalf("Find = %+v, %v, %v; want not found (the thread is cut short)", res, found, err)
	}
	if len(confirmed) != 1 || confirmed[0].Index != 0 || confirmed[0].RemoteID != "101" {
		t.Fatalf("Find confirmed %+v, want the first status (101) live", confirmed)
	}
	// Told again of what the calendar already keeps, it confirms nothing new.
	post.Live, confirmed = confirmed, nil
	if _, found, err := p.Find(context.Background(), post); err != nil || found || len(confirmed) != 0 {
		t.Fatalf("Find = %v, %v, confirmed %+v; want not found, nothing new confirmed", found, err, confirmed)
	}
	res, err := p.Publish(context.Background(), post)
	if err != nil || res.RemoteID != "101" {
		t.Fatalf("Publish = %+v, %v; want the thread completed from status 101", res, err)
	}
	if len(f.statuses) != 2 || f.statuses[1].Status != "Second part: the details" || f.statuses[1].InReplyToID != "101" {
		t.Fatalf("the server has %+v, want the first status once and the second replying to it", f.statuses)
	}
	post.Live = nil
	if res, found, err := p.Find(context.Background(), post); err != nil || !found || res.RemoteID != "101" {
		t.Fatalf("Find = %+v, %v, %v; want the whole thread found as 101", res, found, err)
	}
}
