package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// item is one post in the feed, as both formats need it.
type item struct {
	ID        string // RSS guid, Atom id
	Title     string
	Link      string
	HTML      string
	Published time.Time
	Tags      []string
	Enclosure *enclosure
}

type enclosure struct {
	URL    string `xml:"url,attr"`
	Length int64  `xml:"length,attr"`
	Type   string `xml:"type,attr"`
}

// itemID is the item's stable id: a tag: URI (RFC 4151) of the delivery's
// idempotency key, so every attempt of a delivery names the same item; the
// post's link when there is no key.
func itemID(post publishers.Post) string {
	key := post.IdempotencyKey
	if key == "" && post.Link != "" {
		return post.Link
	}
	if key == "" {
		key = fmt.Sprintf("delivery-%d", post.DeliveryID)
	}
	return "tag:crieur,2026:" + url.PathEscape(key)
}

func (p *Publisher) item(post publishers.Post, now time.Time) (item, error) {
	it := item{ID: itemID(post), Title: strings.TrimSpace(post.Title), Link: firstOf(post.Link, post.Canonical), Published: now}
	if it.Title == "" {
		it.Title = longform.FirstLine(post.Text)
		if !post.Markdown {
			it.Title, _, _ = strings.Cut(strings.TrimSpace(post.Text), "\n")
		}
	}
	if post.Markdown {
		h, err := longform.HTML(post.Text)
		if err != nil {
			return item{}, err
		}
		it.HTML = h
	} else {
		it.HTML = longform.TextHTML(post.Text)
	}
	for _, t := range post.Tags {
		if t = strings.TrimSpace(t); t != "" {
			it.Tags = append(it.Tags, t)
		}
	}
	if len(post.Media) > 0 {
		enc, err := p.enclosure(post.Media[0].Path)
		if err != nil {
			return item{}, err
		}
		it.Enclosure = enc
	}
	return it, nil
}

// enclosure describes a media file: its size, its type from its first bytes
// (then its extension), and its URL under media_url.
func (p *Publisher) enclosure(path string) (*enclosure, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, 512)
	n, _ := f.Read(head)
	ct := http.DetectContentType(head[:n])
	if byExt := mime.TypeByExtension(filepath.Ext(path)); byExt != "" && (ct == "application/octet-stream" || strings.HasPrefix(ct, "text/plain")) {
		ct = byExt
	}
	ct, _, _ = strings.Cut(ct, ";")
	var u string
	if p.mediaURL != "" {
		u = strings.TrimSuffix(p.mediaURL, "/") + "/" + url.PathEscape(filepath.Base(path))
	} else {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		u = (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	return &enclosure{URL: u, Length: st.Size(), Type: ct}, nil
}

// RSS 2.0, as written and as read back.
type rssDoc struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title         string    `xml:"title"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Generator     string    `xml:"generator,omitempty"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Items         []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string     `xml:"title"`
	Link        string     `xml:"link,omitempty"`
	Description string     `xml:"description"`
	GUID        rssGUID    `xml:"guid"`
	PubDate     string     `xml:"pubDate"`
	Categories  []string   `xml:"category"`
	Enclosure   *enclosure `xml:"enclosure"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	Value       string `xml:",chardata"`
}

func (p *Publisher) rss(items []item, now time.Time) []byte {
	doc := rssDoc{Version: "2.0", Channel: rssChannel{Title: p.title, Link: p.link, Description: p.desc,
		Generator: "crieur", LastBuildDate: now.Format(time.RFC1123Z)}}
	for _, it := range items {
		perma := "false"
		if it.ID == it.Link {
			perma = "true"
		}
		doc.Channel.Items = append(doc.Channel.Items, rssItem{Title: it.Title, Link: it.Link, Description: it.HTML,
			GUID: rssGUID{IsPermaLink: perma, Value: it.ID}, PubDate: it.Published.Format(time.RFC1123Z),
			Categories: it.Tags, Enclosure: it.Enclosure})
	}
	return marshal(doc)
}

// Atom (RFC 4287).
type atomFeed struct {
	XMLName   xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string      `xml:"id"`
	Title     string      `xml:"title"`
	Subtitle  string      `xml:"subtitle,omitempty"`
	Updated   string      `xml:"updated"`
	Author    atomPerson  `xml:"author"`
	Links     []atomLink  `xml:"link"`
	Generator string      `xml:"generator"`
	Entries   []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel    string `xml:"rel,attr,omitempty"`
	Href   string `xml:"href,attr"`
	Type   string `xml:"type,attr,omitempty"`
	Length int64  `xml:"length,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      string         `xml:"title"`
	Updated    string         `xml:"updated"`
	Published  string         `xml:"published"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Content    atomContent    `xml:"content"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

type atomContent struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

func (p *Publisher) atom(items []item, now time.Time) []byte {
	// The feed's id must not change; the site's URL is the natural one.
	id := p.link
	if id == "" {
		id = "tag:crieur,2026:feed/" + url.PathEscape(p.title)
	}
	f := atomFeed{ID: id, Title: p.title, Updated: now.Format(time.RFC3339), Author: atomPerson{Name: p.author}, Generator: "crieur"}
	if p.desc != p.title {
		f.Subtitle = p.desc
	}
	if p.link != "" {
		f.Links = append(f.Links, atomLink{Rel: "alternate", Href: p.link})
	}
	for _, it := range items {
		e := atomEntry{ID: it.ID, Title: it.Title, Updated: it.Published.Format(time.RFC3339),
			Published: it.Published.Format(time.RFC3339), Content: atomContent{Type: "html", Body: it.HTML}}
		if it.Link != "" {
			e.Links = append(e.Links, atomLink{Rel: "alternate", Href: it.Link})
		}
		if it.Enclosure != nil {
			e.Links = append(e.Links, atomLink{Rel: "enclosure", Href: it.Enclosure.URL, Type: it.Enclosure.Type, Length: it.Enclosure.Length})
		}
		for _, t := range it.Tags {
			e.Categories = append(e.Categories, atomCategory{Term: t})
		}
		f.Entries = append(f.Entries, e)
	}
	return marshal(f)
}

func marshal(v any) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Only unsupported Go types fail to encode; these structs have none.
		panic("feed: encoding XML: " + err.Error())
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// notFeedError is an existing file that is not an RSS feed this adapter can
// extend: overwriting it could destroy someone's work.
type notFeedError struct {
	path string
	err  error
}

func (e *notFeedError) Error() string {
	return fmt.Sprintf("%s is not an RSS 2.0 feed (%v); refusing to overwrite it", e.path, e.err)
}

func (e *notFeedError) Unwrap() error { return e.err }

// read loads the items of the RSS file; a missing or empty file has none.
func (p *Publisher) read() ([]item, error) {
	data, err := os.ReadFile(p.rssPath)
	if errors.Is(err, fs.ErrNotExist) || err == nil && len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var doc rssDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, &notFeedError{p.rssPath, err}
	}
	if doc.XMLName.Local != "rss" {
		return nil, &notFeedError{p.rssPath, fmt.Errorf("root element <%s>", doc.XMLName.Local)}
	}
	items := make([]item, 0, len(doc.Channel.Items))
	for i, ri := range doc.Channel.Items {
		t, err := time.Parse(time.RFC1123Z, strings.TrimSpace(ri.PubDate))
		if err != nil {
			return nil, &notFeedError{p.rssPath, fmt.Errorf("item %d: pubDate %q: %v", i+1, ri.PubDate, err)}
		}
		items = append(items, item{ID: strings.TrimSpace(ri.GUID.Value), Title: ri.Title, Link: ri.Link, HTML: ri.Description,
			Published: t.UTC(), Tags: ri.Categories, Enclosure: ri.Enclosure})
	}
	return items, nil
}
