package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// changedFields names the fields in which b differs from a.
func changedFields(a, b calendar.Canonical) []string {
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
	pl     *calendar.Plan
	opt    calendar.LoadOptions
	zones  map[string]*time.Location
	now    time.Time
	have   map[string]calendar.Campaign // the calendar's campaigns, by name
	bySlug map[string]*calendar.PlannedPost
	noSlug calendar.Slugless
	sent   int // campaigns already handed to the writer
}

// newPlanner starts a plan against the calendar with the campaigns a load
// defines up front (a YAML/JSON campaign block).
func (s *Store) newPlanner(ctx context.Context, campaigns []calendar.LoadCampaign, opt calendar.LoadOptions) (*planner, error) {
	pl := &calendar.Plan{Channels: map[string]*calendar.Channel{}, ByName: map[string]*calendar.PlannedCampaign{}}
	chans, err := s.Channels(ctx)
	if err != nil {
		return nil, err
	}
	zones := map[string]*time.Location{}
	for i := range chans {
		c := &chans[i]
		pl.Channels[c.Name] = c
		if c.TZ != "" {
			zones[c.Name] = c.Zone(opt.Zone)
		}
	}
	cats, err := s.Categories(ctx)
	if err != nil {
		return nil, err
	}
	pl.Categories = make(map[string]bool, len(cats))
	for _, c := range cats {
		pl.Categories[c.Name] = true
	}
	existing, err := s.Campaigns(ctx)
	if err != nil {
		return nil, err
	}
	have := map[string]calendar.Campaign{}
	for _, c := range existing {
		have[c.Name] = c
	}
	if opt.Author == "" {
		opt.Author = s.Actor // who loads is the author of what the load creates
	}
	p := &planner{s: s, pl: pl, opt: opt, zones: zones, now: s.now(), have: have, bySlug: map[string]*calendar.PlannedPost{}}
	for _, lc := range campaigns {
		p.addCampaign(lc)
	}
	return p, nil
}

// chunk plans the load's next items. It returns the posts planned, in the
// load's order (a slug given twice is a conflict, not a post), and the
// campaigns planned since the last chunk, which the writer must write
// before those posts.
func (p *planner) chunk(ctx context.Context, items []calendar.LoadItem) ([]*calendar.PlannedPost, []*calendar.PlannedCampaign, error) {
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
	built := pl.BuildAll(items, p.opt, p.zones, p.now)
	out := make([]*calendar.PlannedPost, 0, len(built))
	for i := range built {
		pp := &built[i]
		pl.Problems = append(pl.Problems, pp.Problems...)
		pp.Problems = nil
		if prev, dup := p.bySlug[pp.Post.Slug]; dup {
			first := fmt.Sprintf("%s:%d", prev.Src.File, prev.Src.Line)
			pl.Conflicts = append(pl.Conflicts, pp.Src.Problem("slug", "slug %q is given twice in this load (first at %s)", pp.Post.Slug, first))
			pl.Twice = append(pl.Twice, calendar.TwiceEntry{Before: len(pl.Posts), Entry: calendar.PlanEntry{Kind: "post", Action: calendar.ActionConflict, Slug: pp.Post.Slug,
				At: pp.Post.PublishAt, Channels: pp.Post.Channels, File: pp.Src.File, Line: pp.Src.Line, Reason: "slug given twice (first at " + first + ")"}})
			continue
		}
		if pp.Src.NoSlug {
			p.noSlug.Add(pp)
		}
		if c := pl.ByName[pp.Post.Campaign]; c != nil {
			pp.Camp = c
			cc := c.C // the checks' copy: the writer sets the original's id
			pp.Campaign = &cc
		}
		p.bySlug[pp.Post.Slug] = pp
		pl.Posts = append(pl.Posts, pp)
		out = append(out, pp)
	}
	if err := p.s.classify(ctx, pl, out, p.opt, p.now); err != nil {
		return nil, nil, err
	}
	return out, p.newCampaigns(), nil
}

// newCampaigns are the campaigns planned since the last call.
func (p *planner) newCampaigns() []*calendar.PlannedCampaign {
	out := p.pl.Campaigns[p.sent:]
	p.sent = len(p.pl.Campaigns)
	return out
}

// finish ends the plan once every item is planned: the warnings that sum
// up the whole load.
func (p *planner) finish() *calendar.Plan {
	p.pl.Warnings = append(p.pl.Warnings, p.noSlug.Warnings()...)
	p.pl.ApprovalWarnings(p.opt)
	return p.pl
}

// failed says whether the load can no longer be written.
func (p *planner) failed() bool {
	return len(p.pl.Problems) > 0 || len(p.pl.Conflicts) > 0
}

// addCampaign merges a campaign the load defines or names with the calendar's.
func (p *planner) addCampaign(lc calendar.LoadCampaign) {
	pl, have := p.pl, p.have
	if prev, ok := pl.ByName[lc.Name]; ok {
		if lc.Full && prev.Full && (prev.C.StartsOn != lc.StartsOn || prev.C.EndsOn != lc.EndsOn ||
			!reflect.DeepEqual(calendar.NonNil(prev.C.UTM), calendar.NonNil(lc.UTM)) || prev.C.Color != lc.Color) {
			pl.Problems = append(pl.Problems, calendar.FieldError{File: lc.File, Line: lc.Line, Field: "campaign",
				Message: fmt.Sprintf("campaign %q is defined differently at %s:%d", lc.Name, prev.File, prev.Line)})
		}
		return
	}
	pc := &calendar.PlannedCampaign{C: lc.Campaign, Full: lc.Full, File: lc.File, Line: lc.Line}
	if err := calendar.ValidName("campaign", lc.Name); err != nil {
		pl.Problems = append(pl.Problems, calendar.FieldError{File: lc.File, Line: lc.Line, Field: "campaign", Message: err.(*calendar.ValidationError).Problems[0].Message})
		return
	}
	for _, d := range []struct{ field, v string }{{"campaign.from", lc.StartsOn}, {"campaign.to", lc.EndsOn}} {
		if err := calendar.CheckDay(d.field, d.v); d.v != "" && err != nil {
			pl.Problems = append(pl.Problems, calendar.FieldError{File: lc.File, Line: lc.Line, Field: d.field, Message: err.(*calendar.ValidationError).Problems[0].Message})
		}
	}
	if lc.StartsOn != "" && lc.EndsOn != "" && lc.EndsOn < lc.StartsOn {
		pl.Problems = append(pl.Problems, calendar.FieldError{File: lc.File, Line: lc.Line, Field: "campaign.to", Message: fmt.Sprintf("campaign ends (%s) before it starts (%s)", lc.EndsOn, lc.StartsOn)})
	}
	old, ok := have[lc.Name]
	switch {
	case !ok:
		pc.Action = calendar.ActionCreate
	case !lc.Full:
		pc.C, pc.Action = old, calendar.ActionUnchanged
	default:
		pc.C.ID = old.ID
		pc.Action = calendar.ActionUnchanged
		for _, f := range []struct {
			name string
			same bool
		}{{"from", old.StartsOn == lc.StartsOn}, {"to", old.EndsOn == lc.EndsOn},
			{"utm", reflect.DeepEqual(calendar.NonNil(old.UTM), calendar.NonNil(lc.UTM))}, {"color", old.Color == lc.Color}} {
			if !f.same {
				pc.Changes = append(pc.Changes, f.name)
			}
		}
		if len(pc.Changes) > 0 {
			pc.Action = calendar.ActionUpdate
		}
	}
	pl.ByName[lc.Name] = pc
	pl.Campaigns = append(pl.Campaigns, pc)
}

// named plans a campaign a post only names: created when missing.
func (p *planner) named(name, file string, line int) {
	if name != "" {
		if _, ok := p.pl.ByName[name]; !ok {
			p.addCampaign(calendar.LoadCampaign{Campaign: calendar.Campaign{Name: name, UTM: map[string]string{}}, File: file, Line: line})
		}
	}
}

// classify decides each post's action from the calendar's copy, found by
// slug in a few bulk queries.
func (s *Store) classify(ctx context.Context, pl *calendar.Plan, posts []*calendar.PlannedPost, opt calendar.LoadOptions, now time.Time) error {
	found := make(map[string]calendar.ExistingPost, len(posts))
	slugs := make([]string, 0, len(posts))
	for _, pp := range posts {
		slugs = append(slugs, pp.Post.Slug)
	}
	// In slug order, each chunk reads one stretch of the slug index (and, as
	// posts are mostly created in slug order, of the table): in map order a
	// big load's chunks would read pages all over the file, again and again.
	sort.Strings(slugs)
	const chunk = 900
	for start := 0; start < len(slugs); start += chunk {
		part := slugs[start:min(start+chunk, len(slugs))]
		var rows *sql.Rows
		var err error
		if s.dia.pg {
			// One statement for the whole chunk, its slugs one array: a
			// list of 900 parameters costs the server more to plan than to
			// run, three times a chunk.
			part = slugs[start:]
			start = len(slugs)
			rows, err = s.db.QueryContext(ctx, `SELECT id, slug, content_hash, version, status FROM posts WHERE slug = ANY(?)`, part)
		} else {
			args := make([]any, len(part))
			for i, v := range part {
				args[i] = v
			}
			rows, err = s.db.QueryContext(ctx, `SELECT id, slug, content_hash, version, status FROM posts WHERE slug IN (`+placeholders(len(part))+`)`, args...)
		}
		if err != nil {
			return err
		}
		for rows.Next() {
			var e calendar.ExistingPost
			var slug string
			if err := rows.Scan(&e.ID, &slug, &e.Hash, &e.Version, &e.Status); err != nil {
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
		e, ok := found[pp.Post.Slug]
		switch {
		case !ok:
			pp.Action = calendar.ActionCreate
		case e.Hash == storedHash(pp.Hash, e.Version):
			pp.Action, pp.ID, pp.Version = calendar.ActionUnchanged, e.ID, e.Version
		default:
			pp.ID, pp.Version = e.ID, e.Version
			slow = append(slow, e.ID)
		}
	}
	olds, err := s.postsByID(ctx, slow)
	if err != nil {
		return err
	}
	for _, pp := range posts {
		if pp.Action != "" {
			continue
		}
		old := olds[pp.ID]
		if old == nil {
			pp.Action = calendar.ActionCreate // deleted since: the write step's constraints catch any race
			continue
		}
		pp.Old = old
		post := pp.Post.AsPost("")
		pp.Changes = changedFields(calendar.CanonicalOf(old), calendar.CanonicalOf(&post))
		switch {
		case len(pp.Changes) == 0:
			pp.Action, pp.Refresh = calendar.ActionUnchanged, true
		case old.Status == calendar.StatusPublished || old.Status == calendar.StatusPartial:
			pp.Action = calendar.ActionConflict
			pl.Conflicts = append(pl.Conflicts, pp.Src.Problem("slug", "post %q is already %s; the load would change its %s (edit the post by hand, or give the new text another slug)",
				pp.Post.Slug, calendar.StatusWords(old.Status), strings.Join(pp.Changes, ", ")))
		default:
			pp.Action = calendar.ActionUpdate
		}
	}
	for _, pp := range posts {
		if fe := pp.FourEyesProblem(opt.Author); fe != nil {
			pl.Problems = append(pl.Problems, *fe)
		}
	}
	for _, pp := range posts {
		timed := pp.Action == calendar.ActionCreate || (pp.Action == calendar.ActionUpdate && slices.Contains(pp.Changes, "at"))
		if timed && pp.PastTime && !opt.AllowPast {
			pl.Problems = append(pl.Problems, pp.Src.Problem("at", "%s is in the past (%s); pass --allow-past to load it anyway",
				strings.TrimSpace(pp.Src.At), pastWhen(*pp.Post.PublishAt, pp.AtZone, opt.Zone)))
		}
		if pp.Action == calendar.ActionCreate {
			// Any status word is accepted for a post already in that state
			// (an export loaded back); a new one starts where CreatePost may.
			if msg := calendar.NewStatusProblem(pp.Post.Status, pp.Post.ApprovedAt != nil); msg != "" {
				if pp.Post.Status == calendar.StatusApproved {
					msg += " and --keep-approvals"
				}
				pl.Problems = append(pl.Problems, pp.Src.Problem("status", "%s", msg))
			}
		}
	}
	return nil
}

// postsByID reads whole posts (children included) in chunks.
func (s *Store) postsByID(ctx context.Context, ids []int64) (map[int64]*calendar.Post, error) {
	out := make(map[int64]*calendar.Post, len(ids))
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
		var posts []calendar.Post
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
// pastWhen is t for a "past" message: in the zone the load read it in and,
// when that is not the user's, in the user's too, so that a time read in a
// channel's zone is not mistaken for one read in the user's.
func pastWhen(t time.Time, readIn, user *time.Location) string {
	if readIn == nil || user == nil || readIn.String() == user.String() {
		return inZone(t, user)
	}
	return fmt.Sprintf("read in %s: %s, which is %s in %s", readIn, inZone(t, readIn), inZone(t, user), user)
}

func inZone(t time.Time, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	return t.In(zone).Format("2006-01-02 15:04 MST")
}
