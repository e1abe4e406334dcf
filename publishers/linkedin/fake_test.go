package linkedin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers/publishertest"
)

// The fake LinkedIn checks every request as Microsoft Learn's LinkedIn
// pages describe it (Posts API, Images API, little Text Format, Sign In
// with LinkedIn using OpenID Connect's userinfo) and stores what arrives.

const (
	fakeToken   = "AQV-linkedin-Secret-access-token"
	fakeSub     = "782bbtaQ"
	fakePerson  = "urn:li:person:" + fakeSub
	fakeOrg     = "urn:li:organization:5515715"
	fakeVersion = "202610"
)

type fakePost struct {
	ID         string
	Author     string
	Commentary string // as received, in the little format
	Plain      string // as LinkedIn shows it
	Content    map[string]any
	CreatedAt  time.Time
	Images     []fakeImageRef
	Source     string // an article's link
}

type fakeImageRef struct{ ID, Alt string }

type fakeLinkedIn struct {
	t *testing.T

	mu       sync.Mutex
	posts    []fakePost
	images   map[string]string // image URN → owner
	uploaded map[string][]byte // image URN → bytes PUT
	tokens   []string          // Authorization tokens seen, in order
	// uploadBase, when set, is where initializeUpload's upload URLs point
	// (another host); else the fake itself.
	uploadBase string
	seq        int64
	now        func() time.Time
	// auth, when set, is the fake authorization server whose tokens the
	// API accepts (RunOAuth); else only fakeToken is.
	auth *publishertest.OAuthServer
	// metadata is each post's social metadata as LinkedIn answers it (raw
	// JSON); refused are posts the token may not read (403), others are
	// gone (404). noReadScope refuses every read of them (a token without
	// r_organization_social / r_member_social); metaReads are the URNs of
	// each read.
	metadata    map[string]string
	refused     map[string]bool
	noReadScope bool
	metaReads   [][]string
}

// authorizedBy is the fake taking the tokens auth issued (RunOAuth).
func authorizedBy(t *testing.T, auth *publishertest.OAuthServer) http.Handler {
	f := newFake(t)
	f.auth = auth
	return f
}

func newFake(t *testing.T) *fakeLinkedIn {
	return &fakeLinkedIn{t: t, images: map[string]string{}, uploaded: map[string][]byte{}, now: time.Now}
}

// shareID is a post number as LinkedIn's are: the instant it was made in
// the high bits.
func (f *fakeLinkedIn) shareID(at time.Time) string {
	f.seq++
	return "urn:li:share:" + strconv.FormatUint(uint64(at.UnixMilli())<<22|uint64(f.seq), 10)
}

func writeError(w http.ResponseWriter, status int, body map[string]any) {
	body["status"] = status
	publishertest.WriteJSON(w, status, body)
}

func (f *fakeLinkedIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	body, _ := io.ReadAll(r.Body)
	auth := r.Header.Get("Authorization")
	f.mu.Lock()
	f.tokens = append(f.tokens, strings.TrimPrefix(auth, "Bearer "))
	f.mu.Unlock()
	if f.auth != nil && !f.auth.Authorized(r) || f.auth == nil && auth != "Bearer "+fakeToken {
		writeError(w, 401, map[string]any{"serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN", "message": "Invalid access token"})
		return
	}
	if strings.HasPrefix(r.URL.Path, "/rest/") {
		if v := r.Header.Get("LinkedIn-Version"); v != fakeVersion {
			t.Errorf("%s %s: LinkedIn-Version %q, want %s", r.Method, r.URL.Path, v, fakeVersion)
		}
		if v := r.Header.Get("X-Restli-Protocol-Version"); v != "2.0.0" {
			t.Errorf("%s %s: X-Restli-Protocol-Version %q, want 2.0.0", r.Method, r.URL.Path, v)
		}
	}
	switch {
	case r.Method == "GET" && r.URL.Path == "/v2/userinfo":
		publishertest.WriteJSON(w, 200, map[string]any{"sub": fakeSub, "name": "Ann Author", "given_name": "Ann", "family_name": "Author", "email_verified": true})
	case r.Method == "POST" && r.URL.Path == "/rest/images":
		f.initializeUpload(w, r, body)
	case r.Method == "PUT" && strings.HasPrefix(r.URL.Path, "/dms-uploads/"):
		f.put(w, r, body)
	case r.Method == "POST" && r.URL.Path == "/rest/posts":
		f.create(w, r, body)
	case r.Method == "GET" && r.URL.Path == "/rest/posts" && r.URL.Query().Get("q") == "author":
		f.byAuthor(w, r)
	case r.Method == "GET" && r.URL.Path == "/rest/socialMetadata":
		f.socialMetadata(w, r)
	default:
		t.Errorf("unexpected request %s %s", r.Method, r.URL.RequestURI())
		writeError(w, 404, map[string]any{"message": "Not Found"})
	}
}

// restliList is a Rest.li 2.0 ids parameter: List(…) of URL-encoded URNs.
var restliList = regexp.MustCompile(`^ids=List\(((?:urn%3Ali%3A(?:share|ugcPost)%3A[0-9]+,?)+)\)$`)

// socialMetadata answers the Social Metadata API's batch get (GET
// /rest/socialMetadata?ids=List(…), X-RestLi-Method BATCH_GET): a result
// for each post found, an error (its status) for the others; it needs
// r_organization_social (a page) or r_member_social (a member).
func (f *fakeLinkedIn) socialMetadata(w http.ResponseWriter, r *http.Request) {
	if m := r.Header.Get("X-RestLi-Method"); m != "BATCH_GET" {
		f.t.Errorf("socialMetadata: X-RestLi-Method %q, want BATCH_GET", m)
	}
	m := restliList.FindStringSubmatch(r.URL.RawQuery)
	if m == nil {
		f.t.Errorf("socialMetadata: query %q, want ids=List(…) of encoded URNs", r.URL.RawQuery)
		writeError(w, 400, map[string]any{"message": "Invalid ids"})
		return
	}
	var urns []string
	for _, e := range strings.Split(strings.TrimSuffix(m[1], ","), ",") {
		urns = append(urns, strings.ReplaceAll(e, "%3A", ":"))
	}
	if len(urns) > 50 {
		f.t.Errorf("socialMetadata: %d ids in one call", len(urns))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metaReads = append(f.metaReads, urns)
	if f.noReadScope {
		writeError(w, 403, map[string]any{"serviceErrorCode": 100, "code": "ACCESS_DENIED", "message": "Not enough permissions to access: socialMetadata.BATCH_GET.20261001"})
		return
	}
	results, errs, statuses := map[string]json.RawMessage{}, map[string]any{}, map[string]int{}
	for _, urn := range urns {
		switch md, ok := f.metadata[urn]; {
		case f.refused[urn]:
			errs[urn] = map[string]any{"status": 403, "code": "ACCESS_DENIED", "message": "Not enough permissions to access: " + urn}
			statuses[urn] = 403
		case !ok:
			errs[urn] = map[string]any{"status": 404, "code": "NOT_FOUND", "message": "Not Found"}
			statuses[urn] = 404
		default:
			results[urn] = json.RawMessage(md)
			statuses[urn] = 200
		}
	}
	publishertest.WriteJSON(w, 200, map[string]any{"results": results, "errors": errs, "statuses": statuses})
}

func (f *fakeLinkedIn) initializeUpload(w http.ResponseWriter, r *http.Request, body []byte) {
	if a := r.URL.Query().Get("action"); a != "initializeUpload" {
		f.t.Errorf("POST /rest/images: action %q, want initializeUpload", a)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("initializeUpload: Content-Type %q", ct)
	}
	var in map[string]map[string]string
	if err := json.Unmarshal(body, &in); err != nil || len(in) != 1 || len(in["initializeUploadRequest"]) != 1 {
		f.t.Errorf("initializeUpload body %s: want {initializeUploadRequest: {owner}}", body)
	}
	owner := in["initializeUploadRequest"]["owner"]
	if owner != fakePerson && owner != fakeOrg {
		f.t.Errorf("initializeUpload owner %q", owner)
	}
	f.mu.Lock()
	f.seq++
	urn := fmt.Sprintf("urn:li:image:C4D10AQ%d", f.seq)
	f.images[urn] = owner
	base := f.uploadBase
	if base == "" {
		base = "http://" + r.Host
	}
	f.mu.Unlock()
	publishertest.WriteJSON(w, 200, map[string]any{"value": map[string]any{
		"uploadUrlExpiresAt": f.now().Add(time.Hour).UnixMilli(),
		"uploadUrl":          base + "/dms-uploads/" + strings.TrimPrefix(urn, "urn:li:image:") + "/uploaded-image/0?ca=vector_feedshare&cn=uploads",
		"image":              urn,
	}})
}

func (f *fakeLinkedIn) put(w http.ResponseWriter, r *http.Request, body []byte) {
	id := strings.Split(strings.TrimPrefix(r.URL.Path, "/dms-uploads/"), "/")[0]
	urn := "urn:li:image:" + id
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.images[urn]; !ok {
		f.t.Errorf("PUT to an upload URL LinkedIn never gave: %s", r.URL.Path)
		w.WriteHeader(404)
		return
	}
	if len(body) == 0 {
		f.t.Errorf("PUT %s: no bytes", r.URL.Path)
	}
	f.uploaded[urn] = body
	w.WriteHeader(201)
}

// postFields are the fields a created post carries, exactly.
var postFields = []string{"author", "commentary", "content", "distribution", "isReshareDisabledByAuthor", "lifecycleState", "visibility"}

func (f *fakeLinkedIn) create(w http.ResponseWriter, r *http.Request, body []byte) {
	t := f.t
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("POST /rest/posts: Content-Type %q", ct)
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		t.Errorf("POST /rest/posts: %v", err)
		writeError(w, 400, map[string]any{"message": "malformed JSON"})
		return
	}
	var keys []string
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := postFields
	if _, ok := in["content"]; !ok {
		want = append(append([]string{}, postFields[:2]...), postFields[3:]...)
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("post fields %v, want %v", keys, want)
	}
	dist, _ := json.Marshal(in["distribution"])
	if string(dist) != `{"feedDistribution":"MAIN_FEED","targetEntities":[],"thirdPartyDistributionChannels":[]}` {
		t.Errorf("distribution %s", dist)
	}
	if in["visibility"] != "PUBLIC" || in["lifecycleState"] != "PUBLISHED" || in["isReshareDisabledByAuthor"] != false {
		t.Errorf("visibility %v, lifecycleState %v, isReshareDisabledByAuthor %v", in["visibility"], in["lifecycleState"], in["isReshareDisabledByAuthor"])
	}
	author, _ := in["author"].(string)
	if author != fakePerson && author != fakeOrg {
		t.Errorf("author %q", author)
	}
	little, _ := in["commentary"].(string)
	plain, err := readLittle(little)
	if err != nil {
		t.Errorf("commentary %q: %v", little, err)
	}
	p := fakePost{Author: author, Commentary: little, Plain: plain, CreatedAt: f.now()}
	if c, ok := in["content"].(map[string]any); ok {
		p.Content = c
		f.content(&p, c)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	for _, old := range f.posts {
		if old.Author == author && old.Commentary == little {
			// LinkedIn refuses the same commentary again, naming its post.
			writeError(w, 422, map[string]any{
				"errorDetailType": "com.linkedin.common.error.BadRequest",
				"message":         "com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of " + old.ID,
				"errorDetails": map[string]any{"inputErrors": []any{map[string]any{
					"description": "Duplicate post is detected", "input": map[string]any{}, "code": "DUPLICATE_POST"}}},
			})
			return
		}
	}
	p.ID = f.shareID(p.CreatedAt)
	f.posts = append(f.posts, p)
	w.Header().Set("x-restli-id", p.ID)
	w.WriteHeader(201)
}

// content checks a post's content: exactly one of media, multiImage (2 to
// 20 images) and article, images uploaded by their owner.
func (f *fakeLinkedIn) content(p *fakePost, c map[string]any) {
	t := f.t
	if len(c) != 1 {
		t.Errorf("content %v: want exactly one of media, multiImage, article", c)
	}
	image := func(m map[string]any) {
		id, _ := m["id"].(string)
		alt, _ := m["altText"].(string)
		for k := range m {
			if k != "id" && k != "altText" {
				t.Errorf("image field %q", k)
			}
		}
		f.mu.Lock()
		owner, made := f.images[id]
		_, up := f.uploaded[id]
		f.mu.Unlock()
		if !made || !up || owner != p.Author {
			t.Errorf("image %s: initialized %v (owner %q, author %q), uploaded %v", id, made, owner, p.Author, up)
		}
		p.Images = append(p.Images, fakeImageRef{ID: id, Alt: alt})
	}
	switch {
	case c["media"] != nil:
		m, _ := c["media"].(map[string]any)
		image(m)
	case c["multiImage"] != nil:
		mi, _ := c["multiImage"].(map[string]any)
		list, _ := mi["images"].([]any)
		if len(list) < 2 || len(list) > 20 {
			t.Errorf("multiImage with %d images, want 2 to 20", len(list))
		}
		for _, it := range list {
			m, _ := it.(map[string]any)
			image(m)
		}
	case c["article"] != nil:
		a, _ := c["article"].(map[string]any)
		p.Source, _ = a["source"].(string)
		if title, _ := a["title"].(string); p.Source == "" || title == "" {
			t.Errorf("article %v: source and title are required", a)
		}
		for k := range a {
			if k != "source" && k != "title" && k != "description" {
				t.Errorf("article field %q", k)
			}
		}
	default:
		t.Errorf("content %v", c)
	}
}

func (f *fakeLinkedIn) byAuthor(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	author := q.Get("author")
	if author != fakeOrg && author != fakePerson {
		f.t.Errorf("find by author: author %q", author)
	}
	start, _ := strconv.Atoi(q.Get("start"))
	count, err := strconv.Atoi(q.Get("count"))
	if err != nil || count <= 0 {
		f.t.Errorf("find by author: count %q", q.Get("count"))
		count = 10
	}
	f.mu.Lock()
	var mine []fakePost
	for i := len(f.posts) - 1; i >= 0; i-- { // newest first
		if f.posts[i].Author == author {
			mine = append(mine, f.posts[i])
		}
	}
	f.mu.Unlock()
	els := []any{}
	for i := start; i < len(mine) && i < start+count; i++ {
		p := mine[i]
		el := map[string]any{"id": p.ID, "author": p.Author, "commentary": p.Commentary, "visibility": "PUBLIC",
			"lifecycleState": "PUBLISHED", "createdAt": p.CreatedAt.UnixMilli(), "publishedAt": p.CreatedAt.UnixMilli(), "lastModifiedAt": p.CreatedAt.UnixMilli()}
		if p.Content != nil {
			el["content"] = p.Content
		}
		els = append(els, el)
	}
	publishertest.WriteJSON(w, 200, map[string]any{"elements": els, "paging": map[string]any{"start": start, "count": count, "links": []any{}}})
}

// arrived is what the fake received, for the conformance suite.
func (f *fakeLinkedIn) arrived() []publishertest.Arrived {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []publishertest.Arrived
	for _, p := range f.posts {
		a := publishertest.Arrived{Text: p.Plain, Link: p.Source}
		for _, im := range p.Images {
			a.Media = append(a.Media, publishertest.Media{Name: im.ID, Alt: im.Alt})
		}
		out = append(out, a)
	}
	return out
}

func (f *fakeLinkedIn) created() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}

// littleMentionRe is the little format's mention element.
var littleMentionRe = regexp.MustCompile(`^@\[((?:\\.|[^\]\\])+)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)`)

// readLittle reads a commentary as LinkedIn does, strictly: a reserved
// character that is neither escaped nor part of a hashtag template or a
// mention is an error (LinkedIn would cut the post there).
func readLittle(s string) (string, error) {
	const reservedChars = `\|{}@[]()<>#*_~`
	var b bytes.Buffer
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return b.String(), fmt.Errorf("a lone backslash ends the text")
			}
			if !strings.ContainsRune(reservedChars, rune(s[i+1])) {
				return b.String(), fmt.Errorf("backslash before %q, which is not reserved", s[i+1])
			}
			b.WriteByte(s[i+1])
			i += 2
		case strings.HasPrefix(s[i:], `{hashtag|\#|`):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return b.String(), fmt.Errorf("unclosed hashtag template at byte %d", i)
			}
			word := s[i+len(`{hashtag|\#|`) : i+end]
			plainWord, err := readLittle(word)
			if err != nil || plainWord == "" {
				return b.String(), fmt.Errorf("hashtag template %q: %v", s[i:i+end+1], err)
			}
			b.WriteString("#" + plainWord)
			i += end + 1
		case c == '@':
			m := littleMentionRe.FindStringSubmatch(s[i:])
			if m == nil {
				return b.String(), fmt.Errorf("unescaped @ at byte %d: LinkedIn would cut the post here", i)
			}
			name, err := readLittle(m[1])
			if err != nil {
				return b.String(), err
			}
			b.WriteString(name)
			i += len(m[0])
		case strings.IndexByte(reservedChars, c) >= 0:
			return b.String(), fmt.Errorf("unescaped %q at byte %d: LinkedIn would cut the post here", c, i)
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}
