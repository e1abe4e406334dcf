// Package feed publishes posts as items of an RSS 2.0 file and an Atom
// (RFC 4287) file on disk, for a site or a static host to serve. Both files
// are rewritten atomically under a lock, newest item first, keeping the last
// max_items. An item's id comes from the delivery's idempotency key, so a
// retried delivery replaces its item: the network is RetryIdempotent.
package feed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/internal/atomicfile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/longform"
)

// Name is the network's name in the registry.
const Name = "feed"

const defaultMaxItems = 50

var network = publishers.Network{
	Name:        Name,
	Description: "RSS 2.0 and Atom feed files",
	Settings: []publishers.Field{
		{Name: "path", Required: true, Kind: publishers.OutFile, Help: "the RSS file to write, e.g. public/feed.xml"},
		{Name: "atom_path", Kind: publishers.OutFile, Help: "the Atom file (default: path with the extension .atom)"},
		{Name: "title", Help: "the feed's title (default: the channel's name)"},
		{Name: "link", Kind: publishers.URL, Help: "the site's URL"},
		{Name: "description", Help: "what the feed is about (default: the title)"},
		{Name: "author", Help: "the Atom feed's author (default: the title)"},
		{Name: "media_url", Help: "URL the media files are served under; enclosures link name there (default: file: URLs)"},
		{Name: "max_items", Default: strconv.Itoa(defaultMaxItems), Help: "how many items the files keep"},
	},
	Safety: publishers.RetryIdempotent,
}

func init() {
	network.New = New // set here: New reads network, a cycle in a var initialiser
	// Its rules need the settings only (the feed's title, which may come
	// from the channel's name, is no part of them).
	network.Offline = func(settings map[string]string) (publishers.Validator, error) { return fromSettings(settings, "") }
	publishers.Register(network)
}

// Publisher writes one channel's feed files.
type Publisher struct {
	cfg      publishers.Config
	rssPath  string
	atomPath string
	title    string
	link     string
	desc     string
	author   string
	mediaURL string
	maxItems int
}

var (
	_ publishers.Publisher = (*Publisher)(nil)
	_ publishers.Checker   = (*Publisher)(nil)
	_ publishers.Previewer = (*Publisher)(nil)
)

// New builds a publisher from a channel's settings.
func New(cfg publishers.Config) (publishers.Publisher, error) {
	p, err := fromSettings(cfg.Settings, cfg.Channel)
	if err != nil {
		return nil, err
	}
	p.cfg = cfg
	return p, nil
}

// fromSettings reads the channel's settings (the channel's name is the
// feed's default title): what New builds, with no clock (Offline).
func fromSettings(settings map[string]string, channel string) (*Publisher, error) {
	if missing := network.Missing(settings, nil); len(missing) > 0 {
		return nil, fmt.Errorf("feed: missing %s", strings.Join(missing, ", "))
	}
	cfg := publishers.Config{Channel: channel, Settings: settings}
	s := func(k string) string { return strings.TrimSpace(cfg.Settings[k]) }
	p := &Publisher{cfg: cfg, rssPath: filepath.Clean(s("path")), link: s("link"), mediaURL: s("media_url")}
	p.atomPath = s("atom_path")
	if p.atomPath == "" {
		p.atomPath = strings.TrimSuffix(p.rssPath, filepath.Ext(p.rssPath)) + ".atom"
	}
	p.atomPath = filepath.Clean(p.atomPath)
	if p.atomPath == p.rssPath {
		return nil, fmt.Errorf("feed: atom_path and path are the same file %s; set atom_path", p.rssPath)
	}
	n, err := strconv.Atoi(network.Setting(cfg.Settings, "max_items"))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("feed: max_items %q is not a positive number", cfg.Settings["max_items"])
	}
	p.maxItems = n
	for _, k := range []string{"link", "media_url"} {
		if v := s(k); v != "" {
			if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
				return nil, fmt.Errorf("feed: %s %q is not an absolute URL", k, v)
			}
		}
	}
	p.title = firstOf(s("title"), cfg.Channel, "crieur")
	p.desc = firstOf(s("description"), p.title)
	p.author = firstOf(s("author"), p.title)
	return p, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Validate lists what would stop the item: nothing to show, media missing.
func (p *Publisher) Validate(post publishers.Post) []publishers.Problem {
	var probs []publishers.Problem
	if strings.TrimSpace(post.Title) == "" && strings.TrimSpace(post.Text) == "" {
		probs = append(probs, publishers.Problem{Field: "text", Message: "a feed item needs a title or a body"})
	}
	for i, m := range post.Media {
		if st, err := os.Stat(m.Path); err != nil {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: fmt.Sprintf("%s: no such file", m.Path)})
		} else if !st.Mode().IsRegular() {
			probs = append(probs, publishers.Problem{Field: fmt.Sprintf("media[%d]", i), Message: fmt.Sprintf("%s is not a file", m.Path)})
		}
	}
	return probs
}

// Publish adds the post to both files, or replaces its item when an earlier
// attempt of the same delivery already wrote it.
func (p *Publisher) Publish(ctx context.Context, post publishers.Post) (publishers.Result, error) {
	if err := ctx.Err(); err != nil {
		return publishers.Result{}, &publishers.Error{Class: publishers.Transient, Message: err.Error(), Err: err}
	}
	if probs := p.Validate(post); len(probs) > 0 {
		return publishers.Result{}, publishers.Errorf(publishers.Permanent, "%s", probs[0])
	}
	now := p.cfg.Clock().UTC().Truncate(time.Second)
	it, err := p.item(post, now)
	if err != nil {
		return publishers.Result{}, fileError(err)
	}
	unlock, err := atomicfile.Lock(p.rssPath + ".lock")
	if err != nil {
		return publishers.Result{}, fileError(err)
	}
	defer unlock()

	items, err := p.read()
	if err != nil {
		return publishers.Result{}, fileError(err)
	}
	items = p.merge(items, it)
	if err := atomicfile.Write(p.rssPath, 0o644, bytesWriter(p.rss(items, now))); err != nil {
		return publishers.Result{}, fileError(err)
	}
	if err := atomicfile.Write(p.atomPath, 0o644, bytesWriter(p.atom(items, now))); err != nil {
		return publishers.Result{}, fileError(err)
	}
	return publishers.Result{RemoteID: it.ID, RemoteURL: it.Link, PublishedAt: now}, nil
}

// merge puts it in place of the item with its id, or first; newest first,
// at most maxItems.
func (p *Publisher) merge(items []item, it item) []item {
	out := []item{it}
	for _, old := range items {
		if old.ID != it.ID {
			out = append(out, old)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Published.After(out[j].Published) })
	if len(out) > p.maxItems {
		out = out[:p.maxItems]
	}
	return out
}

// Check makes sure the files can be written: the folder exists, the lock can
// be taken and an existing feed file is one this adapter can extend.
func (p *Publisher) Check(ctx context.Context) (string, error) {
	for _, path := range []string{p.rssPath, p.atomPath} {
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return "", publishers.Errorf(publishers.Permanent, "folder %s does not exist", filepath.Dir(path))
		}
	}
	unlock, err := atomicfile.Lock(p.rssPath + ".lock")
	if err != nil {
		return "", fileError(err)
	}
	defer unlock()
	items, err := p.read()
	if err != nil {
		return "", fileError(err)
	}
	return fmt.Sprintf("%s and %s writable, %d of at most %d items", p.rssPath, p.atomPath, len(items), p.maxItems), nil
}

// Preview shows the item's title and text; Extra is its HTML.
func (p *Publisher) Preview(post publishers.Post) publishers.Preview {
	pv := publishers.Preview{Unit: "characters", Problems: p.Validate(post)}
	it, err := p.item(post, p.cfg.Clock().UTC())
	if err != nil {
		pv.Problems = append(pv.Problems, publishers.Problem{Message: err.Error()})
		return pv
	}
	text := strings.TrimSpace(post.Text)
	if post.Markdown {
		text = longform.PlainText(post.Text)
	}
	part := it.Title + "\n\n" + text
	pv.Parts, pv.Count, pv.Extra = []string{part}, []int{len([]rune(part))}, it.HTML
	return pv
}

// fileError classifies a file system failure: a refused permission or a file
// this adapter must not overwrite needs a person; anything else (a full disk,
// an interrupted lock) may pass.
func fileError(err error) *publishers.Error {
	class := publishers.Transient
	var notFeed *notFeedError
	if errors.Is(err, fs.ErrPermission) || errors.As(err, &notFeed) || errors.Is(err, fs.ErrNotExist) {
		class = publishers.Permanent
	}
	return &publishers.Error{Class: class, Message: err.Error(), Err: err}
}
