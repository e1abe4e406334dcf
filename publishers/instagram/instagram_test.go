package instagram

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

func settings(t *testing.T, api string) map[string]string {
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	return map[string]string{"api": api, "version": fakeVersion, "user": fakeUser, "media_dir": dir, "media_base_url": srv.URL}
}

func suite(t *testing.T) publishertest.Suite {
	img, _ := jpegFile(t, "cover.jpg")
	return publishertest.Suite{
		Network: "instagram",
		Handler: func(t *testing.T) http.Handler { return newFake(t) },
		Configure: func(base string) publishers.Config {
			return publishers.Config{Channel: "acme-ig", Settings: settings(t, base), Secrets: map[string]string{"access_token": fakeToken}}
		},
		Post: publishertest.ThreadPost(img),
		CheckResult: func(t *testing.T, r publishers.Result) {
			if r.RemoteURL != "https://www.instagram.com/p/"+r.RemoteID+"/" {
				t.Errorf("result %+v: want the post's id and permalink", r)
			}
		},
		RateLimited: publishertest.Fault{Status: 400,
			Header: map[string]string{"X-Business-Use-Case-Usage": `{"` + fakeUser + `":[{"type":"instagram","call_count":100,"total_cputime":9,"total_time":9,"estimated_time_to_regain_access":12}]}`},
			Body:   `{"error":{"message":"Calls to this api have exceeded the rate limit.","type":"OAuthException","code":80002}}`},
		RateLimitWait: 12 * time.Minute,
		Unauthorized:  publishertest.Fault{Status: 400, Body: `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`},
		Invalid:       publishertest.Fault{Status: 400, Body: `{"error":{"message":"The aspect ratio is not supported.","type":"OAuthException","code":36003,"error_subcode":2207009}}`},
		InvalidText:   "The aspect ratio is not supported.",
		Received:      func(h http.Handler) []publishertest.Arrived { return h.(*fakeInstagram).arrived() },
		Alt:           true,
	}
}

func TestConformance(t *testing.T) { publishertest.Run(t, suite(t)) }

func build(t *testing.T, api string) *Publisher {
	t.Helper()
	p, err := New(publishers.Config{Channel: "acme-ig", Settings: settings(t, api), Secrets: map[string]string{"access_token": fakeToken},
		HTTP: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Publisher)
}

// A carousel's items carry their alt texts and the bytes Meta fetched;
// the caption holds the thread parts and the link.
func TestCarousel(t *testing.T) {
	f := newFake(t)
	a, data := jpegFile(t, "a.jpg")
	res, err := build(t, publishertest.Server(t, f).URL).Publish(context.Background(), publishers.Post{Text: "Two", Thread: []string{"More"},
		Link: "https://example.org/x", Media: []publishers.Media{{Path: a, Alt: "first"}, {Path: a, Alt: "second"}}})
	if err != nil {
		t.Fatal(err)
	}
	got := f.arrived()
	if len(got) != 1 || got[0].Text != "Two\n\nMore\n\nhttps://example.org/x" || len(got[0].Media) != 2 || got[0].Media[1].Alt != "second" {
		t.Fatalf("arrived %+v", got)
	}
	if f.media[0].id != res.RemoteID || !bytes.Equal(f.containers[f.media[0].c.children[0]].image, data) {
		t.Errorf("result %+v: want the carousel, its images fetched whole", res)
	}
}

// A crash between the container and media_publish: the next attempt
// publishes the recorded container (no second one), or, when it was
// published, finds the post; an expired container is replaced.
func TestContainerRecovery(t *testing.T) {
	for _, status := range []string{"FINISHED", "PUBLISHED", "EXPIRED"} {
		t.Run(status, func(t *testing.T) {
			f := newFake(t)
			p := build(t, publishertest.Server(t, f).URL)
			img, _ := jpegFile(t, "c.jpg")
			var recorded []publishers.PartResult
			post := publishers.Post{Text: "Spring", Media: []publishers.Media{{Path: img, Alt: "a cake"}}, ScheduledAt: time.Now(),
				OnPart: func(r publishers.PartResult) error { recorded = append(recorded, r); return nil }}
			// The first attempt makes and records the container, then dies
			// (here: stops) before media_publish.
			id, err := p.container(context.Background(), caption(post), post.Media)
			if err != nil {
				t.Fatal(err)
			}
			_ = post.Confirm(publishers.PartResult{Index: 0, Ref: "container:" + id})
			f.mu.Lock()
			if status == "PUBLISHED" {
				f.seq++
				f.media = append(f.media, igMedia{id: "17900001", c: f.containers[id], created: time.Now()})
			}
			f.containers[id].status = status
			f.mu.Unlock()

			retry := post
			retry.Live = recorded
			res, err := p.Publish(context.Background(), retry)
			if err != nil {
				t.Fatal(err)
			}
			wantMade := map[string]int{"FINISHED": 1, "PUBLISHED": 1, "EXPIRED": 2}[status]
			if len(f.media) != 1 || res.RemoteID != f.media[0].id || f.made != wantMade {
				t.Errorf("%d posts, %d containers, result %+v: want one post, %d containers", len(f.media), f.made, res, wantMade)
			}
		})
	}
}

// At the 24-hour quota the post waits, saying why; nothing is made.
func TestQuota(t *testing.T) {
	f := newFake(t)
	f.used = 50
	img, _ := jpegFile(t, "q.jpg")
	_, err := build(t, publishertest.Server(t, f).URL).Publish(context.Background(), publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}}})
	publishertest.CheckError(t, err, publishers.RateLimited, time.Hour, "50 of the 50 posts allowed in 24 hours are used")
	if f.made != 0 {
		t.Errorf("%d containers made over quota", f.made)
	}
}

func TestValidate(t *testing.T) {
	p, err := network.Open(map[string]string{"user": fakeUser})
	if err != nil {
		t.Fatal(err)
	}
	img, _ := jpegFile(t, "v.jpg")
	png := publishertest.WriteFile(t, "v.png", publishertest.PNG)
	web := publishers.Media{Path: "https://cdn.example.org/a.jpg"}
	cases := []struct {
		post publishers.Post
		want string
	}{
		{publishers.Post{Text: "x"}, "needs an image"},
		{publishers.Post{Text: strings.Repeat("a", maxCaption+1), Media: []publishers.Media{web}}, "over the caption's limit"},
		{publishers.Post{Text: strings.Repeat("#tag ", 31), Media: []publishers.Media{web}}, "31 hashtags"},
		{publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}}}, "media host"},
		{publishers.Post{Text: "x", Media: make([]publishers.Media, 11)}, "carousel takes 10"},
	}
	for _, c := range cases {
		probs := p.Validate(c.post)
		found := false
		for _, pr := range probs {
			found = found || strings.Contains(pr.String(), c.want)
		}
		if !found {
			t.Errorf("problems %v: want %q", probs, c.want)
		}
	}
	hosted, _ := network.Open(map[string]string{"user": fakeUser, "media_dir": t.TempDir(), "media_base_url": "https://brand.example/media"})
	if probs := hosted.Validate(publishers.Post{Text: "x", Media: []publishers.Media{{Path: png}}}); len(probs) != 1 || !strings.Contains(probs[0].Message, "JPEG") {
		t.Errorf("a PNG: %v", probs)
	}
	if probs := hosted.Validate(publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}, web}}); len(probs) != 0 {
		t.Errorf("a hosted JPEG and an https one: %v", probs)
	}
	if pv := p.Preview(publishers.Post{Text: "x", Media: []publishers.Media{{Path: img}}}); !strings.Contains(pv.Extra, "no media host") {
		t.Errorf("preview %q does not say the media host is missing", pv.Extra)
	}
	if _, err := network.Open(map[string]string{}); err == nil {
		t.Error("a channel without its account id accepted")
	}
}
