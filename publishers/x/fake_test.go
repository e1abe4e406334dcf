package x

import (
	"encoding/json"
	"fmt"
	"html"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const (
	token  = "x-Sup3rSecret-access-token"
	userID = "2244994945"
)

// fakeMedia is one upload as the fake X keeps it.
type fakeMedia struct {
	mediaType, category string
	total               int64
	name                string
	data                []byte
	segments            int
	finalized           bool
	processing          int // STATUS answers in_progress this many times
	alt                 string
}

// fakeTweet is one post as the fake X keeps it.
type fakeTweet struct {
	ID, Text, ReplyTo string
	MediaIDs          []string
	Created           time.Time
}

// fake is X's API v2 as its reference documents it
// (https://docs.x.com/x-api/): it checks each request's method, path,
// bearer token, JSON body or multipart fields and the order of an upload's
// segments, refuses a text the account already posted (403, duplicate
// content), and keeps what arrived.
type fake struct {
	t *testing.T

	mu         sync.Mutex
	media      map[string]*fakeMedia
	tweets     []fakeTweet // oldest first
	older      []fakeTweet // posts listed after those posted (older)
	processing int         // STATUS checks each new upload answers in_progress
	nextID     int
	statusHits int
	listed     int
	// metrics are the posts' public_metrics objects as GET /2/tweets gives
	// them (raw JSON; "-" leaves the field out); protected are posts the
	// token may not see; limited answers the lookup with a 429 this reset.
	metrics   map[string]string
	protected map[string]bool
	limited   time.Time
	lookups   [][]string // the ids of each GET /2/tweets
	clock     func() time.Time
	// auth, when set, is the fake authorization server that issued the
	// tokens the API accepts (RunOAuth); else only token is accepted.
	auth *publishertest.OAuthServer
	// forbid, when set, is the problem object a 403 answers POST /2/tweets
	// with (to replies only when forbidReplies).
	forbid        map[string]any
	forbidReplies bool
}

// authorizedBy is the fake taking the tokens auth issued (RunOAuth).
func authorizedBy(t *testing.T, auth *publishertest.OAuthServer) http.Handler {
	f := newFake(t)
	f.auth = auth
	return f
}

func newFake(t *testing.T) *fake {
	return &fake{t: t, media: map[string]*fakeMedia{}, nextID: 1000, clock: func() time.Time { return now }}
}

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func problem(w http.ResponseWriter, status int, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"title": title, "detail": detail, "type": "about:blank", "status": status})
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if f.auth != nil {
		if !f.auth.Authorized(r) {
			problem(w, 401, "Unauthorized", "Unauthorized")
			return
		}
	} else if got := r.Header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("%s %s: Authorization = %q", r.Method, r.URL.Path, got)
		problem(w, 401, "Unauthorized", "Unauthorized")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	path := r.URL.Path
	switch {
	case r.Method == "POST" && path == "/2/media/upload/initialize":
		f.initialize(w, r)
	case r.Method == "POST" && strings.HasPrefix(path, "/2/media/upload/") && strings.HasSuffix(path, "/append"):
		f.append(w, r, strings.TrimSuffix(strings.TrimPrefix(path, "/2/media/upload/"), "/append"))
	case r.Method == "POST" && strings.HasPrefix(path, "/2/media/upload/") && strings.HasSuffix(path, "/finalize"):
		f.finalize(w, strings.TrimSuffix(strings.TrimPrefix(path, "/2/media/upload/"), "/finalize"))
	case r.Method == "GET" && path == "/2/media/upload":
		f.status(w, r)
	case r.Method == "POST" && path == "/2/media/metadata":
		f.metadata(w, r)
	case r.Method == "POST" && path == "/2/tweets":
		f.tweet(w, r)
	case r.Method == "GET" && path == "/2/tweets":
		f.lookup(w, r)
	case r.Method == "GET" && path == "/2/users/me":
		publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]string{"id": userID, "name": "Acme", "username": "acme"}})
	case r.Method == "GET" && path == "/2/users/"+userID+"/tweets":
		f.timeline(w, r)
	default:
		t.Errorf("unexpected request %s %s", r.Method, path)
		problem(w, 404, "Not Found Error", "no such endpoint")
	}
}

func (f *fake) decode(r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s %s: Content-Type %q, want application/json", r.Method, r.URL.Path, ct)
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		f.t.Errorf("%s %s: body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

// initialize: POST /2/media/upload/initialize {media_type, total_bytes, media_category}.
func (f *fake) initialize(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MediaType     string `json:"media_type"`
		TotalBytes    int64  `json:"total_bytes"`
		MediaCategory string `json:"media_category"`
	}
	if !f.decode(r, &in) {
		problem(w, 400, "Invalid Request", "bad body")
		return
	}
	if _, _, ok := mediaKind(in.MediaType); !ok || in.TotalBytes <= 0 {
		f.t.Errorf("initialize: media_type %q total_bytes %d", in.MediaType, in.TotalBytes)
	}
	switch in.MediaCategory {
	case "tweet_image", "tweet_gif", "tweet_video":
	default:
		f.t.Errorf("initialize: media_category %q", in.MediaCategory)
	}
	f.nextID++
	id := strconv.Itoa(f.nextID)
	f.media[id] = &fakeMedia{mediaType: in.MediaType, category: in.MediaCategory, total: in.TotalBytes, processing: f.processing}
	publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": id, "media_key": "3_" + id, "expires_after_secs": 86400}})
}

// append: POST /2/media/upload/{id}/append, multipart: segment_index and media.
func (f *fake) append(w http.ResponseWriter, r *http.Request, id string) {
	m := f.media[id]
	if m == nil || m.finalized {
		f.t.Errorf("append to media %q: unknown or finalized", id)
		problem(w, 400, "Invalid Request", "unknown media")
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		f.t.Errorf("append: Content-Type %q", r.Header.Get("Content-Type"))
		return
	}
	form, err := publishertest.ReadForm(r.Body, params["boundary"])
	if err != nil {
		f.t.Errorf("append: %v", err)
		return
	}
	if got := form.Fields["segment_index"]; got != strconv.Itoa(m.segments) {
		f.t.Errorf("append: segment_index %q, want %d (segments in order)", got, m.segments)
	}
	chunk, ok := form.Files["media"]
	if !ok || len(chunk) == 0 || len(chunk) > chunkSize {
		f.t.Errorf("append: media part of %d bytes (present %v)", len(chunk), ok)
	}
	m.segments++
	m.data = append(m.data, chunk...)
	m.name = form.Names["media"]
	publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"expires_at": now.Add(24 * time.Hour).Unix()}})
}

func (f *fake) processingInfo(m *fakeMedia) map[string]any {
	if m.processing > 0 {
		return map[string]any{"state": "in_progress", "check_after_secs": 1, "progress_percent": 50}
	}
	return map[string]any{"state": "succeeded", "progress_percent": 100}
}

// finalize: POST /2/media/upload/{id}/finalize, once every byte arrived.
func (f *fake) finalize(w http.ResponseWriter, id string) {
	m := f.media[id]
	if m == nil || int64(len(m.data)) != m.total {
		f.t.Errorf("finalize media %q: %v", id, m)
		problem(w, 400, "Invalid Request", "incomplete upload")
		return
	}
	m.finalized = true
	data := map[string]any{"id": id, "media_key": "3_" + id, "size": m.total}
	if m.category != "tweet_image" {
		data["processing_info"] = f.processingInfo(m)
	}
	publishertest.WriteJSON(w, 200, map[string]any{"data": data})
}

// status: GET /2/media/upload?command=STATUS&media_id=….
func (f *fake) status(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	m := f.media[q.Get("media_id")]
	if q.Get("command") != "STATUS" || m == nil || !m.finalized {
		f.t.Errorf("status query %v", q)
		problem(w, 400, "Invalid Request", "bad status query")
		return
	}
	f.statusHits++
	if m.processing > 0 {
		m.processing--
	}
	publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": q.Get("media_id"), "processing_info": f.processingInfo(m)}})
}

// metadata: POST /2/media/metadata {id, metadata: {alt_text: {text}}}.
func (f *fake) metadata(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ID       string `json:"id"`
		Metadata struct {
			AltText struct {
				Text string `json:"text"`
			} `json:"alt_text"`
		} `json:"metadata"`
	}
	if !f.decode(r, &in) {
		problem(w, 400, "Invalid Request", "bad body")
		return
	}
	m := f.media[in.ID]
	if m == nil || !m.finalized || in.Metadata.AltText.Text == "" || len([]rune(in.Metadata.AltText.Text)) > maxAlt {
		f.t.Errorf("metadata for %q: %+v", in.ID, in)
		problem(w, 400, "Invalid Request", "bad metadata")
		return
	}
	m.alt = in.Metadata.AltText.Text
	publishertest.WriteJSON(w, 200, map[string]any{"data": map[string]any{"id": in.ID, "associated_metadata": in.Metadata}})
}

// tweet: POST /2/tweets {text, reply: {in_reply_to_tweet_id}, media: {media_ids}}.
func (f *fake) tweet(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text  string `json:"text"`
		Reply *struct {
			InReplyToTweetID string `json:"in_reply_to_tweet_id"`
		} `json:"reply"`
		Media *struct {
			MediaIDs []string `json:"media_ids"`
		} `json:"media"`
	}
	if !f.decode(r, &in) {
		problem(w, 400, "Invalid Request", "bad body")
		return
	}
	if n := Length(in.Text); n > maxWeighted || (in.Text == "" && in.Media == nil) {
		problem(w, 400, "Invalid Request", fmt.Sprintf("text is %d characters", n))
		return
	}
	tw := fakeTweet{Text: in.Text, Created: f.clock()}
	if in.Reply != nil {
		if !f.exists(in.Reply.InReplyToTweetID) {
			f.t.Errorf("reply to unknown post %q", in.Reply.InReplyToTweetID)
		}
		tw.ReplyTo = in.Reply.InReplyToTweetID
	}
	if in.Media != nil {
		for _, id := range in.Media.MediaIDs {
			if m := f.media[id]; m == nil || !m.finalized || m.processing > 0 {
				f.t.Errorf("post with media %q not uploaded, or still processing", id)
			}
		}
		tw.MediaIDs = in.Media.MediaIDs
	}
	if f.forbid != nil && (in.Reply != nil || !f.forbidReplies) {
		publishertest.WriteJSON(w, 403, f.forbid)
		return
	}
	for _, old := range append(f.older, f.tweets...) {
		if old.Text == in.Text && in.Text != "" {
			problem(w, 403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")
			return
		}
	}
	f.nextID++
	tw.ID = strconv.Itoa(f.nextID)
	f.tweets = append(f.tweets, tw)
	publishertest.WriteJSON(w, 201, map[string]any{"data": map[string]string{"id": tw.ID, "text": in.Text}})
}

func (f *fake) exists(id string) bool {
	for _, tw := range append(f.older, f.tweets...) {
		if tw.ID == id {
			return true
		}
	}
	return false
}

var urlInText = regexp.MustCompile(`https?://[^\s]+`)

// render is a post as the timeline shows it: its URLs shortened to t.co
// links (their originals in entities.urls), a t.co link to its media
// appended, &, < and > as entities.
func render(tw fakeTweet) map[string]any {
	var urls []map[string]string
	text := urlInText.ReplaceAllStringFunc(tw.Text, func(u string) string {
		urls = append(urls, map[string]string{"url": "https://t.co/abc", "expanded_url": u})
		return "https://t.co/abc"
	})
	text = html.EscapeString(text)
	text = strings.ReplaceAll(text, "&#34;", `"`)
	text = strings.ReplaceAll(text, "&#39;", "'")
	out := map[string]any{"id": tw.ID, "text": text, "created_at": tw.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
		"edit_history_tweet_ids": []string{tw.ID}}
	if len(tw.MediaIDs) > 0 {
		out["text"] = text + " https://t.co/pic"
		keys := []string{}
		for _, id := range tw.MediaIDs {
			keys = append(keys, "3_"+id)
		}
		out["attachments"] = map[string]any{"media_keys": keys}
	}
	if tw.ReplyTo != "" {
		out["referenced_tweets"] = []map[string]string{{"type": "replied_to", "id": tw.ReplyTo}}
	}
	if len(urls) > 0 {
		out["entities"] = map[string]any{"urls": urls}
	}
	return out
}

// lookup: GET /2/tweets?ids=…&tweet.fields=public_metrics
// (https://docs.x.com/x-api/posts/get-posts-by-ids): 1 to 100
// comma-separated numeric ids; the posts found in data, a problem in errors
// for each id not given (resource-not-found, or not-authorized-for-resource
// for a post the token may not see).
func (f *fake) lookup(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		if k != "ids" && k != "tweet.fields" {
			f.t.Errorf("lookup: unexpected parameter %q", k)
		}
	}
	if q.Get("tweet.fields") != "public_metrics" {
		f.t.Errorf("lookup: tweet.fields %q, want public_metrics", q.Get("tweet.fields"))
	}
	ids := strings.Split(q.Get("ids"), ",")
	if len(ids) == 0 || len(ids) > 100 {
		f.t.Errorf("lookup: %d ids, X takes 1 to 100", len(ids))
	}
	for _, id := range ids {
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			f.t.Errorf("lookup: id %q is not a post id", id)
		}
	}
	f.lookups = append(f.lookups, ids)
	if !f.limited.IsZero() {
		w.Header().Set("x-rate-limit-remaining", "0")
		w.Header().Set("x-rate-limit-reset", strconv.FormatInt(f.limited.Unix(), 10))
		problem(w, 429, "Too Many Requests", "Too Many Requests")
		return
	}
	var data, errs []json.RawMessage
	for _, id := range ids {
		m, ok := f.metrics[id]
		switch {
		case f.protected[id]:
			errs = append(errs, json.RawMessage(fmt.Sprintf(`{"value":%q,"detail":"Sorry, you are not authorized to see the Tweet with ids: [%s].","title":"Authorization Error","resource_type":"tweet","parameter":"ids","resource_id":%q,"type":"https://api.twitter.com/2/problems/not-authorized-for-resource"}`, id, id, id)))
		case !ok:
			errs = append(errs, json.RawMessage(fmt.Sprintf(`{"value":%q,"detail":"Could not find tweet with ids: [%s].","title":"Not Found Error","resource_type":"tweet","parameter":"ids","resource_id":%q,"type":"https://api.twitter.com/2/problems/resource-not-found"}`, id, id, id)))
		case m == "-":
			data = append(data, json.RawMessage(fmt.Sprintf(`{"id":%q,"text":"hello","edit_history_tweet_ids":[%q]}`, id, id)))
		default:
			data = append(data, json.RawMessage(fmt.Sprintf(`{"id":%q,"text":"hello","edit_history_tweet_ids":[%q],"public_metrics":%s}`, id, id, m)))
		}
	}
	answer := map[string]any{}
	if len(data) > 0 {
		answer["data"] = data
	}
	if len(errs) > 0 {
		answer["errors"] = errs
	}
	publishertest.WriteJSON(w, 200, answer)
}

// timeline: GET /2/users/:id/tweets, newest first, by pages of max_results.
func (f *fake) timeline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("max_results") != "100" || !strings.Contains(q.Get("tweet.fields"), "referenced_tweets") || !strings.Contains(q.Get("tweet.fields"), "created_at") {
		f.t.Errorf("timeline query %v", q)
	}
	f.listed++
	var since time.Time
	if s := q.Get("start_time"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, s); err != nil {
			f.t.Errorf("start_time %q: %v", s, err)
		}
	}
	all := append(append([]fakeTweet(nil), f.older...), f.tweets...)
	var list []map[string]any
	for i := len(all) - 1; i >= 0; i-- {
		if !since.IsZero() && all[i].Created.Before(since) {
			continue
		}
		list = append(list, render(all[i]))
	}
	start, _ := strconv.Atoi(q.Get("pagination_token"))
	end := min(start+100, len(list))
	page := map[string]any{"meta": map[string]any{"result_count": end - start}}
	if end > start {
		page["data"] = list[start:end]
	}
	if end < len(list) {
		page["meta"].(map[string]any)["next_token"] = strconv.Itoa(end)
	}
	publishertest.WriteJSON(w, 200, page)
}

// arrived is what the fake received, for the suite.
func (f *fake) arrived() []publishertest.Arrived {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []publishertest.Arrived
	for _, tw := range f.tweets {
		a := publishertest.Arrived{Text: tw.Text}
		for _, id := range tw.MediaIDs {
			a.Media = append(a.Media, publishertest.Media{Name: f.media[id].name, Alt: f.media[id].alt})
		}
		out = append(out, a)
	}
	return out
}

func config(base string) publishers.Config {
	return publishers.Config{
		Channel:  "acme-x",
		Settings: map[string]string{"api": base + "/"},
		Secrets:  map[string]string{"access_token": token},
		Now:      func() time.Time { return now },
	}
}

func newPub(t *testing.T, h http.Handler) *Publisher {
	t.Helper()
	srv := publishertest.Server(t, h)
	p, err := New(config(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	xp := p.(*Publisher)
	xp.PollInterval = time.Millisecond
	return xp
}
