package threads

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// mediaHost is a media_dir and the local web server that publishes it.
func mediaHost(t *testing.T) (dir, base string) {
	dir = t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return dir, srv.URL + "/media"
}

func hostSettings(t *testing.T, api string) map[string]string {
	dir, base := mediaHost(t)
	// The media server serves dir at /media/.
	return map[string]string{"api": api, "version": fakeVersion, "user": fakeUser, "media_dir": dir, "media_base_url": strings.TrimSuffix(base, "/media")}
}

func suite(t *testing.T) publishertest.Suite {
	img := publishertest.WriteFile(t, "cover.png", publishertest.PNG)
	return publishertest.Suite{
		Network: "threads",
		Handler: func(t *testing.T) http.Handler { return newFake(t) },
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-th", Settings: hostSettings(t, base), Secrets: map[string]string{"access_token": fakeToken}}
		},
		Post: publishertest.ThreadPost(img),
		CheckResult: func(t *testing.T, r publishers.Result) {
			if !strings.HasPrefix(r.RemoteID, "1800") || r.RemoteURL != "https://www.threads.net/@acme/post/"+r.RemoteID {
				t.Errorf("result %+v: want the post's id and permalink", r)
			}
		},
		RateLimited: publishertest.Fault{Status: 400,
			Header: map[string]string{"X-Business-Use-Case-Usage": `{"` + fakeUser + `":[{"type":"threads","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":3}]}`},
			Body:   `{"error":{"message":"Application request limit reached","type":"THApiException","code":4,"is_transient":true}}`},
		RateLimitWait: 3 * time.Minute,
		Unauthorized:  publishertest.Fault{Status: 401, Body: `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190}}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"error":{"message":"The parameter image_url is required.","type":"THApiException","code":100}}`},
		InvalidText:   "The parameter image_url is required.",
		Received:      func(h http.Handler) []publishertest.Arrived { return h.(*fakeThreads).arrived() },
		Alt:           true,
	}
}

func TestConformance(t *testing.T) { publishertest.Run(t, suite(t)) }

func build(t *testing.T, api string) *Publisher {
	t.Helper()
	p, err := New(publishers.Config{Channel: "acme-th", Settings: hostSettings(t, api), Secrets: map[string]string{"access_token": fakeToken},
		HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Publisher)
}

// recorder is the calendar's part recorder.
type recorder struct {
	mu    sync.Mutex
	parts map[int]publishers.PartResult
}

func (r *recorder) on(p publishers.PartResult) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parts == nil {
		r.parts = map[int]publishers.PartResult{}
	}
	r.parts[p.Index] = p
	return nil
}

func (r *recorder) live() []publishers.PartResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []publishers.PartResult
	for _, p := range r.parts {
		out = append(out, p)
	}
	return out
}

// failing answers the first request matching path with a failure: a 500,
// or (drop) the real answer's connection closed after the fake acted.
type failing struct {
	next http.Handler
	path string
	drop bool
	mu   sync.Mutex
	done bool
}

func (h *failing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	hit := !h.done && strings.HasSuffix(r.URL.Path, h.path)
	h.done = h.done || hit
	h.mu.Unlock()
	if !hit {
		h.next.ServeHTTP(w, r)
		return
	}
	if h.drop {
		h.next.ServeHTTP(httptest.NewRecorder(), r)
		conn, _, _ := http.NewResponseController(w).Hijack()
		_ = conn.Close()
		return
	}
	publishertest.WriteJSON(w, 500, map[string]any{"error": map[string]any{"message": "An unknown error occurred", "code": 2}})
}

// The process dies between the container and its publishing (the publish
// fails, or its reply is lost): the container was recorded first, and the
// next attempt publishes that container, or finds the post it made,
// without a second post.
func TestCrashBetweenContainerAndPublish(t *testing.T) {
	for _, drop := range []bool{false, true} {
		name := map[bool]string{false: "publish failed", true: "reply lost"}[drop]
		t.Run(name, func(t *testing.T) {
			f := newFake(t)
			h := &failing{next: f, path: "/threads_publish", drop: drop}
			p := build(t, publishertest.Server(t, h).URL)
			rec := &recorder{}
			post := publishers.Post{Text: "Spring is here", ScheduledAt: time.Now(), OnPart: rec.on}
			if _, err := p.Publish(context.Background(), post); err == nil {
				t.Fatal("the first attempt succeeded")
			}
			live := rec.live()
			if len(live) != 1 || live[0].RemoteID != "" || !strings.HasPrefix(live[0].Ref, "container:") {
				t.Fatalf("recorded %+v: want the container, not live", live)
			}
			retry := post
			retry.Live = live
			res, err := build(t, publishertest.Server(t, f).URL).Publish(context.Background(), retry)
			if err != nil {
				t.Fatal(err)
			}
			posts := f.posts()
			if len(posts) != 1 || res.RemoteID != posts[0].ID || f.count("POST /v1.0/"+fakeUser+"/threads") != 1 {
				t.Errorf("posts %+v, result %+v, %d containers: want one post from the one container", posts, res, f.count("POST /v1.0/"+fakeUser+"/threads"))
			}
			if got := rec.live(); got[0].RemoteID != res.RemoteID {
				t.Errorf("recorded %+v: want the post live", got)
			}
		})
	}
}

// A recorded container that expired (or failed) is replaced by a new one.
func TestExpiredContainerIsReplaced(t *testing.T) {
	f := newFake(t)
	h := &failing{next: f, path: "/threads_publish"}
	p := build(t, publishertest.Server(t, h).URL)
	rec := &recorder{}
	post := publishers.Post{Text: "Spring is here", OnPart: rec.on}
	if _, err := p.Publish(context.Background(), post); err == nil {
		t.Fatal("the first attempt succeeded")
	}
	old := strings.TrimPrefix(rec.live()[0].Ref, "container:")
	f.setStatus(old, "EXPIRED")
	retry := post
	retry.Live = rec.live()
	if _, err := p.Publish(context.Background(), retry); err != nil {
		t.Fatal(err)
	}
	posts := f.posts()
	if len(posts) != 1 || posts[0].Container.ID == old {
		t.Errorf("posts %+v: want one post from a new container", posts)
	}
}

// Over the 24-hour quota, the post waits, saying why, and nothing is made.
func TestQuota(t *testing.T) {
	f := newFake(t)
	f.used = 250
	_, err := build(t, publishertest.Server(t, f).URL).Publish(context.Background(), publishers.Post{Text: "one more"})
	publishertest.CheckError(t, err, publishers.RateLimited, time.Hour, "250 of the 250 posts allowed in 24 hours are used")
	if f.count("POST /v1.0/"+fakeUser+"/threads") != 0 {
		t.Errorf("a container was made over quota")
	}
	f.used, f.replies = 0, 1000
	_, err = build(t, publishertest.Server(t, f).URL).Publish(context.Background(), publishers.Post{Text: "first", Thread: []string{"a reply"}})
	publishertest.CheckError(t, err, publishers.RateLimited, time.Hour, "replies")
}

// A carousel's items carry their alt text; the thread's parts reply each
// to the one before.
func TestCarouselAndThread(t *testing.T) {
	f := newFake(t)
	p := build(t, publishertest.Server(t, f).URL)
	a := publishertest.WriteFile(t, "a.png", publishertest.PNG)
	post := publishers.Post{Text: "Two pictures", Thread: []string{"Part two", "Part three"},
		Media: []publishers.Media{{Path: a, Alt: "first"}, {Path: "https://cdn.example.org/b.jpg", Alt: "second"}}}
	// The https image is Meta's to fetch; here the fake cannot: give it ours.
	post.Media[1].Path = a
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	posts := f.posts()
	if len(posts) != 3 || posts[0].ID != res.RemoteID || posts[0].Container.Type != "CAROUSEL" {
		t.Fatalf("posts %+v", posts)
	}
	if posts[1].ReplyTo != posts[0].ID || posts[2].ReplyTo != posts[1].ID || posts[2].Text != "Part three" {
		t.Errorf("replies %+v: want each replying to the one before", posts[1:])
	}
	got := f.arrived()[0].Media
	if len(got) != 2 || got[0].Alt != "first" || got[1].Alt != "second" || !strings.Contains(got[0].Name, "/") {
		t.Errorf("carousel items %+v", got)
	}
	for _, id := range f.containers[posts[0].Container.ID].Children {
		if !bytes.Equal(f.containers[id].Image, []byte(publishertest.PNG)) {
			t.Errorf("item %s: Meta fetched %d bytes, want the PNG", id, len(f.containers[id].Image))
		}
	}
}

func TestCountAndValidate(t *testing.T) {
	if n := Count("ab😀"); n != 6 {
		t.Errorf("Count = %d, want 2 + the emoji's 4 bytes", n)
	}
	p, err := network.Open(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	img := publishertest.WriteFile(t, "c.png", publishertest.PNG)
	probs := p.Validate(publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}}})
	if len(probs) != 1 || !strings.Contains(probs[0].Message, "media host") {
		t.Errorf("problems %v: want the missing media host", probs)
	}
	if pv := p.Preview(publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}}}); !strings.Contains(pv.Extra, "no media host") {
		t.Errorf("preview %q does not say the media host is missing", pv.Extra)
	}
	if probs := p.Validate(publishers.Post{Text: "x", Media: []publishers.Media{{Path: "https://cdn.example.org/a.jpg"}}}); len(probs) != 0 {
		t.Errorf("an https image needs no media host: %v", probs)
	}
	long := strings.Repeat("word ", 120)
	if probs := publishers.CheckThreading(p, publishers.Post{Text: long}); len(probs) != 1 {
		t.Errorf("a long text without --thread: %v", probs)
	}
	if n, _, _, _ := p.TextThread(publishers.Post{Text: long}); n != 2 {
		t.Errorf("TextThread = %d posts, want 2", n)
	}
	for _, bad := range []map[string]string{{"user": "acme"}, {"media_dir": "/srv/media"}, {"media_dir": "rel", "media_base_url": "https://x.example"}, {"media_dir": "/srv", "media_base_url": "http://x.example"}} {
		if _, err := network.Open(bad); err == nil {
			t.Errorf("settings %v accepted", bad)
		}
	}
}
