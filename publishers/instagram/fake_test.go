package instagram

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers/publishertest"
)

// The fake Instagram checks every request as Instagram Platform ›
// Content Publishing and the IG User › Media, Media Publish, Content
// Publishing Limit and IG Container references describe them; it fetches
// each image_url over HTTP, as Meta does, and stores what arrives.

const (
	fakeUser    = "17841405822304914"
	fakeToken   = "EAAG-instagram-Secret-token"
	fakeVersion = "v25.0"
)

// jpegFile is a tiny JPEG, the only image format Instagram takes.
func jpegFile(t *testing.T, name string) (path string, data []byte) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return publishertest.WriteFile(t, name, buf.String()), buf.Bytes()
}

type igContainer struct {
	id, caption, imageURL, alt, mediaType string
	item                                  bool
	children                              []string
	image                                 []byte
	status                                string
}

type igMedia struct {
	id      string
	c       *igContainer
	created time.Time
}

type fakeInstagram struct {
	t          *testing.T
	mu         sync.Mutex
	containers map[string]*igContainer
	media      []igMedia
	seq        int
	used       int
	made       int // containers made
	// engagement is each media's counts as Instagram answers them (raw
	// JSON members); a media not there does not exist. reads are the
	// media read for their numbers; throttled answers them with 80002.
	engagement map[string]string
	reads      []string
	throttled  bool
}

func newFake(t *testing.T) *fakeInstagram {
	return &fakeInstagram{t: t, containers: map[string]*igContainer{}}
}

func igError(w http.ResponseWriter, status, code int, msg string) {
	publishertest.WriteJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "OAuthException", "code": code, "fbtrace_id": "I1"}})
}

func (f *fakeInstagram) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+fakeVersion+"/")
	if !ok || r.URL.Query().Get("access_token") != "" {
		f.t.Errorf("%s %s: not under /%s/, or the token in the URL", r.Method, r.URL.RequestURI(), fakeVersion)
	}
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		igError(w, 400, 190, "Error validating access token")
		return
	}
	node, edge, _ := strings.Cut(rest, "/")
	if edge != "" && node != fakeUser {
		f.t.Errorf("%s %s: user %q", r.Method, r.URL.Path, node)
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == "POST" && edge == "media":
		f.container(w, form)
	case r.Method == "POST" && edge == "media_publish":
		c, ok := f.containers[form.Get("creation_id")]
		switch {
		case len(form) != 1 || !ok || c.item:
			f.t.Errorf("media_publish %v: want the creation_id of a post's container", form)
			igError(w, 400, 100, "Invalid parameter")
		case c.status == "PUBLISHED":
			igError(w, 400, 9007, "The media has already been published")
		case c.status != "FINISHED":
			igError(w, 400, 9007, "Media ID is not available")
		default:
			f.seq++
			m := igMedia{id: fmt.Sprintf("1790%04d", f.seq), c: c, created: time.Now()}
			c.status = "PUBLISHED"
			f.media = append(f.media, m)
			publishertest.WriteJSON(w, 200, map[string]any{"id": m.id})
		}
	case r.Method == "GET" && edge == "content_publishing_limit":
		if q.Get("fields") != "quota_usage,config" {
			f.t.Errorf("content_publishing_limit: fields %q", q.Get("fields"))
		}
		publishertest.WriteJSON(w, 200, map[string]any{"data": []any{map[string]any{"quota_usage": f.used + len(f.media),
			"config": map[string]any{"quota_total": 50, "quota_duration": 86400}}}})
	case r.Method == "GET" && edge == "media":
		if q.Get("fields") != "id,caption,timestamp,permalink" {
			f.t.Errorf("media: fields %q", q.Get("fields"))
		}
		data := []any{}
		for i := len(f.media) - 1; i >= 0; i-- {
			m := f.media[i]
			data = append(data, map[string]any{"id": m.id, "caption": m.c.caption, "timestamp": m.created.UTC().Format("2006-01-02T15:04:05-0700"),
				"permalink": "https://www.instagram.com/p/" + m.id + "/"})
		}
		publishertest.WriteJSON(w, 200, map[string]any{"data": data})
	case r.Method == "GET" && edge == "":
		if c, ok := f.containers[node]; ok {
			if q.Get("fields") != "id,status_code,status" {
				f.t.Errorf("container: fields %q", q.Get("fields"))
			}
			publishertest.WriteJSON(w, 200, map[string]any{"id": node, "status_code": c.status, "status": "Finished: Media has been uploaded"})
			return
		}
		if q.Get("fields") == "like_count,comments_count" {
			f.counts(w, node)
			return
		}
		if q.Get("fields") == "permalink" {
			publishertest.WriteJSON(w, 200, map[string]any{"id": node, "permalink": "https://www.instagram.com/p/" + node + "/"})
			return
		}
		publishertest.WriteJSON(w, 200, map[string]any{"id": fakeUser, "username": "acme"})
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		igError(w, 400, 100, "Unsupported request")
	}
}

// counts answers GET /{ig-media-id}?fields=like_count,comments_count (IG
// Media reference).
func (f *fakeInstagram) counts(w http.ResponseWriter, id string) {
	f.reads = append(f.reads, id)
	if f.throttled {
		w.Header().Set("X-Business-Use-Case-Usage", `{"`+fakeUser+`":[{"type":"instagram","call_count":100,"total_cputime":9,"total_time":9,"estimated_time_to_regain_access":12}]}`)
		igError(w, 400, 80002, "Calls to this api have exceeded the rate limit.")
		return
	}
	fields, ok := f.engagement[id]
	if !ok {
		publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Unsupported get request. Object with ID '" + id +
			"' does not exist, cannot be loaded due to missing permissions, or does not support this operation", "type": "GraphMethodException", "code": 100, "error_subcode": 33}})
		return
	}
	if fields != "" {
		fields = "," + fields
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"`+id+`"`+fields+`}`)
}

func (f *fakeInstagram) container(w http.ResponseWriter, form url.Values) {
	c := &igContainer{caption: form.Get("caption"), imageURL: form.Get("image_url"), alt: form.Get("alt_text"), mediaType: form.Get("media_type"),
		item: form.Get("is_carousel_item") == "true", status: "FINISHED"}
	for k := range form {
		switch k {
		case "caption", "image_url", "alt_text", "media_type", "is_carousel_item", "children":
		default:
			f.t.Errorf("media: field %q", k)
		}
	}
	switch c.mediaType {
	case "":
		// An image: Meta fetches it now (cURL), and takes JPEG only.
		resp, err := http.Get(c.imageURL)
		if err != nil || resp.StatusCode != 200 {
			f.t.Errorf("fetching %s: %v %v", c.imageURL, err, resp)
			igError(w, 400, 9004, "Only photo or video can be accepted as media type.")
			return
		}
		c.image, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !bytes.HasPrefix(c.image, []byte{0xff, 0xd8}) {
			f.t.Errorf("%s is not a JPEG", c.imageURL)
		}
		if c.item && c.caption != "" {
			f.t.Errorf("a carousel item with a caption")
		}
	case "CAROUSEL":
		c.children = strings.Split(form.Get("children"), ",")
		if len(c.children) < 2 || len(c.children) > 10 || c.imageURL != "" || c.alt != "" {
			f.t.Errorf("carousel %+v", c)
		}
		for _, id := range c.children {
			if ch, ok := f.containers[id]; !ok || !ch.item {
				f.t.Errorf("carousel child %q is not an item", id)
			}
		}
	default:
		f.t.Errorf("media_type %q", c.mediaType)
	}
	f.seq++
	f.made++
	c.id = fmt.Sprintf("1789%04d", f.seq)
	f.containers[c.id] = c
	publishertest.WriteJSON(w, 200, map[string]any{"id": c.id})
}

func (f *fakeInstagram) arrived() []publishertest.Arrived {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []publishertest.Arrived
	for _, m := range f.media {
		a := publishertest.Arrived{Text: m.c.caption}
		items := []*igContainer{m.c}
		if m.c.mediaType == "CAROUSEL" {
			items = nil
			for _, id := range m.c.children {
				items = append(items, f.containers[id])
			}
		}
		for _, c := range items {
			a.Media = append(a.Media, publishertest.Media{Name: c.imageURL, Alt: c.alt})
		}
		out = append(out, a)
	}
	return out
}
