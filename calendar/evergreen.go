package calendar

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Evergreen recycling. A category is a library of posts; a category slot
// (a slot with a category) is filled ahead of time, by the leader's fill job
// or `crieur category fill`, with a copy of one of the library's posts.
//
// The model: each fill makes a NEW post copied from the evergreen original
// (its text, link, media, tags, campaign, thread, and the variant for the
// slot's channel), timed at the slot's instant on that one channel, with
// recycled_from naming the original. The copy is an ordinary post with its
// own delivery, status and history: a person edits, moves or cancels it like
// any other, alone, and it publishes what it says. Editing the original
// changes only the copies made after. A delivery that pointed at the
// original instead would publish the original's text of the day, could not
// be edited alone, and would share one delivery row per (post, channel)
// (the schema's unique key), so it could not repeat.

// Category orders.
const (
	// OrderFIFO: the least recently used post first (never used first,
	// then oldest member first).
	OrderFIFO = "fifo"
	// OrderLIFO: the least used post first, the newest member first among
	// equals (new content airs before old content repeats).
	OrderLIFO = "lifo"
	// OrderShuffle: a random pick among the least recently used posts,
	// seeded by the slot and its instant, so a rerun of the fill agrees
	// with the first run.
	OrderShuffle = "shuffle"
)

// Orders lists the category orders.
var Orders = []string{OrderFIFO, OrderLIFO, OrderShuffle}

// Category is an evergreen library that category slots draw from.
type Category struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Order string `json:"order"`
	// MaxRepeats caps how many copies of one post are made (0: no cap).
	MaxRepeats int `json:"max_repeats"`
	// MinGap keeps a post from coming back on one channel within it.
	MinGap     time.Duration `json:"-"`
	MinGapText string        `json:"min_gap"`
	// ExpiresAt: no copy of the category's posts is timed at or after it.
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// CheckOrder says whether o is a category order ("" is fifo).
func CheckOrder(o string) (string, error) {
	o = strings.ToLower(strings.TrimSpace(o))
	if o == "" {
		return OrderFIFO, nil
	}
	for _, k := range Orders {
		if o == k {
			return o, nil
		}
	}
	return "", Invalid("order", "unknown order %q: use %s", o, strings.Join(Orders, ", "))
}

// ParseGap reads a minimum gap: "30d", "2w", or a Go duration ("36h").
// "" and "0" are no gap.
func ParseGap(s string) (time.Duration, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" || s == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err == nil && v >= 0 {
				return time.Duration(v) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a gap: write days (30d), weeks (2w) or hours (36h)", s)
	}
	return d, nil
}

// GapText writes a gap as ParseGap reads it: whole days as "30d".
func GapText(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// FillSlot is one instant of a category slot, in the fill's window.
type FillSlot struct {
	SlotID     int64
	ChannelID  int64
	Channel    string
	CategoryID int64
	Category   string
	At         time.Time
	// Zone is the slot's zone (the channel's): the copy's slug says the
	// local time.
	Zone *time.Location
}

// EvergreenPost is what the fill's choice needs of a library post.
type EvergreenPost struct {
	ID         int64
	Slug       string
	CategoryID int64
	JoinedAt   time.Time
	// Channels limits the post to these channels (none: any channel).
	Channels   []int64
	MaxRepeats int
	MinGap     time.Duration
	ExpiresAt  *time.Time
	// Copies counts the live copies made of it so far, and LastUse is the
	// latest of their times (the store sums its whole history).
	Copies  int
	LastUse time.Time
}

// EvergreenUse is one time a library post is (or was) on a channel: a copy
// (Copy), or the original itself being scheduled or published there.
type EvergreenUse struct {
	PostID    int64
	ChannelID int64
	At        time.Time
	Copy      bool
}

type pickPost struct {
	EvergreenPost
	order   int // position in the library (by join time)
	copies  int
	lastUse time.Time
	uses    []EvergreenUse
}

// shuffleWindow is how many of the least recently used eligible posts a
// shuffle draws from: random, yet no post comes back before most others.
const shuffleWindow = 16

// Picker chooses, slot by slot, which library post fills a category slot,
// applying the category's order and the limits (max repeats, expiry, min
// gap on the channel, the post's channels). It holds no SQL: the store
// reads the library and its uses, asks Pick for each slot in time order, and
// tells Use what it made.
//
// Each category's posts are kept sorted in the category's order (fifo and
// shuffle: least recently used first; lifo: least used, newest first), so a
// pick reads from the front until a post may fill the slot, and a use moves
// one post back: a fill of hundreds of slots from a library of thousands
// stays in milliseconds.
type Picker struct {
	cats  map[int64]Category
	lib   map[int64][]*pickPost
	posts map[int64]*pickPost
	ready bool // built: Use keeps the order
}

// NewPicker builds a picker from the categories, their posts (in join
// order, with their copies counted) and their uses near the fill's window
// (within the longest min gap of it), which the gaps are measured against;
// these uses are not counted again as copies.
func NewPicker(cats []Category, posts []EvergreenPost, uses []EvergreenUse) *Picker {
	p := &Picker{cats: map[int64]Category{}, lib: map[int64][]*pickPost{}, posts: make(map[int64]*pickPost, len(posts))}
	for _, c := range cats {
		p.cats[c.ID] = c
	}
	for i, ep := range posts {
		pp := &pickPost{EvergreenPost: ep, order: i, copies: ep.Copies, lastUse: ep.LastUse}
		p.lib[ep.CategoryID] = append(p.lib[ep.CategoryID], pp)
		p.posts[ep.ID] = pp
	}
	for _, u := range uses {
		u.Copy = false // counted in Copies
		p.Use(u)
	}
	for id, l := range p.lib {
		less := p.less(id)
		sort.SliceStable(l, func(i, j int) bool { return less(l[i], l[j]) })
	}
	p.ready = true
	return p
}

// less is the category's order: whether a comes before b.
func (p *Picker) less(category int64) func(a, b *pickPost) bool {
	if p.cats[category].Order == OrderLIFO {
		return func(a, b *pickPost) bool {
			return a.copies < b.copies || (a.copies == b.copies && a.order > b.order)
		}
	}
	return func(a, b *pickPost) bool {
		return a.lastUse.Before(b.lastUse) || (a.lastUse.Equal(b.lastUse) && a.order < b.order)
	}
}

// Use records that a post is on a channel at an instant.
func (p *Picker) Use(u EvergreenUse) {
	pp := p.posts[u.PostID]
	if pp == nil {
		return
	}
	var l []*pickPost
	less := p.less(pp.CategoryID)
	if p.ready {
		// Take it out of the order (found by its key, before it changes).
		l = p.lib[pp.CategoryID]
		i := sort.Search(len(l), func(i int) bool { return !less(l[i], pp) })
		for i < len(l) && l[i] != pp {
			i++ // not reached while the order holds; kept safe
		}
		if i < len(l) {
			l = append(l[:i], l[i+1:]...)
		}
	}
	if u.Copy {
		pp.copies++
	}
	if u.At.After(pp.lastUse) {
		pp.lastUse = u.At
	}
	pp.uses = append(pp.uses, u)
	if !p.ready {
		return
	}
	// Back in where the order says.
	at := sort.Search(len(l), func(i int) bool { return less(pp, l[i]) })
	l = append(l, nil)
	copy(l[at+1:], l[at:])
	l[at] = pp
	p.lib[pp.CategoryID] = l
}

// EffectiveLimits are a post's limits within its category: its own, else
// the category's; the earlier of the two expiries.
func EffectiveLimits(c Category, ep EvergreenPost) (maxRepeats int, minGap time.Duration, expires *time.Time) {
	maxRepeats, minGap, expires = ep.MaxRepeats, ep.MinGap, ep.ExpiresAt
	if maxRepeats <= 0 {
		maxRepeats = c.MaxRepeats
	}
	if minGap <= 0 {
		minGap = c.MinGap
	}
	if c.ExpiresAt != nil && (expires == nil || c.ExpiresAt.Before(*expires)) {
		expires = c.ExpiresAt
	}
	return
}

// eligible says whether pp may fill s.
func (p *Picker) eligible(pp *pickPost, c Category, s FillSlot) bool {
	maxRepeats, minGap, expires := EffectiveLimits(c, pp.EvergreenPost)
	if expires != nil && !s.At.Before(*expires) {
		return false
	}
	if maxRepeats > 0 && pp.copies >= maxRepeats {
		return false
	}
	if len(pp.Channels) > 0 {
		ok := false
		for _, id := range pp.Channels {
			if id == s.ChannelID {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, u := range pp.uses {
		if u.ChannelID != s.ChannelID {
			continue
		}
		d := s.At.Sub(u.At)
		if d == 0 || (minGap > 0 && d < minGap && d > -minGap) {
			return false
		}
	}
	return true
}

// Pick returns the library post that fills s, skipping those skip refuses
// (e.g. ones that failed validation on this channel); ok is false when no
// post of the category may fill it. fifo and lifo take the first eligible
// post in order; shuffle draws, with a seed of the slot and its instant (a
// rerun draws the same), among the first shuffleWindow eligible ones.
func (p *Picker) Pick(s FillSlot, skip func(postID int64) bool) (EvergreenPost, bool) {
	c := p.cats[s.CategoryID]
	var best *pickPost
	var bestScore uint64
	seen := 0
	for _, pp := range p.lib[s.CategoryID] {
		if (skip != nil && skip(pp.ID)) || !p.eligible(pp, c, s) {
			continue
		}
		if c.Order != OrderShuffle {
			return pp.EvergreenPost, true
		}
		if sc := shuffleScore(s, pp.ID); best == nil || sc < bestScore {
			best, bestScore = pp, sc
		}
		if seen++; seen == shuffleWindow {
			break
		}
	}
	if best == nil {
		return EvergreenPost{}, false
	}
	return best.EvergreenPost, true
}

// Ahead lists post first, then up to n-1 more of its category in order
// (the posts the next picks will most likely take) that have not(id) —
// so a store reads the posts it copies a chunk at a time.
func (p *Picker) Ahead(first int64, n int, have func(id int64) bool) []int64 {
	out := []int64{first}
	pp := p.posts[first]
	if pp == nil {
		return out
	}
	for _, x := range p.lib[pp.CategoryID] {
		if len(out) >= n {
			break
		}
		if x.ID != first && !have(x.ID) {
			out = append(out, x.ID)
		}
	}
	return out
}

// shuffleScore is a post's draw for one slot instant: the same slot, instant
// and post always draw the same number.
func shuffleScore(s FillSlot, postID int64) uint64 {
	h := fnv.New64a()
	var b [24]byte
	for i, v := range []int64{s.SlotID, s.At.UnixMilli(), postID} {
		for j := 0; j < 8; j++ {
			b[i*8+j] = byte(v >> (8 * j))
		}
	}
	h.Write(b[:])
	return h.Sum64()
}

// RecycledCopy is the post a fill makes of original for one slot: the
// original's content, on the slot's channel only (with that channel's
// variant), timed at the slot's instant. The store gives it a free slug.
func RecycledCopy(original Post, s FillSlot) Post {
	cp := Post{
		Title: original.Title, Body: original.Body, Link: original.Link, Excerpt: original.Excerpt,
		Campaign: original.Campaign, Author: original.Author,
		Tags:         append([]string{}, original.Tags...),
		Media:        append([]Media{}, original.Media...),
		Thread:       append([]string{}, original.Thread...),
		AutoThread:   original.AutoThread,
		Channels:     []string{s.Channel},
		Variants:     map[string]string{},
		Status:       StatusScheduled,
		RecycledFrom: original.Slug,
		Source:       "category " + s.Category,
	}
	if v, ok := original.Variants[s.Channel]; ok {
		cp.Variants[s.Channel] = v
	}
	at := s.At.UTC()
	cp.PublishAt = &at
	local := at
	if s.Zone != nil {
		local = at.In(s.Zone)
	}
	cp.Slug = Slugify(original.Slug + "-" + s.Channel + "-" + local.Format("20060102-1504"))
	return cp
}

// FillOptions tune one fill run.
type FillOptions struct {
	// Now is the start of the window (the store's clock when zero).
	Now time.Time
	// Horizon is how far ahead slots are filled (DefaultFillHorizon when 0).
	Horizon time.Duration
	// Check is called on each copy before it is written; an error skips
	// that post for that slot (reported, never published). The network
	// validation goes here, and the editorial rules plug in beside it.
	Check func(p Post) error
	// DryRun reports what the fill would do without writing.
	DryRun bool
}

// DefaultFillHorizon is how far ahead category slots are filled.
const DefaultFillHorizon = 7 * 24 * time.Hour

// FillEntry is one slot instant the fill filled.
type FillEntry struct {
	Channel  string    `json:"channel"`
	Category string    `json:"category"`
	At       time.Time `json:"at"`
	Slug     string    `json:"slug"`
	From     string    `json:"recycled_from"`
}

// FillNotice is a slot instant the fill could not fill as asked: a post
// skipped (it failed validation or a rule), or no post left to fill it.
type FillNotice struct {
	Channel  string    `json:"channel"`
	Category string    `json:"category"`
	At       time.Time `json:"at"`
	Post     string    `json:"post,omitempty"`
	Reason   string    `json:"reason"`
}

// FillReport is what a fill did.
type FillReport struct {
	Filled  []FillEntry  `json:"filled"`
	Skipped []FillNotice `json:"skipped"`
	Empty   []FillNotice `json:"empty"`
}

// CategoryStats is what `category list|show` say of a category.
type CategoryStats struct {
	Category
	Posts int `json:"posts"`
	Slots int `json:"slots"`
	// SlotsPerWeek counts the category's slot instants in the coming week.
	SlotsPerWeek int `json:"slots_per_week"`
	// RepeatDays is how often each post comes back at that rate (0: no
	// slot, or no post).
	RepeatDays float64          `json:"repeat_every_days"`
	Members    []CategoryMember `json:"members,omitempty"`
}

// CategoryMember is one post of a category, as `category show` lists it.
type CategoryMember struct {
	Slug   string `json:"slug"`
	Title  string `json:"title"`
	Copies int    `json:"copies"`
	// LatestCopy is the time of its latest live copy (maybe ahead).
	LatestCopy *time.Time `json:"latest_copy"`
	MaxRepeats int        `json:"max_repeats"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// RepeatEvery is the days between two copies of one post at a slot rate.
func RepeatEvery(posts, slotsPerWeek int) float64 {
	if posts == 0 || slotsPerWeek == 0 {
		return 0
	}
	return 7 * float64(posts) / float64(slotsPerWeek)
}

// CheckEvergreenLimits refuses negative limits on a post.
func CheckEvergreenLimits(p *Post) error {
	verr := &ValidationError{}
	if p.MaxRepeats < 0 {
		verr.Add(FieldError{Field: "max_repeats", Message: "max_repeats cannot be negative (0 is no cap)"})
	}
	if p.MinGap < 0 {
		verr.Add(FieldError{Field: "min_gap", Message: "min_gap cannot be negative (0 is no gap)"})
	}
	return verr.Err()
}

// CheckCategory normalizes and checks a category before it is written.
func CheckCategory(c *Category) error {
	if err := ValidName("name", c.Name); err != nil {
		return err
	}
	o, err := CheckOrder(c.Order)
	if err != nil {
		return err
	}
	c.Order = o
	verr := &ValidationError{}
	if c.MaxRepeats < 0 {
		verr.Add(FieldError{Field: "max_repeats", Message: "max repeats cannot be negative (0 is no cap)"})
	}
	if c.MinGap < 0 {
		verr.Add(FieldError{Field: "min_gap", Message: "min gap cannot be negative (0 is no gap)"})
	}
	c.MinGapText = GapText(c.MinGap)
	return verr.Err()
}

// ParseExpiry reads an expiry: a bare date (its midnight in loc) or a WHEN.
func ParseExpiry(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	if d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc); err == nil {
		return d.UTC(), nil
	}
	t, err := ParseWhen(strings.TrimSpace(s), now, loc)
	return t.UTC(), err
}
