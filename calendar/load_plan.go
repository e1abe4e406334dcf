package calendar

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
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

// plannedPost is one load item checked and compared with the calendar.
type plannedPost struct {
	src      itemRef
	post     loadPost // what the load says, normalized
	hash     string
	action   string
	old      *Post // the calendar's post, when it exists and differs by hash
	id       int64
	version  int64
	changes  []string
	chans    []*Channel
	problems []FieldError // found while building, before the plan orders them
	refresh  bool         // unchanged, but its stored hash is stale: store the current one
	pastTime bool
	// dropped is an approval the load recorded but did not keep (no --keep-approvals).
	dropped bool
	// camp is the post's campaign in the plan (the writer gives it its id);
	// campaign is the checks' copy of it.
	camp     *plannedCampaign
	campaign *Campaign
	checked  []FieldError // what the networks refuse, found by the checks
	// users counts the stages (writer, checks) still to use the post's
	// content; the last one done drops it (release).
	users atomic.Int32
}

// release says one stage is done with the post. The last one drops its
// content: only what the plan entries and warnings name (slug, time,
// channels) stays, so a big load does not keep every row's text to its end.
func (pp *plannedPost) release() {
	if pp.users.Add(-1) != 0 {
		return
	}
	p := &pp.post
	p.Title, p.Body, p.Link, p.Excerpt = "", "", "", ""
	p.Tags, p.Thread, p.Media, p.Variants, p.Times, p.Notes = nil, nil, nil, nil, nil, nil
}

type plannedCampaign struct {
	c       Campaign
	action  string // create, update, unchanged
	changes []string
	full    bool // defined by a campaign block, not only named
	file    string
	line    int
}

type plan struct {
	posts     []*plannedPost
	campaigns []*plannedCampaign
	byName    map[string]*plannedCampaign
	channels  map[string]*Channel
	problems  []FieldError
	conflicts []FieldError
	warnings  []FieldError
	// twice are the plan entries of posts whose slug came earlier in the
	// load, each with the number of posts planned before it.
	twice []twiceEntry
	// workers build items in parallel (0: one a processor).
	workers int
}

type twiceEntry struct {
	before int
	entry  PlanEntry
}

func (pl *plan) entries() []PlanEntry {
	out := make([]PlanEntry, 0, len(pl.campaigns)+len(pl.posts))
	for _, c := range pl.campaigns {
		if c.action == ActionUnchanged {
			continue
		}
		out = append(out, PlanEntry{Kind: "campaign", Action: c.action, Name: c.c.Name, File: c.file, Line: c.line, Changes: c.changes})
	}
	twice := pl.twice
	for i, p := range pl.posts {
		for len(twice) > 0 && twice[0].before <= i {
			out = append(out, twice[0].entry)
			twice = twice[1:]
		}
		e := PlanEntry{Kind: "post", Action: p.action, Slug: p.post.Slug, At: p.post.PublishAt, Channels: p.post.Channels,
			File: p.src.File, Line: p.src.Line, Changes: p.changes}
		if p.action == ActionConflict {
			e.Reason = fmt.Sprintf("already %s", StatusWords(p.old.Status))
		}
		out = append(out, e)
	}
	for _, t := range twice {
		out = append(out, t.entry)
	}
	return out
}

// itemRef is what the plan keeps of a load item to point at it (the item
// itself can go: a big load's rows are most of its memory).
type itemRef struct {
	File       string
	Line       int
	At         string
	noSlug     bool
	FieldLines map[string]int
	Defaults   map[string]int
}

func (r *itemRef) problem(field, format string, args ...any) FieldError {
	it := LoadItem{File: r.File, Line: r.Line, FieldLines: r.FieldLines, Defaults: r.Defaults}
	return it.problem(field, format, args...)
}

// loadPost is the part of a Post a load gives, kept small: a big load holds
// one per row.
type loadPost struct {
	Slug, Title, Body, Link, Excerpt, Campaign, Status string
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

// asPost is the post the load describes (Source is its file:line).
func (lp *loadPost) asPost(source string) Post {
	return Post{Slug: lp.Slug, Title: lp.Title, Body: lp.Body, Link: lp.Link, Excerpt: lp.Excerpt, Campaign: lp.Campaign,
		Status: lp.Status, Tags: lp.Tags, Channels: lp.Channels, Thread: lp.Thread, Media: lp.Media, Variants: lp.Variants,
		PublishAt: lp.PublishAt, Source: source, ApprovedBy: lp.ApprovedBy, ApprovedAt: lp.ApprovedAt, Notes: lp.Notes,
		Queued: len(lp.Times) > 0, Deliveries: timesAsDeliveries(lp.Times), AutoThread: lp.AutoThread}
}

func (pp *plannedPost) source() string {
	return pp.src.File + ":" + strconv.Itoa(pp.src.Line)
}

// canonical is the part of a post a load owns, in a fixed form: its hash
// says whether the calendar already holds what the file says.
type canonical struct {
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
}

// statusClass folds the workflow states a post moves through by itself
// (review, approval, publishing) into the one a load asks for.
func statusClass(s string) string {
	switch s {
	case StatusDraft, StatusCanceled:
		return s
	}
	return StatusScheduled
}

func canonicalOf(p *Post) canonical {
	c := canonical{Slug: p.Slug, Title: p.Title, Body: p.Body, Link: p.Link, Excerpt: p.Excerpt, Campaign: p.Campaign,
		Tags: nonNilList(p.Tags), Channels: append([]string{}, p.Channels...), Variants: nonNil(p.Variants),
		Media: p.Media, Thread: nonNilList(p.Thread), Status: statusClass(p.Status), AutoThread: p.AutoThread && len(p.Thread) == 0}
	sort.Strings(c.Channels)
	if c.Media == nil {
		c.Media = []Media{}
	}
	if p.PublishAt != nil {
		c.At = p.PublishAt.UnixMilli()
	}
	c.Times = channelTimes(p)
	return c
}

// hash digests every field, each length-prefixed so no two posts collide by
// moving text from one field to the next.
func (c canonical) hash() string {
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

// changedFields names the fields in which b differs from a.
func changedFields(a, b canonical) []string {
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := 0; i < t.NumField(); i++ {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, t.Field(i).Tag.Get("json"))
		}
	}
	return out
}

// storedHash is what posts.content_hash holds: the content hash and the
// version it was written at, so an edit made by another path (which keeps
// the column as it was but bumps the version) is never taken for unchanged.
func storedHash(hash string, version int64) string {
	return hash + "@" + strconv.FormatInt(version, 10)
}

// planner plans a load a chunk of items at a time, in the load's order:
// each chunk is planned (and can be written) while later items are still
// being read. Only the whole load says whether it may be written: a problem
// or conflict met at its last item fails it all.
type planner struct {
	s      *Store
	pl     *plan
	opt    LoadOptions
	zones  map[string]*time.Location
	now    time.Time
	have   map[string]Campaign // the calendar's campaigns, by name
	bySlug map[string]*plannedPost
	noSlug slugless
	sent   int // campaigns already handed to the writer
}

// newPlanner starts a plan against the calendar with the campaigns a load
// defines up front (a YAML/JSON campaign block).
func (s *Store) newPlanner(ctx context.Context, campaigns []LoadCampaign, opt LoadOptions) (*planner, error) {
	pl := &plan{channels: map[string]*Channel{}, byName: map[string]*plannedCampaign{}}
	chans, err := s.Channels(ctx)
	if err != nil {
		return nil, err
	}
	zones := map[string]*time.Location{}
	for i := range chans {
		c := &chans[i]
		pl.channels[c.Name] = c
		if c.TZ != "" {
			zones[c.Name] = c.Zone(opt.Zone)
		}
	}
	existing, err := s.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]Campaign{}
	for _, c := range existing {
		have[c.Name] = c
	}
	p := &planner{s: s, pl: pl, opt: opt, zones: zones, now: s.now(), have: have, bySlug: map[string]*plannedPost{}}
	for _, lc := range campaigns {
		p.addCampaign(lc)
	}
	return p, nil
}

// chunk plans the load's next items. It returns the posts planned, in the
// load's order (a slug given twice is a conflict, not a post), and the
// campaigns planned since the last chunk, which the writer must write
// before those posts.
func (p *planner) chunk(ctx context.Context, items []LoadItem) ([]*plannedPost, []*plannedCampaign, error) {
	pl := p.pl
	// Campaigns only named by posts (or --campaign) are created by name when missing.
	for i := range items {
		it := &items[i]
		if strings.TrimSpace(it.Campaign) == "" {
			p.named(p.opt.Campaign, "", 0)
		} else {
			p.named(strings.TrimSpace(it.Campaign), it.File, it.Line)
		}
	}
	built := pl.buildAll(items, p.opt, p.zones, p.now)
	out := make([]*plannedPost, 0, len(built))
	for i := range built {
		pp := &built[i]
		pl.problems = append(pl.problems, pp.problems...)
		pp.problems = nil
		if prev, dup := p.bySlug[pp.post.Slug]; dup {
			first := fmt.Sprintf("%s:%d", prev.src.File, prev.src.Line)
			pl.conflicts = append(pl.conflicts, pp.src.problem("slug", "slug %q is given twice in this load (first at %s)", pp.post.Slug, first))
			pl.twice = append(pl.twice, twiceEntry{before: len(pl.posts), entry: PlanEntry{Kind: "post", Action: ActionConflict, Slug: pp.post.Slug,
				At: pp.post.PublishAt, Channels: pp.post.Channels, File: pp.src.File, Line: pp.src.Line, Reason: "slug given twice (first at " + first + ")"}})
			continue
		}
		if pp.src.noSlug {
			p.noSlug.add(pp)
		}
		if c := pl.byName[pp.post.Campaign]; c != nil {
			pp.camp = c
			cc := c.c // the checks' copy: the writer sets the original's id
			pp.campaign = &cc
		}
		p.bySlug[pp.post.Slug] = pp
		pl.posts = append(pl.posts, pp)
		out = append(out, pp)
	}
	if err := p.s.classify(ctx, pl, out, p.opt, p.now); err != nil {
		return nil, nil, err
	}
	return out, p.newCampaigns(), nil
}

// newCampaigns are the campaigns planned since the last call.
func (p *planner) newCampaigns() []*plannedCampaign {
	out := p.pl.campaigns[p.sent:]
	p.sent = len(p.pl.campaigns)
	return out
}

// finish ends the plan once every item is planned: the warnings that sum
// up the whole load.
func (p *planner) finish() *plan {
	p.pl.warnings = append(p.pl.warnings, p.noSlug.warnings()...)
	p.pl.approvalWarnings(p.opt)
	return p.pl
}

// failed says whether the load can no longer be written.
func (p *planner) failed() bool {
	return len(p.pl.problems) > 0 || len(p.pl.conflicts) > 0
}

// slugless gathers the posts that have no slug, by file: a format without
// slugs (a Hootsuite CSV) gets one warning per file, not one per row.
type slugless struct {
	files []string
	by    map[string][]*plannedPost
}

func (s *slugless) add(pp *plannedPost) {
	if s.by == nil {
		s.by = map[string][]*plannedPost{}
	}
	if _, ok := s.by[pp.src.File]; !ok {
		s.files = append(s.files, pp.src.File)
	}
	s.by[pp.src.File] = append(s.by[pp.src.File], pp)
}

func (s *slugless) warnings() []FieldError {
	var out []FieldError
	for _, f := range s.files {
		posts := s.by[f]
		first := posts[0]
		if len(posts) == 1 {
			out = append(out, first.src.problem("slug", "no slug: keyed as %q, which changes if the post moves in the file; give it a slug", first.post.Slug))
			continue
		}
		out = append(out, first.src.problem("slug", "%d posts have no slug: each is keyed by its place in the file (this one as %q), which changes if rows move; add a slug column to keep them apart",
			len(posts), first.post.Slug))
	}
	return out
}

// addCampaign merges a campaign the load defines or names with the calendar's.
func (p *planner) addCampaign(lc LoadCampaign) {
	pl, have := p.pl, p.have
	if prev, ok := pl.byName[lc.Name]; ok {
		if lc.Full && prev.full && (prev.c.StartsOn != lc.StartsOn || prev.c.EndsOn != lc.EndsOn ||
			!reflect.DeepEqual(nonNil(prev.c.UTM), nonNil(lc.UTM)) || prev.c.Color != lc.Color) {
			pl.problems = append(pl.problems, FieldError{File: lc.File, Line: lc.Line, Field: "campaign",
				Message: fmt.Sprintf("campaign %q is defined differently at %s:%d", lc.Name, prev.file, prev.line)})
		}
		return
	}
	pc := &plannedCampaign{c: lc.Campaign, full: lc.Full, file: lc.File, line: lc.Line}
	if err := ValidName("campaign", lc.Name); err != nil {
		pl.problems = append(pl.problems, FieldError{File: lc.File, Line: lc.Line, Field: "campaign", Message: err.(*ValidationError).Problems[0].Message})
		return
	}
	for _, d := range []struct{ field, v string }{{"campaign.from", lc.StartsOn}, {"campaign.to", lc.EndsOn}} {
		if err := CheckDay(d.field, d.v); d.v != "" && err != nil {
			pl.problems = append(pl.problems, FieldError{File: lc.File, Line: lc.Line, Field: d.field, Message: err.(*ValidationError).Problems[0].Message})
		}
	}
	if lc.StartsOn != "" && lc.EndsOn != "" && lc.EndsOn < lc.StartsOn {
		pl.problems = append(pl.problems, FieldError{File: lc.File, Line: lc.Line, Field: "campaign.to", Message: fmt.Sprintf("campaign ends (%s) before it starts (%s)", lc.EndsOn, lc.StartsOn)})
	}
	old, ok := have[lc.Name]
	switch {
	case !ok:
		pc.action = ActionCreate
	case !lc.Full:
		pc.c, pc.action = old, ActionUnchanged
	default:
		pc.c.ID = old.ID
		pc.action = ActionUnchanged
		for _, f := range []struct {
			name string
			same bool
		}{{"from", old.StartsOn == lc.StartsOn}, {"to", old.EndsOn == lc.EndsOn},
			{"utm", reflect.DeepEqual(nonNil(old.UTM), nonNil(lc.UTM))}, {"color", old.Color == lc.Color}} {
			if !f.same {
				pc.changes = append(pc.changes, f.name)
			}
		}
		if len(pc.changes) > 0 {
			pc.action = ActionUpdate
		}
	}
	pl.byName[lc.Name] = pc
	pl.campaigns = append(pl.campaigns, pc)
}

// named plans a campaign a post only names: created when missing.
func (p *planner) named(name, file string, line int) {
	if name != "" {
		if _, ok := p.pl.byName[name]; !ok {
			p.addCampaign(LoadCampaign{Campaign: Campaign{Name: name, UTM: map[string]string{}}, File: file, Line: line})
		}
	}
}

// Statuses a load may give a post; the daemon alone publishes.
var loadStatuses = map[string]bool{StatusDraft: true, StatusReview: true, StatusScheduled: true, StatusCanceled: true,
	// accepted for posts already in that state (an export loaded back), refused for new ones
	StatusApproved: true, StatusPublished: true, StatusPartial: true, StatusFailed: true}

// buildAll builds every item, in parallel: normalizing, parsing times and
// hashing is most of a big load's work outside the database.
func (pl *plan) buildAll(items []LoadItem, opt LoadOptions, zones map[string]*time.Location, now time.Time) []plannedPost {
	out := make([]plannedPost, len(items))
	workers := pl.workers
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
func (pl *plan) build(pp *plannedPost, it *LoadItem, opt LoadOptions, zones map[string]*time.Location, now time.Time) {
	pp.src = itemRef{File: it.File, Line: it.Line, At: it.At, noSlug: strings.TrimSpace(it.Slug) == "", FieldLines: it.FieldLines, Defaults: it.Defaults}
	p := &pp.post
	bad := func(field, format string, args ...any) {
		pp.problems = append(pp.problems, it.problem(field, format, args...))
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
	p.Tags = uniqueTrimmed(it.Tags)
	names := uniqueTrimmed(it.Channels)
	if len(names) == 0 {
		names = uniqueTrimmed(opt.DefaultChannels)
	}
	var zone *time.Location
	for _, n := range names {
		c, ok := pl.channels[n]
		if !ok {
			bad("channels", "unknown channel %q (see `crieur channel list`)", n)
			continue
		}
		if zone == nil {
			zone = zones[n]
		}
		pp.chans = append(pp.chans, c)
	}
	p.Channels = names
	if !sort.StringsAreSorted(names) {
		p.Channels = append([]string{}, names...)
		sort.Strings(p.Channels)
	}
	sort.SliceStable(pp.chans, func(i, j int) bool { return pp.chans[i].Name < pp.chans[j].Name })
	if len(it.Variants) > 0 {
		p.Variants = make(map[string]string, len(it.Variants))
		for name, text := range it.Variants {
			name = strings.TrimSpace(name)
			if text = cleanText(text); text == "" {
				continue
			}
			if !contains(names, name) {
				bad("variants."+name, "variant for %q, which is not one of the post's channels", name)
			}
			p.Variants[name] = text
		}
	}
	for _, t := range it.Thread {
		if t = cleanText(t); t != "" {
			p.Thread = append(p.Thread, t)
		}
	}
	p.AutoThread = it.AutoThread || len(p.Thread) > 0
	for i, m := range it.Media {
		m.Path, m.Alt = strings.TrimSpace(m.Path), strings.TrimSpace(m.Alt)
		if m.Path == "" {
			bad(fmt.Sprintf("media[%d]", i), "no path")
			continue
		}
		if !isURL(m.Path) {
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
	if len(names) == 0 && statusClass(strings.ToLower(strings.TrimSpace(it.Status))) == StatusScheduled && strings.TrimSpace(it.At) != "" {
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
		t, err := parseWhen(at, now, loc)
		if err != nil {
			bad("at", "%v", err)
		} else {
			t = time.UnixMilli(t.UnixMilli()).UTC()
			p.PublishAt = &t
			pp.pastTime = t.Before(now.Add(-time.Second))
		}
	}
	p.Status = strings.ToLower(strings.TrimSpace(it.Status))
	pl.buildExtras(pp, it, opt, zone, now, bad)
	switch {
	case p.Status == "" && (p.PublishAt != nil || strings.TrimSpace(it.At) == ""):
		p.Status = InitialStatus(p.Status, p.PublishAt)
	case p.Status == "": // its time did not parse: reported above
	case !loadStatuses[p.Status]:
		bad("status", "unknown status %q (use draft, scheduled or canceled)", p.Status)
	case p.Status == StatusScheduled && p.PublishAt == nil && strings.TrimSpace(it.At) == "":
		bad("status", "a scheduled post needs a time (at)")
	}
	post := p.asPost("")
	c := canonicalOf(&post)
	pp.hash = c.hash()
}

// parseWhen is when.Parse with a fast path for the forms machines write
// (RFC 3339, and local times away from any zone transition), which is
// most of a big load's rows. Anything else goes to when.Parse.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
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

func isURL(s string) bool {
	return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")
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
		if v == "" || strings.TrimSpace(v) != v || contains(in[:i], v) {
			clean = false
			break
		}
	}
	if clean && in != nil {
		return in
	}
	out := []string{}
	for _, v := range in {
		if v = strings.TrimSpace(v); v != "" && !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type existingPost struct {
	id      int64
	version int64
	hash    string
	status  string
}

// classify decides each post's action from the calendar's copy, found by
// slug in a few bulk queries.
func (s *Store) classify(ctx context.Context, pl *plan, posts []*plannedPost, opt LoadOptions, now time.Time) error {
	found := make(map[string]existingPost, len(posts))
	slugs := make([]string, 0, len(posts))
	for _, pp := range posts {
		slugs = append(slugs, pp.post.Slug)
	}
	// In slug order, each chunk reads one stretch of the slug index (and, as
	// posts are mostly created in slug order, of the table): in map order a
	// big load's chunks would read pages all over the file, again and again.
	sort.Strings(slugs)
	const chunk = 900
	for start := 0; start < len(slugs); start += chunk {
		part := slugs[start:min(start+chunk, len(slugs))]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rows, err := s.db.QueryContext(ctx, `SELECT id, slug, content_hash, version, status FROM posts WHERE slug IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e existingPost
			var slug string
			if err := rows.Scan(&e.id, &slug, &e.hash, &e.version, &e.status); err != nil {
				rows.Close()
				return err
			}
			found[slug] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	var slow []int64
	for _, pp := range posts {
		e, ok := found[pp.post.Slug]
		switch {
		case !ok:
			pp.action = ActionCreate
		case e.hash == storedHash(pp.hash, e.version):
			pp.action, pp.id, pp.version = ActionUnchanged, e.id, e.version
		default:
			pp.id, pp.version = e.id, e.version
			slow = append(slow, e.id)
		}
	}
	olds, err := s.postsByID(ctx, slow)
	if err != nil {
		return err
	}
	for _, pp := range posts {
		if pp.action != "" {
			continue
		}
		old := olds[pp.id]
		if old == nil {
			pp.action = ActionCreate // deleted since: the write step's constraints catch any race
			continue
		}
		pp.old = old
		post := pp.post.asPost("")
		pp.changes = changedFields(canonicalOf(old), canonicalOf(&post))
		switch {
		case len(pp.changes) == 0:
			pp.action, pp.refresh = ActionUnchanged, true
		case old.Status == StatusPublished || old.Status == StatusPartial:
			pp.action = ActionConflict
			pl.conflicts = append(pl.conflicts, pp.src.problem("slug", "post %q is already %s; the load would change its %s (edit the post by hand, or give the new text another slug)",
				pp.post.Slug, StatusWords(old.Status), strings.Join(pp.changes, ", ")))
		default:
			pp.action = ActionUpdate
		}
	}
	for _, pp := range posts {
		timed := pp.action == ActionCreate || (pp.action == ActionUpdate && contains(pp.changes, "at"))
		if timed && pp.pastTime && !opt.AllowPast {
			pl.problems = append(pl.problems, pp.src.problem("at", "%s is in the past (%s); pass --allow-past to load it anyway",
				strings.TrimSpace(pp.src.At), inZone(*pp.post.PublishAt, opt.Zone)))
		}
		if pp.action == ActionCreate {
			switch pp.post.Status {
			case StatusApproved:
				if pp.post.ApprovedAt == nil {
					pl.problems = append(pl.problems, pp.src.problem("status", "a new post cannot be loaded as approved without its approval (approved_by, approved_at) and --keep-approvals"))
				}
			case StatusPublished, StatusPartial, StatusFailed:
				pl.problems = append(pl.problems, pp.src.problem("status", "a new post cannot be loaded as %s (use draft, scheduled or canceled)", pp.post.Status))
			}
		}
	}
	return nil
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

// postsByID reads whole posts (children included) in chunks.
func (s *Store) postsByID(ctx context.Context, ids []int64) (map[int64]*Post, error) {
	out := make(map[int64]*Post, len(ids))
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, v := range part {
			args[i] = v
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+postCols+postFrom+` WHERE p.id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		var posts []Post
		for rows.Next() {
			p, err := scanPost(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			posts = append(posts, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if err := s.loadChildren(ctx, posts, true); err != nil {
			return nil, err
		}
		for i := range posts {
			out[posts[i].ID] = &posts[i]
		}
	}
	return out, nil
}

// inZone shows t as the user reads times: in zone (the viewer's), else UTC.
func inZone(t time.Time, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02 15:04 MST")
}
