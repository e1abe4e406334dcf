package calendar

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crieur/crieur/calendar/when"
)

// PlannedPost is one load item checked and compared with the calendar.
type PlannedPost struct {
	Src      itemRef
	Post     LoadPost // what the load says, normalized
	Hash     string
	Action   string
	Old      *Post // the calendar's post, when it exists and differs by hash
	ID       int64
	Version  int64
	Changes  []string
	Chans    []*Channel
	Problems []FieldError // found while building, before the plan orders them
	Refresh  bool         // unchanged, but its stored hash is stale: store the current one
	PastTime bool
	// AtZone is the zone the load read the post's time in (its first
	// zoned channel's, else the load's), for messages about that time.
	AtZone *time.Location
	// dropped is an approval the load recorded but did not keep (no --keep-approvals).
	dropped bool
	// Camp is the post's campaign in the plan (the writer gives it its id);
	// campaign is the checks' copy of it.
	Camp     *PlannedCampaign
	Campaign *Campaign
	Checked  []FieldError // what the networks refuse, found by the checks
	// Users counts the stages (writer, checks) still to use the post's
	// content; the last one done drops it (release).
	Users atomic.Int32
	// NewID is the id reserved for a new post before the writer writes it
	// (PostgreSQL: the posts go in by COPY with their ids); ID is set once
	// the post is written.
	NewID int64
}

// Release says one stage is done with the post. The last one drops its
// content: only what the plan entries and warnings name (slug, time,
// channels) stays, so a big load does not keep every row's text to its end.
func (pp *PlannedPost) Release() {
	if pp.Users.Add(-1) != 0 {
		return
	}
	p := &pp.Post
	p.Title, p.Body, p.Link, p.Excerpt = "", "", "", ""
	p.Tags, p.Thread, p.Media, p.Variants, p.Times, p.Notes = nil, nil, nil, nil, nil, nil
}

type PlannedCampaign struct {
	C Campaign
	// Created is the id the writer gave a campaign it created. The writer
	// keeps it apart from C, which the planner copies for the checks of
	// later chunks while the writer runs.
	Created int64
	Action  string // create, update, unchanged
	Changes []string
	Full    bool // defined by a campaign block, not only named
	File    string
	Line    int
}

type Plan struct {
	Posts     []*PlannedPost
	Campaigns []*PlannedCampaign
	ByName    map[string]*PlannedCampaign
	Channels  map[string]*Channel
	// Categories are the calendar's evergreen categories (nil: not checked).
	Categories map[string]bool
	Problems   []FieldError
	Conflicts  []FieldError
	Warnings   []FieldError
	// Twice are the plan entries of posts whose slug came earlier in the
	// load, each with the number of posts planned before it.
	Twice []TwiceEntry
	// Workers build items in parallel (0: one a processor).
	Workers int
}

type TwiceEntry struct {
	Before int
	Entry  PlanEntry
}

func (pl *Plan) Entries() []PlanEntry {
	out := make([]PlanEntry, 0, len(pl.Campaigns)+len(pl.Posts))
	for _, c := range pl.Campaigns {
		if c.Action == ActionUnchanged {
			continue
		}
		out = append(out, PlanEntry{Kind: "campaign", Action: c.Action, Name: c.C.Name, File: c.File, Line: c.Line, Changes: c.Changes})
	}
	twice := pl.Twice
	for i, p := range pl.Posts {
		for len(twice) > 0 && twice[0].Before <= i {
			out = append(out, twice[0].Entry)
			twice = twice[1:]
		}
		e := PlanEntry{Kind: "post", Action: p.Action, Slug: p.Post.Slug, At: p.Post.PublishAt, Channels: p.Post.Channels,
			File: p.Src.File, Line: p.Src.Line, Changes: p.Changes}
		if p.Action == ActionConflict {
			e.Reason = fmt.Sprintf("already %s", StatusWords(p.Old.Status))
		}
		out = append(out, e)
	}
	for _, t := range twice {
		out = append(out, t.Entry)
	}
	return out
}

// itemRef is what the plan keeps of a load item to point at it (the item
// itself can go: a big load's rows are most of its memory).
type itemRef struct {
	File       string
	Line       int
	At         string
	NoSlug     bool
	FieldLines map[string]int
	Defaults   map[string]int
}

func (r *itemRef) Problem(field, format string, args ...any) FieldError {
	it := LoadItem{File: r.File, Line: r.Line, FieldLines: r.FieldLines, Defaults: r.Defaults}
	return it.problem(field, format, args...)
}

// LoadPost is the part of a Post a load gives, kept small: a big load holds
// one per row.
type LoadPost struct {
	Slug, Title, Body, Link, Excerpt, Campaign, Status string
	Category                                           string
	MaxRepeats                                         int
	MinGap                                             time.Duration
	ExpiresAt                                          *time.Time
	Tags, Channels, Thread                             []string
	Media                                              []Media
	Variants                                           map[string]string
	PublishAt                                          *time.Time
	Times                                              map[string]time.Time
	AutoThread                                         bool
	ApprovedBy                                         string
	ApprovedAt                                         *time.Time
	Notes                                              []Note
}

// AsPost is the post the load describes (Source is its file:line).
func (lp *LoadPost) AsPost(source string) Post {
	return Post{Slug: lp.Slug, Title: lp.Title, Body: lp.Body, Link: lp.Link, Excerpt: lp.Excerpt, Campaign: lp.Campaign,
		Status: lp.Status, Tags: lp.Tags, Channels: lp.Channels, Thread: lp.Thread, Media: lp.Media, Variants: lp.Variants,
		PublishAt: lp.PublishAt, Source: source, ApprovedBy: lp.ApprovedBy, ApprovedAt: lp.ApprovedAt, Notes: lp.Notes,
		Queued: len(lp.Times) > 0, Deliveries: timesAsDeliveries(lp.Times), AutoThread: lp.AutoThread,
		Category: lp.Category, MaxRepeats: lp.MaxRepeats, MinGap: lp.MinGap, ExpiresAt: lp.ExpiresAt}
}

func (pp *PlannedPost) Source() string {
	return pp.Src.File + ":" + strconv.Itoa(pp.Src.Line)
}

// Canonical is the part of a post a load owns, in a fixed form: its hash
// says whether the calendar already holds what the file says.
type Canonical struct {
	Slug     string            `json:"slug"`
	Title    string            `json:"title"`
	Body     string            `json:"body"`
	Link     string            `json:"link"`
	Excerpt  string            `json:"excerpt"`
	Campaign string            `json:"campaign"`
	Tags     []string          `json:"tags"`
	Channels []string          `json:"channels"`
	Variants map[string]string `json:"variants"`
	Media    []Media           `json:"media"`
	Thread   []string          `json:"thread"`
	At       int64             `json:"at"` // ms; 0 when unscheduled
	Status   string            `json:"status"`
	Times    map[string]int64  `json:"times"` // ms, channels whose time is not At; nil when none
	// AutoThread is "thread: true" (the author allows a thread; explicit
	// parts imply it, so it counts only without them).
	AutoThread bool `json:"thread: true"`
	// The evergreen fields, hashed only when set (so the hashes of posts
	// written before stay as they were).
	Category   string `json:"category,omitempty"`
	MaxRepeats int    `json:"max_repeats,omitempty"`
	MinGap     int64  `json:"min_gap,omitempty"` // ms
	Expires    int64  `json:"expires,omitempty"` // ms
}

// StatusClass folds the workflow states a post moves through by itself
// (review, approval, publishing) into the one a load asks for.
func StatusClass(s string) string {
	switch s {
	case StatusDraft, StatusCanceled:
		return s
	}
	return StatusScheduled
}

func CanonicalOf(p *Post) Canonical {
	c := Canonical{Slug: p.Slug, Title: p.Title, Body: p.Body, Link: p.Link, Excerpt: p.Excerpt, Campaign: p.Campaign,
		Tags: NonNilList(p.Tags), Channels: append([]string{}, p.Channels...), Variants: NonNil(p.Variants),
		Media: p.Media, Thread: NonNilList(p.Thread), Status: StatusClass(p.Status), AutoThread: p.AutoThread && len(p.Thread) == 0,
		Category: p.Category, MaxRepeats: p.MaxRepeats, MinGap: p.MinGap.Milliseconds()}
	if p.ExpiresAt != nil {
		c.Expires = p.ExpiresAt.UnixMilli()
	}
	sort.Strings(c.Channels)
	if c.Media == nil {
		c.Media = []Media{}
	}
	if p.PublishAt != nil {
		c.At = p.PublishAt.UnixMilli()
	}
	c.Times = ChannelTimes(p)
	return c
}

// hash digests every field, each length-prefixed so no two posts collide by
// moving text from one field to the next.
func (c Canonical) hash() string {
	h := sha256.New()
	var n [8]byte
	put := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	list := func(l []string) {
		put(strconv.Itoa(len(l)))
		for _, v := range l {
			put(v)
		}
	}
	put("v1")
	for _, v := range []string{c.Slug, c.Title, c.Body, c.Link, c.Excerpt, c.Campaign, c.Status, strconv.FormatInt(c.At, 10)} {
		put(v)
	}
	list(c.Tags)
	list(c.Channels)
	list(c.Thread)
	keys := slices.Sorted(maps.Keys(c.Variants))
	put(strconv.Itoa(len(keys)))
	for _, k := range keys {
		put(k)
		put(c.Variants[k])
	}
	put(strconv.Itoa(len(c.Media)))
	for _, m := range c.Media {
		put(m.Path)
		put(m.Alt)
	}
	if c.AutoThread { // only then: the hashes of posts written before stay as they were
		put("auto_thread")
	}
	if c.Category != "" || c.MaxRepeats != 0 || c.MinGap != 0 || c.Expires != 0 { // only then, as for times
		put("evergreen")
		put(c.Category)
		put(strconv.Itoa(c.MaxRepeats))
		put(strconv.FormatInt(c.MinGap, 10))
		put(strconv.FormatInt(c.Expires, 10))
	}
	if len(c.Times) > 0 { // only then: the hashes of posts without their own times stay as they were
		put("times")
		names := slices.Sorted(maps.Keys(c.Times))
		put(strconv.Itoa(len(names)))
		for _, k := range names {
			put(k)
			put(strconv.FormatInt(c.Times[k], 10))
		}
	}
	var sum [32]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// Slugless gathers the posts that have no slug, by file: a format without
// slugs (a Hootsuite CSV) gets one warning per file, not one per row.
type Slugless struct {
	files []string
	by    map[string][]*PlannedPost
}

func (s *Slugless) Add(pp *PlannedPost) {
	if s.by == nil {
		s.by = map[string][]*PlannedPost{}
	}
	if _, ok := s.by[pp.Src.File]; !ok {
		s.files = append(s.files, pp.Src.File)
	}
	s.by[pp.Src.File] = append(s.by[pp.Src.File], pp)
}

func (s *Slugless) Warnings() []FieldError {
	var out []FieldError
	for _, f := range s.files {
		posts := s.by[f]
		first := posts[0]
		if len(posts) == 1 {
			out = append(out, first.Src.Problem("slug", "no slug: keyed as %q, which changes if the post moves in the file; give it a slug", first.Post.Slug))
			continue
		}
		out = append(out, first.Src.Problem("slug", "%d posts have no slug: each is keyed by its place in the file (this one as %q), which changes if rows move; add a slug column to keep them apart",
			len(posts), first.Post.Slug))
	}
	return out
}

// BuildAll builds every item, in parallel: normalizing, parsing times and
// hashing is most of a big load's work outside the database.
func (pl *Plan) BuildAll(items []LoadItem, opt LoadOptions, zones map[string]*time.Location, now time.Time) []PlannedPost {
	out := make([]PlannedPost, len(items))
	workers := pl.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	if workers == 1 {
		for i := range items {
			pl.build(&out[i], &items[i], opt, zones, now)
		}
		return out
	}
	per := (len(items) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*per, min((w+1)*per, len(items))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				pl.build(&out[i], &items[i], opt, zones, now)
			}
		}()
	}
	wg.Wait()
	return out
}

// build normalizes one item into the post it describes, recording problems.
// It only reads the plan, so items build in parallel.
func (pl *Plan) build(pp *PlannedPost, it *LoadItem, opt LoadOptions, zones map[string]*time.Location, now time.Time) {
	pp.Src = itemRef{File: it.File, Line: it.Line, At: it.At, NoSlug: strings.TrimSpace(it.Slug) == "", FieldLines: it.FieldLines, Defaults: it.Defaults}
	p := &pp.Post
	bad := func(field, format string, args ...any) {
		pp.Problems = append(pp.Problems, it.problem(field, format, args...))
	}
	checkFieldSizes(it, bad)
	p.Slug = strings.Clone(strings.TrimSpace(it.Slug)) // not a piece of the row, which can go once written
	if p.Slug == "" {
		p.Slug = defaultSlug(it.File, it.Row)
	} else if err := ValidSlug(p.Slug); err != nil {
		bad("slug", "%s", err.(*ValidationError).Problems[0].Message)
	}
	p.Title, p.Body = cleanText(it.Title), cleanText(it.Body)
	p.Link, p.Excerpt = strings.TrimSpace(it.Link), cleanText(it.Excerpt)
	if p.Link != "" && !WebURL(p.Link) {
		bad("link", "%s", LinkProblem(p.Link))
	}
	p.Campaign = strings.TrimSpace(it.Campaign)
	if p.Campaign == "" {
		p.Campaign = opt.Campaign
	}
	pl.buildEvergreen(p, it, opt.Zone, now, bad)
	p.Tags = uniqueTrimmed(it.Tags)
	names := uniqueTrimmed(it.Channels)
	if len(names) == 0 {
		names = uniqueTrimmed(opt.DefaultChannels)
	}
	for _, n := range names {
		c, ok := pl.Channels[n]
		if !ok {
			bad("channels", "%s", UnknownChannelMessage(n, slices.Sorted(maps.Keys(pl.Channels))))
			continue
		}
		pp.Chans = append(pp.Chans, c)
	}
	// zones holds the channels with a zone of their own. nil: none has
	// one; the load's zone then (below).
	zone := PostZone(names, func(n string) *time.Location { return zones[n] }, nil)
	p.Channels = names
	if !sort.StringsAreSorted(names) {
		p.Channels = append([]string{}, names...)
		sort.Strings(p.Channels)
	}
	sort.SliceStable(pp.Chans, func(i, j int) bool { return pp.Chans[i].Name < pp.Chans[j].Name })
	p.Variants = cleanVariants(it.Variants)
	for name := range p.Variants {
		if !slices.Contains(names, name) {
			bad("variants."+name, "variant for %q, which is not one of the post's channels", name)
		}
	}
	p.Thread = cleanThread(it.Thread)
	p.AutoThread = it.AutoThread || len(p.Thread) > 0
	for i, m := range it.Media {
		m.Path, m.Alt = strings.TrimSpace(m.Path), strings.TrimSpace(m.Alt)
		if m.Path == "" {
			bad(fmt.Sprintf("media[%d]", i), "no path")
			continue
		}
		if !IsURL(m.Path) {
			if !filepath.IsAbs(m.Path) {
				m.Path = filepath.Join(it.BaseDir, m.Path)
			}
			m.Path = filepath.Clean(m.Path)
			if msg := checkLoadMedia(mediaRoot(opt, it), m.Path); msg != "" {
				bad(fmt.Sprintf("media[%d]", i), "%s", msg)
			} else if abs, err := filepath.Abs(m.Path); err == nil {
				// Kept by its full path: the daemon that publishes it
				// may run in another folder.
				m.Path = abs
			}
		}
		p.Media = append(p.Media, m)
	}
	if len(names) == 0 && StatusClass(strings.ToLower(strings.TrimSpace(it.Status))) == StatusScheduled && strings.TrimSpace(it.At) != "" {
		bad("channels", "no channel to publish on: name some, or pass --default-channel C")
	}
	if msg := ContentProblem(&Post{Title: p.Title, Body: p.Body, Media: p.Media}); msg != "" {
		bad("body", "%s", msg)
	}
	if at := strings.TrimSpace(it.At); at != "" {
		loc := zone
		if opt.ForceZone || loc == nil {
			loc = opt.Zone
		}
		t, err := ParseWhen(at, now, loc)
		if err != nil {
			bad("at", "%v", err)
		} else {
			t = time.UnixMilli(t.UnixMilli()).UTC()
			p.PublishAt = &t
			pp.PastTime = t.Before(now.Add(-time.Second))
			pp.AtZone = loc
		}
	}
	p.Status = StatusWord(it.Status)
	pl.buildExtras(pp, it, opt, zone, now, bad)
	switch {
	case p.Status == "" && (p.PublishAt != nil || strings.TrimSpace(it.At) == ""):
		p.Status = InitialStatus(p.Status, p.PublishAt)
	case p.Status == "": // its time did not parse: reported above
	default:
		// A time that did not parse is reported above, not as a missing one.
		if msg := StatusProblem(p.Status, p.PublishAt != nil || strings.TrimSpace(it.At) != ""); msg != "" {
			bad("status", "%s", msg)
		}
	}
	post := p.AsPost("")
	c := CanonicalOf(&post)
	pp.Hash = c.hash()
}

// ParseWhen is when.Parse with a fast path for the forms machines write
// (RFC 3339, and local times away from any zone transition), which is
// most of a big load's rows. Anything else goes to when.Parse.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if len(s) >= 20 && s[10] == 'T' {
		if t, err := time.Parse(time.RFC3339, s); err == nil && when.InRange(s, t) == nil {
			return t.In(loc), nil
		}
	}
	if len(s) == 16 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' {
		y, e1 := strconv.Atoi(s[0:4])
		mo, e2 := strconv.Atoi(s[5:7])
		d, e3 := strconv.Atoi(s[8:10])
		h, e4 := strconv.Atoi(s[11:13])
		mi, e5 := strconv.Atoi(s[14:16])
		if e1 == nil && e2 == nil && e3 == nil && e4 == nil && e5 == nil && mo >= 1 && mo <= 12 && d >= 1 && h <= 23 && mi <= 59 {
			t := time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc)
			// Unambiguous when the day matches (no overflow) and the zone's
			// offset is the same a day either side (no transition near).
			_, off := t.Zone()
			_, before := t.Add(-26 * time.Hour).Zone()
			_, after := t.Add(26 * time.Hour).Zone()
			if t.Day() == d && off == before && off == after && when.InRange(s, t) == nil {
				return t, nil
			}
		}
	}
	return when.Parse(s, now, loc)
}

// DefaultSlug is the slug a load gives a post of file at row that names
// none.
func DefaultSlug(file string, row int) string { return defaultSlug(file, row) }

// defaultSlug keys a post that has no slug by its file's name and its
// position there: stable while the file's rows stay in place.
func defaultSlug(file string, row int) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	sum := sha256.Sum256([]byte(base + "#" + strconv.Itoa(row)))
	s := Slugify(base)
	if s == "post" && base == "" {
		s = "load"
	}
	return s + "-" + hex.EncodeToString(sum[:4])
}

// IsURL says whether a media path names a web address (fetched at publish
// time) rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
}

// cleanVariants keeps the variants that say something, each named by its
// trimmed channel name, their text as cleanText keeps it.
func cleanVariants(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for name, text := range in {
		if text = cleanText(text); text != "" {
			out[strings.TrimSpace(name)] = text
		}
	}
	return out
}

// cleanThread keeps the thread parts that say something, as cleanText keeps
// them.
func cleanThread(in []string) []string {
	var out []string
	for _, t := range in {
		if t = cleanText(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// cleanText is how a load keeps text: Unix line ends, no surrounding space.
func cleanText(s string) string {
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return strings.TrimSpace(s)
}

// uniqueTrimmed returns in's trimmed non-empty values without repeats; in
// itself when it is already so (a big load shares its rows' lists).
func uniqueTrimmed(in []string) []string {
	clean := true
	for i, v := range in {
		if v == "" || strings.TrimSpace(v) != v || slices.Contains(in[:i], v) {
			clean = false
			break
		}
	}
	if clean && in != nil {
		return in
	}
	out := []string{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

type ExistingPost struct {
	ID      int64
	Version int64
	Hash    string
	Status  string
}

// checkField names a network's problem in the load's words.
func checkField(field, channel string, p *Post) string {
	switch field {
	case "", "text":
		if _, ok := p.Variants[channel]; ok {
			return "variants." + channel
		}
		return "body"
	}
	return field
}

// buildEvergreen reads a load item's category and limits. The expiry is read
// in the load's zone (a bare date is its midnight).
func (pl *Plan) buildEvergreen(p *LoadPost, it *LoadItem, loc *time.Location, now time.Time, bad func(field, format string, args ...any)) {
	p.Category = strings.TrimSpace(it.Category)
	if p.Category != "" && pl.Categories != nil && !pl.Categories[p.Category] {
		bad("category", "unknown category %q (see `crieur category list`; add it with `crieur category add %s`)", p.Category, p.Category)
	}
	if v := strings.TrimSpace(it.MaxRepeats); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("max_repeats", "%q is not a number of times (0 or more)", v)
		}
		p.MaxRepeats = n
	}
	if gap, err := ParseGap(it.MinGap); err != nil {
		bad("min_gap", "%v", err)
	} else {
		p.MinGap = gap
	}
	if v := strings.TrimSpace(it.Expires); v != "" {
		t, err := ParseExpiry(v, now, loc)
		if err != nil {
			bad("expires", "%v", err)
		} else {
			p.ExpiresAt = &t
		}
	}
}
