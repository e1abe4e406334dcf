package bluesky

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// fakePDS is an XRPC server that checks every request as the atproto lexicons
// define it (method, bearer token, JSON fields, record key syntax, facet byte
// offsets, reply references, blob references) and answers as a PDS does,
// including a 500 for a create on an existing record key.
type fakePDS struct {
	t        *testing.T
	handle   string
	did      string
	password string
	clock    *testClock
	// didDoc, when set, is the PDS endpoint the session's DID document names.
	didDoc string

	mu      sync.Mutex
	gen     int
	access  string
	refresh string
	expired map[string]bool   // access tokens the server now calls expired
	handles map[string]string // resolvable handles
	records map[string]json.RawMessage
	cids    map[string]string
	order   []string
	blobs   map[string]int
	calls   []string
	faults  map[string][]fakeFault
	// failCreate answers the createRecord calls of these indexes (from 0)
	// with a fault, before storing anything.
	failCreate map[int]fakeFault
	creates    int
	sessions   int
	// views are the posts app.bsky.feed.getPosts shows, by URI, as the
	// AppView's postView counts them; getPosts omits any other URI.
	views map[string]map[string]any
	// getPosts lists the uris of each getPosts call.
	getPosts [][]string
}

// fakeFault is a canned answer to the next call of one method.
type fakeFault struct {
	status int
	body   string
	header map[string]string
}

var tidPattern = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

func newFakePDS(t *testing.T, clock *testClock) *fakePDS {
	return &fakePDS{
		t: t, handle: "alice.test", did: "did:plc:alice", password: "app-pass-1234", clock: clock,
		expired: map[string]bool{},
		handles: map[string]string{"bob.test": "did:plc:bob", "alice.test": "did:plc:alice"},
		records: map[string]json.RawMessage{}, cids: map[string]string{}, blobs: map[string]int{},
		faults: map[string][]fakeFault{},
	}
}

// fail makes the next call of nsid answer f instead.
func (f *fakePDS) fail(nsid string, ff fakeFault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[nsid] = append(f.faults[nsid], ff)
}

// expireAccess makes the server refuse the current access token as expired.
func (f *fakePDS) expireAccess() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired[f.access] = true
}

// revokeRefresh makes the server refuse the current refresh token.
func (f *fakePDS) revokeRefresh() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refresh = "revoked"
}

func (f *fakePDS) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakePDS) count(nsid string) int {
	n := 0
	for _, c := range f.callLog() {
		if c == nsid {
			n++
		}
	}
	return n
}

// posts returns the stored records in creation order.
func (f *fakePDS) posts() []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, k := range f.order {
		var m map[string]any
		_ = json.Unmarshal(f.records[k], &m)
		m["_rkey"] = k
		out = append(out, m)
	}
	return out
}

func (f *fakePDS) uri(rkey string) string { return "at://" + f.did + "/app.bsky.feed.post/" + rkey }

// jwt makes an unsigned token whose exp is d from the clock.
func (f *fakePDS) jwt(kind string, d time.Duration) string {
	f.gen++
	payload, _ := json.Marshal(map[string]any{"scope": kind, "sub": f.did, "exp": f.clock.Now().Add(d).Unix(), "jti": f.gen})
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256"}`)) + "." + enc.EncodeToString(payload) + ".sig"
}

func (f *fakePDS) newSession() map[string]any {
	f.access = f.jwt("access", 2*time.Hour)
	f.refresh = f.jwt("refresh", 90*24*time.Hour)
	a := map[string]any{"accessJwt": f.access, "refreshJwt": f.refresh, "handle": f.handle, "did": f.did, "active": true}
	if f.didDoc != "" {
		a["didDoc"] = map[string]any{"id": f.did, "service": []any{map[string]any{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": f.didDoc}}}
	}
	return a
}

func (f *fakePDS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, nsid)
	if q := f.faults[nsid]; len(q) > 0 {
		f.faults[nsid] = q[1:]
		for k, v := range q[0].header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(q[0].status)
		_, _ = io.WriteString(w, q[0].body)
		return
	}
	want := map[string]string{
		"com.atproto.server.createSession":   http.MethodPost,
		"com.atproto.server.refreshSession":  http.MethodPost,
		"com.atproto.server.getSession":      http.MethodGet,
		"com.atproto.identity.resolveHandle": http.MethodGet,
		"com.atproto.repo.uploadBlob":        http.MethodPost,
		"com.atproto.repo.createRecord":      http.MethodPost,
		"com.atproto.repo.getRecord":         http.MethodGet,
		"app.bsky.feed.getPosts":             http.MethodGet,
	}[nsid]
	if want == "" {
		f.t.Errorf("unexpected XRPC call %s %s", r.Method, r.URL.Path)
		xrpcFail(w, 501, "MethodNotImplemented", "Method Not Implemented")
		return
	}
	if r.Method != want {
		f.t.Errorf("%s: method %s, want %s", nsid, r.Method, want)
	}
	auth := r.Header.Get("Authorization")
	switch nsid {
	case "com.atproto.server.createSession":
		var in map[string]any
		if !f.decode(w, r, &in) {
			return
		}
		if len(in) != 2 || in["identifier"] != f.handle {
			f.t.Errorf("createSession body %v, want identifier %q and password", in, f.handle)
		}
		if auth != "" {
			f.t.Errorf("createSession sent an Authorization header")
		}
		if in["password"] != f.password {
			xrpcFail(w, 401, "AuthenticationRequired", "Invalid identifier or password")
			return
		}
		f.sessions++
		writeJSON(w, f.newSession())
	case "com.atproto.server.refreshSession":
		if auth != "Bearer "+f.refresh {
			xrpcFail(w, 400, "ExpiredToken", "Token has expired")
			return
		}
		writeJSON(w, f.newSession())
	case "com.atproto.identity.resolveHandle":
		if did, ok := f.handles[r.URL.Query().Get("handle")]; ok {
			writeJSON(w, map[string]any{"did": did})
			return
		}
		xrpcFail(w, 400, "InvalidRequest", "Unable to resolve handle")
	case "com.atproto.repo.getRecord":
		q := r.URL.Query()
		if q.Get("repo") != f.did || q.Get("collection") != "app.bsky.feed.post" || !tidPattern.MatchString(q.Get("rkey")) {
			f.t.Errorf("getRecord query %v", q)
		}
		rec, ok := f.records[q.Get("rkey")]
		if !ok {
			xrpcFail(w, 400, "RecordNotFound", "Could not locate record: "+f.uri(q.Get("rkey")))
			return
		}
		writeJSON(w, map[string]any{"uri": f.uri(q.Get("rkey")), "cid": f.cids[q.Get("rkey")], "value": rec})
	default:
		if !f.authorized(w, auth) {
			return
		}
		switch nsid {
		case "com.atproto.server.getSession":
			writeJSON(w, map[string]any{"handle": f.handle, "did": f.did})
		case "com.atproto.repo.uploadBlob":
			f.uploadBlob(w, r)
		case "com.atproto.repo.createRecord":
			f.createRecord(w, r)
		case "app.bsky.feed.getPosts":
			f.getPostsCall(w, r)
		}
	}
}

func (f *fakePDS) authorized(w http.ResponseWriter, auth string) bool {
	token, ok := strings.CutPrefix(auth, "Bearer ")
	switch {
	case !ok || token == "":
		xrpcFail(w, 401, "AuthenticationRequired", "Authentication Required")
		return false
	case f.expired[token]:
		xrpcFail(w, 400, "ExpiredToken", "Token has expired")
		return false
	case token != f.access:
		xrpcFail(w, 400, "InvalidToken", "Token could not be verified")
		return false
	}
	return true
}

func (f *fakePDS) uploadBlob(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	ct := r.Header.Get("Content-Type")
	if sniffed := http.DetectContentType(data); sniffed != ct || !strings.HasPrefix(ct, "image/") {
		f.t.Errorf("uploadBlob Content-Type %q, content is %q", ct, sniffed)
	}
	if len(data) == 0 || len(data) > 1_000_000 {
		xrpcFail(w, 400, "InvalidRequest", fmt.Sprintf("blob of %d bytes", len(data)))
		return
	}
	sum := sha256.Sum256(data)
	cid := "bafkrei" + hex.EncodeToString(sum[:10])
	f.blobs[cid] = len(data)
	writeJSON(w, map[string]any{"blob": map[string]any{"$type": "blob", "ref": map[string]string{"$link": cid}, "mimeType": ct, "size": len(data)}})
}

func (f *fakePDS) createRecord(w http.ResponseWriter, r *http.Request) {
	f.creates++
	if ff, ok := f.failCreate[f.creates-1]; ok {
		w.WriteHeader(ff.status)
		_, _ = io.WriteString(w, ff.body)
		return
	}
	var in struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	}
	if !f.decode(w, r, &in) {
		return
	}
	if in.Repo != f.did || in.Collection != "app.bsky.feed.post" {
		f.t.Errorf("createRecord repo %q collection %q", in.Repo, in.Collection)
	}
	if !tidPattern.MatchString(in.RKey) {
		f.t.Errorf("createRecord rkey %q is not a TID", in.RKey)
		xrpcFail(w, 400, "InvalidRequest", "Invalid record key")
		return
	}
	f.checkPost(in.Record)
	if _, dup := f.records[in.RKey]; dup {
		xrpcFail(w, 500, "InternalServerError", "Internal Server Error")
		return
	}
	sum := sha256.Sum256(in.Record)
	f.records[in.RKey] = in.Record
	f.cids[in.RKey] = "bafyrei" + hex.EncodeToString(sum[:10])
	f.order = append(f.order, in.RKey)
	writeJSON(w, map[string]any{"uri": f.uri(in.RKey), "cid": f.cids[in.RKey], "validationStatus": "valid"})
}

// checkPost checks a record against app.bsky.feed.post: limits, createdAt,
// facets on UTF-8 byte offsets that cover exactly the link, @handle or #tag,
// blobs that were uploaded, and replies to records that exist.
func (f *fakePDS) checkPost(raw json.RawMessage) {
	t := f.t
	var p struct {
		Type      string `json:"$type"`
		Text      string `json:"text"`
		CreatedAt string `json:"createdAt"`
		Facets    []struct {
			Index    struct{ ByteStart, ByteEnd int } `json:"index"`
			Features []map[string]string              `json:"features"`
		} `json:"facets"`
		Embed *struct {
			Type   string `json:"$type"`
			Images []struct {
				Image struct {
					Type string            `json:"$type"`
					Ref  map[string]string `json:"ref"`
					Mime string            `json:"mimeType"`
					Size int               `json:"size"`
				} `json:"image"`
				Alt *string `json:"alt"`
			} `json:"images"`
			External *struct{ URI, Title, Description *string } `json:"external"`
		} `json:"embed"`
		Reply *struct{ Root, Parent struct{ URI, CID string } } `json:"reply"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Errorf("record: %v", err)
		return
	}
	if p.Type != "app.bsky.feed.post" {
		t.Errorf("record $type %q", p.Type)
	}
	if n := uniseg.GraphemeClusterCount(p.Text); n > 300 || len(p.Text) > 3000 {
		t.Errorf("text of %d graphemes, %d bytes is over the limit", n, len(p.Text))
	}
	if ts, err := time.Parse(time.RFC3339Nano, p.CreatedAt); err != nil || !strings.HasSuffix(p.CreatedAt, "Z") || !ts.Equal(f.clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("createdAt %q, want the clock's instant in UTC (%v)", p.CreatedAt, err)
	}
	for _, fc := range p.Facets {
		s, e := fc.Index.ByteStart, fc.Index.ByteEnd
		if s < 0 || e > len(p.Text) || s >= e || !utf8.ValidString(p.Text[s:e]) {
			t.Errorf("facet [%d,%d) is not a UTF-8 range of %q", s, e, p.Text)
			continue
		}
		covered := p.Text[s:e]
		if len(fc.Features) != 1 {
			t.Errorf("facet %q has %d features", covered, len(fc.Features))
			continue
		}
		ft := fc.Features[0]
		switch ft["$type"] {
		case "app.bsky.richtext.facet#link":
			if covered != ft["uri"] {
				t.Errorf("link facet covers %q, uri %q", covered, ft["uri"])
			}
		case "app.bsky.richtext.facet#mention":
			h := strings.TrimPrefix(covered, "@")
			if f.handles[strings.ToLower(h)] != ft["did"] || !strings.HasPrefix(covered, "@") {
				t.Errorf("mention facet covers %q, did %q", covered, ft["did"])
			}
		case "app.bsky.richtext.facet#tag":
			if covered != "#"+ft["tag"] && covered != "＃"+ft["tag"] {
				t.Errorf("tag facet covers %q, tag %q", covered, ft["tag"])
			}
		default:
			t.Errorf("unknown facet feature %v", ft)
		}
	}
	if p.Embed != nil {
		switch p.Embed.Type {
		case "app.bsky.embed.images":
			if len(p.Embed.Images) == 0 || len(p.Embed.Images) > 4 {
				t.Errorf("%d images", len(p.Embed.Images))
			}
			for _, im := range p.Embed.Images {
				if im.Image.Type != "blob" || f.blobs[im.Image.Ref["$link"]] != im.Image.Size || im.Alt == nil || im.Image.Mime == "" {
					t.Errorf("image %+v does not reference an uploaded blob with alt text", im)
				}
			}
		case "app.bsky.embed.external":
			if e := p.Embed.External; e == nil || e.URI == nil || e.Title == nil || e.Description == nil {
				t.Errorf("external embed lacks uri, title or description")
			}
		default:
			t.Errorf("unknown embed %q", p.Embed.Type)
		}
	}
	if p.Reply != nil {
		for _, ref := range []struct{ URI, CID string }{p.Reply.Root, p.Reply.Parent} {
			rkey := ref.URI[strings.LastIndex(ref.URI, "/")+1:]
			if f.uri(rkey) != ref.URI || f.cids[rkey] != ref.CID {
				t.Errorf("reply reference %+v is not a stored record", ref)
			}
		}
	}
}

func (f *fakePDS) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		f.t.Errorf("%s: Content-Type %q", r.URL.Path, ct)
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		f.t.Errorf("%s: body: %v", r.URL.Path, err)
		xrpcFail(w, 400, "InvalidRequest", "bad body")
		return false
	}
	return true
}

func xrpcFail(w http.ResponseWriter, status int, name, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": name, "message": msg})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// pngFile writes a w×h PNG under dir and returns its path.
func pngFile(t *testing.T, dir, name string, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
