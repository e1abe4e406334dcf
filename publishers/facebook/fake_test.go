package facebook

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers/publishertest"
)

// The fake Facebook checks every request as Graph API reference › Page ›
// Feed and Page › Photos, and Pages API › Posts, describe them, and stores
// what arrives.

const (
	fakePage      = "104857600123"
	fakePageToken = "EAAG-page-Secret-token"
	fakeVersion   = "v25.0"
)

type fakePhoto struct {
	ID        string
	Bytes     []byte // an uploaded source
	URL       string // a photo Facebook fetched
	Published bool
	Attached  bool
}

type fakeFBPost struct {
	ID      string
	Message string
	Link    string
	Photos  []string
	Created time.Time
}

type fakeFacebook struct {
	t        *testing.T
	mu       sync.Mutex
	photos   map[string]*fakePhoto
	posts    []fakeFBPost
	seq      int
	lookups  int
	usageHdr string // X-Business-Use-Case-Usage sent with every answer, if set
	// engagement is each post's reactions, comments and shares fields as
	// Facebook answers them (raw JSON members); a post not there does not
	// exist. reads are the stats reads made (their ids), throttled answers
	// them with code 80001.
	engagement map[string]string
	reads      [][]string
	throttled  bool
	// auth, when set, is the fake authorization server whose tokens the
	// fake takes instead of fakePageToken (RunOAuth).
	auth *publishertest.OAuthServer
}

func newFake(t *testing.T) *fakeFacebook {
	return &fakeFacebook{t: t, photos: map[string]*fakePhoto{}}
}

// authorizedBy is the fake taking the tokens auth issued (RunOAuth); it
// refuses any other as Facebook does, 400 with code 190.
func authorizedBy(t *testing.T, auth *publishertest.OAuthServer) http.Handler {
	f := newFake(t)
	f.auth = auth
	return f
}

func graphError(w http.ResponseWriter, status, code int, typ, msg string) {
	publishertest.WriteJSON(w, status, map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "code": code, "fbtrace_id": "AbCdEf"}})
}

func (f *fakeFacebook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.usageHdr != "" {
		w.Header().Set("X-Business-Use-Case-Usage", f.usageHdr)
	}
	if r.URL.Query().Get("access_token") != "" {
		f.t.Errorf("%s %s: the token travels in the URL", r.Method, r.URL.Path)
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+fakeVersion+"/")
	if !ok {
		f.t.Errorf("%s %s: not under /%s/", r.Method, r.URL.Path, fakeVersion)
		graphError(w, 400, 2500, "OAuthException", "Unknown path components")
		return
	}
	if f.auth != nil && !f.auth.Authorized(r) || f.auth == nil && r.Header.Get("Authorization") != "Bearer "+fakePageToken {
		graphError(w, 400, 190, "OAuthException", "Error validating access token: Session has expired")
		return
	}
	switch {
	case r.Method == "POST" && rest == fakePage+"/photos":
		f.photo(w, r)
	case r.Method == "POST" && rest == fakePage+"/feed":
		f.feed(w, r)
	case r.Method == "GET" && rest == fakePage+"/posts":
		f.list(w, r)
	case r.Method == "GET" && rest == fakePage:
		if r.URL.Query().Get("fields") != "id,name" {
			f.t.Errorf("GET page: fields %q", r.URL.Query().Get("fields"))
		}
		publishertest.WriteJSON(w, 200, map[string]any{"id": fakePage, "name": "Acme Bakery"})
	case r.Method == "GET" && rest == "" && r.URL.Query().Has("ids"):
		f.stats(w, r, strings.Split(r.URL.Query().Get("ids"), ","), true)
	case r.Method == "GET" && f.engagement != nil && !strings.Contains(rest, "/"):
		f.stats(w, r, []string{rest}, false)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		graphError(w, 400, 100, "GraphMethodException", "Unsupported request")
	}
}

// stats answers a read of posts' engagement: GET /{post-id}?fields=…, or
// several at once, GET /?ids=A,B&fields=… (Multiple ID Read Requests, up
// to 50), whose answer is an object keyed by id, and which fails as a
// whole (code 803) when one id does not exist.
func (f *fakeFacebook) stats(w http.ResponseWriter, r *http.Request, ids []string, multi bool) {
	q := r.URL.Query()
	if want := "reactions.summary(total_count),comments.summary(total_count),shares"; q.Get("fields") != want {
		f.t.Errorf("stats read: fields %q, want %q", q.Get("fields"), want)
	}
	if len(ids) == 0 || len(ids) > 50 {
		f.t.Errorf("stats read of %d ids, Facebook takes 1 to 50", len(ids))
	}
	f.reads = append(f.reads, ids)
	if f.throttled {
		graphError(w, 400, 80001, "OAuthException", "(#80001) There have been too many calls to this Page account.")
		return
	}
	answer := map[string]json.RawMessage{}
	for _, id := range ids {
		if !strings.HasPrefix(id, fakePage+"_") {
			f.t.Errorf("stats read of %q: not a PAGE_POST id", id)
		}
		fields, ok := f.engagement[id]
		if !ok {
			if multi {
				graphError(w, 400, 803, "OAuthException", "(#803) Some of the aliases you requested do not exist: "+id)
			} else {
				publishertest.WriteJSON(w, 400, map[string]any{"error": map[string]any{"message": "Unsupported get request. Object with ID '" + id +
					"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", "type": "GraphMethodException", "code": 100, "error_subcode": 33}})
			}
			return
		}
		if fields != "" {
			fields = "," + fields
		}
		answer[id] = json.RawMessage(`{"id":"` + id + `"` + fields + `}`)
	}
	if multi {
		publishertest.WriteJSON(w, 200, answer)
		return
	}
	publishertest.WriteJSON(w, 200, answer[ids[0]])
}

// photo is POST /{page-id}/photos: multipart with the file as source, or a
// form with url; published=false keeps it for a post's attached_media.
func (f *fakeFacebook) photo(w http.ResponseWriter, r *http.Request) {
	ph := &fakePhoto{Published: true}
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				f.t.Errorf("photos: %v", err)
				break
			}
			data, _ := io.ReadAll(part)
			switch part.FormName() {
			case "published":
				ph.Published = string(data) != "false"
			case "source":
				if part.FileName() == "" || part.Header.Get("Content-Type") != "image/png" {
					f.t.Errorf("photos: source %q of type %q", part.FileName(), part.Header.Get("Content-Type"))
				}
				ph.Bytes = data
			default:
				f.t.Errorf("photos: field %q", part.FormName())
			}
		}
	case "application/x-www-form-urlencoded":
		_ = r.ParseForm()
		ph.Published = r.PostForm.Get("published") != "false"
		ph.URL = r.PostForm.Get("url")
		if !strings.HasPrefix(ph.URL, "https://") {
			f.t.Errorf("photos: url %q", ph.URL)
		}
	default:
		f.t.Errorf("photos: Content-Type %q", ct)
	}
	if ph.Published || (len(ph.Bytes) == 0 && ph.URL == "") {
		f.t.Errorf("photos: published %v, %d bytes, url %q: want an unpublished photo", ph.Published, len(ph.Bytes), ph.URL)
	}
	f.mu.Lock()
	f.seq++
	ph.ID = fmt.Sprintf("5550%d", f.seq)
	f.photos[ph.ID] = ph
	f.mu.Unlock()
	publishertest.WriteJSON(w, 200, map[string]any{"id": ph.ID})
}

// feed is POST /{page-id}/feed: message, link, attached_media[i] =
// {"media_fbid": ID} of unpublished photos.
func (f *fakeFacebook) feed(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		f.t.Errorf("feed: Content-Type %q", ct)
	}
	body, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(body))
	if err != nil {
		f.t.Errorf("feed: %v", err)
	}
	p := fakeFBPost{Message: form.Get("message"), Link: form.Get("link"), Created: time.Now()}
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range form {
		switch {
		case k == "message" || k == "link":
		case strings.HasPrefix(k, "attached_media["):
		default:
			f.t.Errorf("feed: field %q", k)
		}
	}
	for i := 0; form.Has(fmt.Sprintf("attached_media[%d]", i)); i++ {
		var ref map[string]string
		if err := json.Unmarshal([]byte(form.Get(fmt.Sprintf("attached_media[%d]", i))), &ref); err != nil || len(ref) != 1 {
			f.t.Errorf("attached_media[%d] = %q: want {\"media_fbid\": ID}", i, form.Get(fmt.Sprintf("attached_media[%d]", i)))
		}
		ph, ok := f.photos[ref["media_fbid"]]
		if !ok || ph.Published || ph.Attached {
			f.t.Errorf("attached_media[%d]: photo %q unknown, published or attached already", i, ref["media_fbid"])
			graphError(w, 400, 100, "OAuthException", "Invalid parameter")
			return
		}
		ph.Attached = true
		p.Photos = append(p.Photos, ph.ID)
	}
	if p.Link != "" && len(p.Photos) > 0 {
		f.t.Errorf("feed: a link and photos in one post")
	}
	if p.Message == "" && p.Link == "" && len(p.Photos) == 0 {
		graphError(w, 400, 100, "OAuthException", "(#100) Missing message or attachment")
		return
	}
	for _, old := range f.posts {
		// RunOAuth (auth set) publishes its one post several times.
		if old.Message == p.Message && old.Message != "" && f.auth == nil {
			graphError(w, 400, 506, "OAuthException", "(#506) Duplicate status message")
			return
		}
	}
	f.seq++
	p.ID = fmt.Sprintf("%s_%d", fakePage, 9000+f.seq)
	f.posts = append(f.posts, p)
	publishertest.WriteJSON(w, 200, map[string]any{"id": p.ID})
}

// list is GET /{page-id}/posts: newest first, since a Unix time.
func (f *fakeFacebook) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("fields") != "id,message,created_time" {
		f.t.Errorf("posts: fields %q", q.Get("fields"))
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		f.t.Errorf("posts: limit %q", q.Get("limit"))
	}
	var since time.Time
	if s := q.Get("since"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.t.Errorf("posts: since %q", s)
		}
		since = time.Unix(n, 0)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	data := []any{}
	for i := len(f.posts) - 1; i >= 0 && len(data) < limit; i-- {
		p := f.posts[i]
		if p.Created.Before(since) {
			continue
		}
		el := map[string]any{"id": p.ID, "created_time": p.Created.UTC().Format("2006-01-02T15:04:05-0700")}
		if p.Message != "" {
			el["message"] = p.Message
		}
		data = append(data, el)
	}
	publishertest.WriteJSON(w, 200, map[string]any{"data": data})
}

func (f *fakeFacebook) arrived() []publishertest.Arrived {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []publishertest.Arrived
	for _, p := range f.posts {
		a := publishertest.Arrived{Text: p.Message, Link: p.Link}
		for _, id := range p.Photos {
			a.Media = append(a.Media, publishertest.Media{Name: id})
		}
		out = append(out, a)
	}
	return out
}

func (f *fakeFacebook) created() []fakeFBPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeFBPost(nil), f.posts...)
}

func (f *fakeFacebook) photoByID(id string) fakePhoto {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.photos[id]; ok {
		return *p
	}
	return fakePhoto{}
}
