package bluesky

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// record is a post that exists on the PDS.
type record struct {
	URI       string `json:"uri"`
	CID       string `json:"cid"`
	createdAt string
}

func (r record) rkey() string { return r.URI[strings.LastIndex(r.URI, "/")+1:] }

func (r record) ref() strongRef { return strongRef{URI: r.URI, CID: r.CID} }

// The app.bsky.feed.post record and its parts, as the lexicons name them.
type (
	postRecord struct {
		Type      string    `json:"$type"`
		Text      string    `json:"text"`
		CreatedAt string    `json:"createdAt"`
		Facets    []facet   `json:"facets,omitempty"`
		Embed     any       `json:"embed,omitempty"`
		Reply     *replyRef `json:"reply,omitempty"`
		Langs     []string  `json:"langs,omitempty"`
	}
	facet struct {
		Index    byteSlice `json:"index"`
		Features []feature `json:"features"`
	}
	byteSlice struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	}
	feature struct {
		Type string `json:"$type"`
		URI  string `json:"uri,omitempty"`
		DID  string `json:"did,omitempty"`
		Tag  string `json:"tag,omitempty"`
	}
	strongRef struct {
		URI string `json:"uri"`
		CID string `json:"cid"`
	}
	replyRef struct {
		Root   strongRef `json:"root"`
		Parent strongRef `json:"parent"`
	}
	imagesEmbed struct {
		Type   string       `json:"$type"`
		Images []embedImage `json:"images"`
	}
	embedImage struct {
		Image       json.RawMessage `json:"image"` // the blob as uploadBlob returned it
		Alt         string          `json:"alt"`
		AspectRatio *aspectRatio    `json:"aspectRatio,omitempty"`
	}
	aspectRatio struct {
		Width  int `json:"width"`
		Height int `json:"height"`
	}
	externalEmbed struct {
		Type     string   `json:"$type"`
		External external `json:"external"`
	}
	external struct {
		URI         string `json:"uri"`
		Title       string `json:"title"`
		Description string `json:"description"`
	}
	createRecordInput struct {
		Repo       string     `json:"repo"`
		Collection string     `json:"collection"`
		RKey       string     `json:"rkey"`
		Record     postRecord `json:"record"`
	}
)

// thread publishes the parts of one post in order.
type thread struct {
	pub      *Publisher
	post     publishers.Post
	key      string
	retrying bool
	dids     map[string]string // resolved mentions; "" when unresolvable
	root     *strongRef
	parent   *strongRef
}

// part publishes part i (or finds it, when an earlier attempt did) and
// returns its record. The common path is one createRecord per part; a part is
// looked up first only when this delivery was tried before, and after a
// failure that may hide a success: the PDS answers a second create on the
// same key with a 500, and a timeout leaves the outcome unknown.
func (t *thread) part(ctx context.Context, s *session, i int, text string) (record, error) {
	rkey := recordKey(t.key, i)
	if t.retrying {
		r, ok, err := t.pub.getRecord(ctx, s, rkey)
		if err != nil {
			return record{}, err
		}
		if ok {
			t.follow(r)
			return r, nil
		}
	}
	rec := postRecord{
		Type:      postCollection,
		Text:      text,
		CreatedAt: t.pub.now().UTC().Format("2006-01-02T15:04:05.000Z"),
		Langs:     t.pub.langs,
	}
	var err error
	if rec.Facets, err = t.facets(ctx, s, text); err != nil {
		return record{}, err
	}
	if i == 0 {
		if rec.Embed, err = t.embed(ctx); err != nil {
			return record{}, err
		}
	}
	if t.root != nil {
		rec.Reply = &replyRef{Root: *t.root, Parent: *t.parent}
	}
	var r record
	err = t.pub.authed(ctx, request{
		method: http.MethodPost,
		nsid:   "com.atproto.repo.createRecord",
		body:   createRecordInput{Repo: s.did, Collection: postCollection, RKey: rkey, Record: rec},
	}, &r)
	if err != nil {
		if class, _ := publishers.Classify(err); class == publishers.Transient {
			if found, ok, lerr := t.pub.getRecord(ctx, s, rkey); lerr == nil && ok {
				t.follow(found)
				return found, nil
			}
		}
		return record{}, err
	}
	r.createdAt = rec.CreatedAt
	t.follow(r)
	return r, nil
}

// live takes up a thread after its live parts: the first is the root, the
// last the parent of the next part. A part recorded without its CID is read
// back from the PDS. It returns the first part's record.
func (t *thread) live(ctx context.Context, s *session, parts []publishers.PartResult) (record, error) {
	var first record
	for i, p := range parts {
		if i != 0 && i != len(parts)-1 {
			continue
		}
		r := record{URI: p.RemoteID, CID: p.Ref}
		if !p.PublishedAt.IsZero() {
			r.createdAt = p.PublishedAt.UTC().Format(time.RFC3339Nano)
		}
		if r.CID == "" {
			found, ok, err := t.pub.getRecord(ctx, s, r.rkey())
			if err != nil {
				return record{}, err
			}
			if !ok {
				return record{}, &publishers.Error{Class: publishers.Permanent, Message: fmt.Sprintf(
					"thread part %d was published (%s) but is no longer on the PDS: the thread cannot be continued", p.Index+1, p.RemoteID)}
			}
			if r.createdAt != "" {
				found.createdAt = r.createdAt
			}
			r = found
		}
		if i == 0 {
			first = r
			t.follow(r)
		}
		if i == len(parts)-1 && i != 0 {
			t.follow(r)
		}
	}
	return first, nil
}

// follow makes r the parent of the next part (and the root, if first).
func (t *thread) follow(r record) {
	ref := r.ref()
	if t.root == nil {
		t.root = &ref
	}
	t.parent = &ref
}

// facets turns the spans of text into facets; a mention whose handle does not
// resolve stays plain text.
func (t *thread) facets(ctx context.Context, s *session, text string) ([]facet, error) {
	var out []facet
	for _, sp := range findSpans(text) {
		f := feature{Type: sp.Kind}
		switch sp.Kind {
		case featureLink:
			f.URI = sp.Value
		case featureTag:
			f.Tag = sp.Value
		case featureMention:
			did, err := t.resolve(ctx, s, sp.Value)
			if err != nil {
				return nil, err
			}
			if did == "" {
				continue
			}
			f.DID = did
		}
		out = append(out, facet{Index: byteSlice{ByteStart: sp.Start, ByteEnd: sp.End}, Features: []feature{f}})
	}
	return out, nil
}

// resolve returns the DID of handle, or "" when the PDS says it resolves to
// none (a 4xx). Other failures are returned: posting a mention as plain text
// because the network blinked would be a silent loss.
func (t *thread) resolve(ctx context.Context, s *session, handle string) (string, error) {
	if did, ok := t.dids[handle]; ok {
		return did, nil
	}
	var a struct {
		DID string `json:"did"`
	}
	err := t.pub.call(ctx, s.service, request{
		method: http.MethodGet,
		nsid:   "com.atproto.identity.resolveHandle",
		query:  url.Values{"handle": {handle}},
	}, &a)
	if err != nil {
		if class, _ := publishers.Classify(err); class != publishers.Permanent {
			return "", err
		}
	}
	t.dids[handle] = a.DID
	return a.DID, nil
}

// embed builds the first part's embed: its images, uploaded now, or else a
// card for the post's link.
func (t *thread) embed(ctx context.Context) (any, error) {
	if len(t.post.Media) == 0 {
		if t.post.Link == "" {
			return nil, nil
		}
		return externalEmbed{Type: "app.bsky.embed.external", External: external{
			URI: t.post.Link, Title: t.post.Title, Description: t.post.Excerpt,
		}}, nil
	}
	e := imagesEmbed{Type: "app.bsky.embed.images"}
	for i, m := range t.post.Media {
		img, err := loadImage(m.Path, m.Alt)
		if err != nil {
			return nil, &publishers.Error{Class: publishers.Permanent, Message: fmt.Sprintf("media[%d]: %v", i, err), Err: err}
		}
		var a struct {
			Blob json.RawMessage `json:"blob"`
		}
		err = t.pub.authed(ctx, request{
			method:      http.MethodPost,
			nsid:        "com.atproto.repo.uploadBlob",
			raw:         img.data,
			contentType: img.mime,
		}, &a)
		if err != nil {
			return nil, err
		}
		ei := embedImage{Image: a.Blob, Alt: img.alt}
		if img.width > 0 && img.height > 0 {
			ei.AspectRatio = &aspectRatio{Width: img.width, Height: img.height}
		}
		e.Images = append(e.Images, ei)
	}
	return e, nil
}

// getRecord looks up the post at rkey in the account's repo: (record, true)
// when it exists, (_, false, nil) when the PDS says it does not.
func (pub *Publisher) getRecord(ctx context.Context, s *session, rkey string) (record, bool, error) {
	var a struct {
		URI   string `json:"uri"`
		CID   string `json:"cid"`
		Value struct {
			CreatedAt string `json:"createdAt"`
		} `json:"value"`
	}
	err := pub.call(ctx, s.service, request{
		method: http.MethodGet,
		nsid:   "com.atproto.repo.getRecord",
		query:  url.Values{"repo": {s.did}, "collection": {postCollection}, "rkey": {rkey}},
	}, &a)
	if errorName(err) == "RecordNotFound" {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, err
	}
	return record{URI: a.URI, CID: a.CID, createdAt: a.Value.CreatedAt}, true, nil
}
