package threads

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers/publishertest"
)

// The fake Threads checks every request as Threads › Posts (containers,
// threads_publish, carousels, replies), Accessibility (alt_text),
// Troubleshooting (container status) and Overview (publishing limits)
// describe them; it fetches each image_url over HTTP, as Meta does, and
// stores what arrives.

const (
	fakeUser    = "17841400000000001"
	fakeToken   = "THAA-threads-Secret-token"
	fakeVersion = "v1.0"
)

type fakeContainer struct {
	ID, Type, Text, ImageURL, Alt, ReplyTo string
	Image                                  []byte
	Carousel                               bool
	Children                               []string
	Status                                 string
	MediaID                                string
}

type fakeMedia struct {
	ID, Text, ReplyTo string
	Container         *fakeContainer
	Created           time.Time
}

type fakeThreads struct {
	t          *testing.T
	mu         sync.Mutex
	containers map[string]*fakeContainer
	media      []fakeMedia
	seq        int
	used       int // posts published in the last 24 hours before the test
	replies    int
	calls      []string // METHOD path, in order
	// insights are each post's media insights as Threads answers them
	// (raw JSON entries of data); a post not there does not exist.
	// noInsights refuses them as a token without threads_manage_insights;
	// throttled answers them with code 4.
	insights   map[string]string
	noInsights bool
	throttled  bool
}

func newFake(t *testing.T) *fakeThreads {
	return &fakeThreads{t: t, containers: map[string]*fakeContainer{}}
}

func graphError(w http.ResponseWriter, status, code int, msg string) {
	publishertest.WriteJSON(w, status, map[string]any{"error": map[string]any{"message": msg, "type": "THApiException", "code": code, "fbtrace_id": "T1"}})
}

func (f *fakeThreads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if r.URL.Query().Get("access_token") != "" {
		f.t.Errorf("%s %s: the token travels in the URL", r.Method, r.URL.Path)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+fakeVersion+"/")
	if !ok {
		f.t.Errorf("%s %s: not under /%s/", r.Method, r.URL.Path, fakeVersion)
		graphError(w, 400, 100, "Unknown path")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		graphError(w, 401, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	user, edge, _ := strings.Cut(rest, "/")
	if r.Method == "GET" && edge == "insights" && user != "me" && user != fakeUser {
		f.mediaInsights(w, r, user)
		return
	}
	if edge != "" && user != "me" && user != fakeUser {
		f.t.Errorf("%s %s: user %q", r.Method, r.URL.Path, user)
	}
	switch {
	case r.Method == "POST" && edge == "threads":
		f.create(w, r)
	case r.Method == "POST" && edge == "threads_publish":
		f.publish(w, r)
	case r.Method == "GET" && edge == "threads_publishing_limit":
		if r.URL.Query().Get("fields") != "quota_usage,config,reply_quota_usage,reply_config" {
			f.t.Errorf("threads_publishing_limit: fields %q", r.URL.Query().Get("fields"))
		}
		f.mu.Lock()
		used, replies := f.used, f.replies
		for _, m := range f.media {
			if m.ReplyTo == "" {
				used++
			} else {
				replies++
			}
		}
		f.mu.Unlock()
		publishertest.WriteJSON(w, 200, map[string]any{"data": []any{map[string]any{
			"quota_usage": used, "config": map[string]any{"quota_total": 250, "quota_duration": 86400},
			"reply_quota_usage": replies, "reply_config": map[string]any{"quota_total": 1000, "quota_duration": 86400}}}})
	case r.Method == "GET" && (edge == "threads" || edge == "replies"):
		f.list(w, r, edge == "replies")
	case r.Method == "GET" && edge == "":
		f.node(w, r, user)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		graphError(w, 400, 100, "Unsupported request")
	}
}

var containerFields = map[string]bool{"media_type": true, "text": true, "image_url": true, "alt_text": true, "is_carousel_item": true, "children": true, "reply_to_id": true}

func (f *fakeThreads) create(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("threads: Content-Type %q", ct)
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	for k := range form {
		if !containerFields[k] {
			f.t.Errorf("threads: field %q", k)
		}
	}
	c := &fakeContainer{Type: form.Get("media_type"), Text: form.Get("text"), ImageURL: form.Get("image_url"), Alt: form.Get("alt_text"),
		ReplyTo: form.Get("reply_to_id"), Carousel: form.Get("is_carousel_item") == "true", Status: "FINISHED"}
	if c.Text != "" && Count(c.Text) > maxChars {
		graphError(w, 400, 100, "The text is too long")
		return
	}
	switch c.Type {
	case "TEXT":
		if c.Text == "" || c.ImageURL != "" || c.Alt != "" || c.Carousel {
			f.t.Errorf("TEXT container %+v: text only", c)
		}
	case "IMAGE":
		if c.ImageURL == "" {
			f.t.Errorf("IMAGE container without image_url")
			graphError(w, 400, 100, "image_url is required")
			return
		}
		// Meta fetches the image from its public URL now.
		resp, err := http.Get(c.ImageURL)
		if err != nil || resp.StatusCode != 200 {
			f.t.Errorf("fetching %s: %v %v", c.ImageURL, err, resp)
			graphError(w, 400, 100, "Media download has failed.: The media could not be fetched from this uri: "+c.ImageURL)
			return
		}
		c.Image, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if c.Carousel && (c.Text != "" || c.ReplyTo != "") {
			f.t.Errorf("carousel item with text or reply_to_id: %+v", c)
		}
	case "CAROUSEL":
		c.Children = strings.Split(form.Get("children"), ",")
		if len(c.Children) < 2 || len(c.Children) > 20 {
			f.t.Errorf("carousel of %d children", len(c.Children))
		}
		f.mu.Lock()
		for _, id := range c.Children {
			if ch, ok := f.containers[id]; !ok || !ch.Carousel {
				f.t.Errorf("carousel child %q is not a carousel item", id)
			}
		}
		f.mu.Unlock()
	default:
		f.t.Errorf("media_type %q", c.Type)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ReplyTo != "" && !f.published(c.ReplyTo) {
		f.t.Errorf("reply_to_id %q is not a published post", c.ReplyTo)
	}
	f.seq++
	c.ID = fmt.Sprintf("1788%04d", f.seq)
	f.containers[c.ID] = c
	publishertest.WriteJSON(w, 200, map[string]any{"id": c.ID})
}

func (f *fakeThreads) published(id string) bool {
	for _, m := range f.media {
		if m.ID == id {
			return true
		}
	}
	return false
}

func (f *fakeThreads) publish(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	if len(form) != 1 {
		f.t.Errorf("threads_publish: fields %v, want creation_id only", form)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[form.Get("creation_id")]
	switch {
	case !ok || c.Carousel:
		f.t.Errorf("threads_publish of %q: no such container", form.Get("creation_id"))
		graphError(w, 400, 24, "The requested resource does not exist")
		return
	case c.Status == "PUBLISHED":
		graphError(w, 400, 10, "The media has already been published")
		return
	case c.Status != "FINISHED":
		graphError(w, 400, 9007, "Media is not ready to be published, please wait for a moment")
		return
	}
	f.seq++
	m := fakeMedia{ID: fmt.Sprintf("1800%04d", f.seq), Text: c.Text, ReplyTo: c.ReplyTo, Container: c, Created: time.Now()}
	c.Status, c.MediaID = "PUBLISHED", m.ID
	f.media = append(f.media, m)
	publishertest.WriteJSON(w, 200, map[string]any{"id": m.ID})
}

// node is GET /{id}: a container's status, or a post's permalink.
func (f *fakeThreads) node(w http.ResponseWriter, r *http.Request, id string) {
	fields := r.URL.Query().Get("fields")
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		if fields != "id,status,error_message" {
			f.t.Errorf("container status: fields %q", fields)
		}
		out := map[string]any{"id": id, "status": c.Status}
		if c.Status == "ERROR" {
			out["error_message"] = "FAILED_DOWNLOADING_VIDEO"
		}
		publishertest.WriteJSON(w, 200, out)
		return
	}
	if f.published(id) && fields == "permalink" {
		publishertest.WriteJSON(w, 200, map[string]any{"id": id, "permalink": "https://www.threads.net/@acme/post/" + id})
		return
	}
	if id == "me" || id == fakeUser {
		publishertest.WriteJSON(w, 200, map[string]any{"id": fakeUser, "username": "acme"})
		return
	}
	graphError(w, 400, 100, "Unsupported get request. Object with ID '"+id+"' does not exist")
}

// mediaInsights answers GET /{threads-media-id}/insights?metric=…
// (Threads › Insights › Media Insights): one entry a metric asked, with
// its lifetime value; it needs threads_manage_insights.
func (f *fakeThreads) mediaInsights(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	if len(q) != 1 || q.Get("metric") != "views,likes,replies,reposts,quotes" {
		f.t.Errorf("insights of %s: query %v, want metric=views,likes,replies,reposts,quotes", id, q)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch data, ok := f.insights[id]; {
	case f.throttled:
		w.Header().Set("X-Business-Use-Case-Usage", `{"`+fakeUser+`":[{"type":"threads","call_count":100,"total_cputime":5,"total_time":5,"estimated_time_to_regain_access":3}]}`)
		graphError(w, 400, 4, "Application request limit reached")
	case f.noInsights:
		graphError(w, 403, 10, "Application does not have permission for this action")
	case !ok:
		publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Unsupported get request. Object with ID '" + id +
			"' does not exist, cannot be loaded due to missing permissions, or does not support this operation", "type": "THApiException", "code": 100, "error_subcode": 33}})
	default:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":[`+data+`]}`)
	}
}

func (f *fakeThreads) list(w http.ResponseWriter, r *http.Request, replies bool) {
	q := r.URL.Query()
	if q.Get("fields") != "id,text,timestamp,permalink" {
		f.t.Errorf("list: fields %q", q.Get("fields"))
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		n, _ := strconv.ParseInt(s, 10, 64)
		since = time.Unix(n, 0)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data := []any{}
	for i := len(f.media) - 1; i >= 0; i-- {
		m := f.media[i]
		if (m.ReplyTo != "") != replies || m.Created.Before(since) {
			continue
		}
		data = append(data, map[string]any{"id": m.ID, "text": m.Text, "timestamp": m.Created.UTC().Format("2006-01-02T15:04:05-0700"),
			"permalink": "https://www.threads.net/@acme/post/" + m.ID})
	}
	publishertest.WriteJSON(w, 200, map[string]any{"data": data})
}

func (f *fakeThreads) arrived() []publishertest.Arrived {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []publishertest.Arrived
	for _, m := range f.media {
		a := publishertest.Arrived{Text: m.Text}
		items := []*fakeContainer{m.Container}
		if m.Container.Type == "CAROUSEL" {
			items = nil
			for _, id := range m.Container.Children {
				items = append(items, f.containers[id])
			}
		}
		for _, c := range items {
			if c != nil && c.ImageURL != "" {
				a.Media = append(a.Media, publishertest.Media{Name: c.ImageURL, Alt: c.Alt})
			}
		}
		out = append(out, a)
	}
	return out
}

func (f *fakeThreads) posts() []fakeMedia {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeMedia(nil), f.media...)
}

func (f *fakeThreads) setStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.containers[id].Status = status
}

func (f *fakeThreads) count(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}
