package calendar

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"
)

// A campaign load brings the calendar in line with files a team keeps under
// version control (CSV, YAML/JSON, a Markdown folder). Readers (load_csv.go,
// load_doc.go, load_md.go) turn files into a LoadSet; Store.Load plans it
// against the calendar (load_plan.go) and writes the plan in one transaction
// (load_write.go). The rules:
//   - posts are keyed by slug; a post whose normalized content hashes the same
//     as the calendar's is unchanged, a different one is updated through the
//     normal store path, and one already published (or partial) that would
//     change is a conflict;
//   - all or nothing: any problem fails the whole load with nothing written,
//     and every problem is reported, each with its file and line;
//   - a load with any validation problem is a validation error (exit 3); one
//     whose only problems are conflicts (a published post the load would
//     change, or one slug given twice in the load) is a conflict (exit 5).

// LoadItem is one post as a load file describes it, before validation.
type LoadItem struct {
	File string
	Line int // where the post starts in File
	Row  int // the post's position in its file (1-based), for a default slug
	// Slug is the post's key; empty means "derive one from File and Row".
	Slug     string
	At       string // a WHEN, read in the first channel's zone
	Status   string
	Title    string
	Body     string
	Link     string
	Excerpt  string
	Campaign string
	Channels []string
	Tags     []string
	Media    []Media
	Variants map[string]string
	Thread   []string
	// AutoThread: the author allows an over-long text to become a thread
	// (`thread: true`; explicit thread parts imply it).
	AutoThread bool
	// Times gives channels their own time (a queued post's slots), as WHENs.
	Times map[string]string
	// ApprovedBy and ApprovedAt record a review an export carried; a load
	// keeps them only with LoadOptions.KeepApprovals.
	ApprovedBy, ApprovedAt string
	Notes                  []LoadNote
	// BaseDir is the directory relative media paths are read from.
	BaseDir string
	// FieldLines holds the line of each field that starts elsewhere than Line.
	FieldLines map[string]int
	// Defaults holds the line of each field the post takes from the
	// document's defaults: a problem with it is the default's, reported
	// once at that line.
	Defaults map[string]int
}

func (it *LoadItem) problem(field, format string, args ...any) FieldError {
	root := field
	if i := strings.IndexAny(field, ".["); i > 0 {
		root = field[:i]
	}
	if l, ok := it.Defaults[root]; ok {
		return FieldError{File: it.File, Line: l, Field: "defaults." + field, Message: fmt.Sprintf(format, args...)}
	}
	line := it.Line
	if l, ok := it.FieldLines[field]; ok && l > 0 {
		line = l
	}
	if i := strings.IndexAny(field, ".["); i > 0 {
		if l, ok := it.FieldLines[field[:i]]; ok && l > 0 {
			line = l
		}
	}
	return FieldError{File: it.File, Line: line, Field: field, Message: fmt.Sprintf(format, args...)}
}

// LoadCampaign is a campaign a load names. Full is set when the load gives
// its whole definition (a YAML/JSON campaign block): an existing campaign is
// then brought in line with it. A campaign only named by a post is created
// when missing and otherwise left alone.
type LoadCampaign struct {
	Campaign
	Full bool
	File string
	Line int
}

// LoadSet is what readers produce: posts, campaigns, and the problems met
// while reading (a load with any problem writes nothing).
type LoadSet struct {
	Items     []LoadItem
	Campaigns []LoadCampaign
	Problems  []FieldError
	Warnings  []FieldError
}

// Merge appends o to l (a load of several files is one load).
func (l *LoadSet) Merge(o *LoadSet) {
	if l.Items == nil {
		l.Items = o.Items // the common case, one file: no copy of a big load
	} else {
		l.Items = append(l.Items, o.Items...)
	}
	l.Campaigns = append(l.Campaigns, o.Campaigns...)
	l.Problems = append(l.Problems, o.Problems...)
	l.Warnings = append(l.Warnings, o.Warnings...)
}

// CheckFunc lists what channel ch's network would reject in post p (p's
// variant for ch, if any, is its text there). campaign is nil when the post
// has none. It is called from several goroutines at once.
type CheckFunc func(ch Channel, p *Post, campaign *Campaign) []CheckProblem

// CheckProblem is one thing a network would reject. Field is the network's
// word: "text" (the body, or the channel's variant), "title", "media[0]",
// "thread[1]", …
type CheckProblem struct {
	Field   string
	Message string
}

// LoadOptions tune Store.Load.
type LoadOptions struct {
	DryRun    bool
	AllowPast bool
	// Zone reads local times when no channel of the post has a zone; with
	// ForceZone (--tz given) it reads every local time.
	Zone      *time.Location
	ForceZone bool
	// DefaultChannels and Campaign apply to posts that name none.
	DefaultChannels []string
	Campaign        string
	// KeepApprovals keeps the approvals a load records for the posts it
	// creates; without it those posts go to review like any new post.
	KeepApprovals bool
	// Check validates a post against each of its channels' networks.
	Check CheckFunc
	// Progress, when set, is told how far the load is (done of total steps).
	Progress func(done, total int)
	// MediaRoot, when set, is the folder every local media file must lie
	// in; otherwise each file's media must lie in the load file's folder.
	MediaRoot string
	// Plan lists every post's action in the result (a dry run's plan);
	// without it a big load keeps no per-post list.
	Plan bool
}

// Plan actions.
const (
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionUnchanged = "unchanged"
	ActionConflict  = "conflict"
)

// PlanEntry is what a load does (or would do) to one post or campaign.
type PlanEntry struct {
	Kind   string `json:"kind"` // post or campaign
	Action string `json:"action"`
	Slug   string `json:"slug,omitempty"`
	Name   string `json:"name,omitempty"`
	// At (UTC) and Channels are the post's time and channels as the load
	// would leave them.
	At       *time.Time `json:"at,omitempty"`
	Channels []string   `json:"channels,omitempty"`
	File     string     `json:"file,omitempty"`
	Line     int        `json:"line,omitempty"`
	Changes  []string   `json:"changes,omitempty"`
	Reason   string     `json:"reason,omitempty"`
}

// LoadResult is a load's summary; its counts are those of its plan. When
// the load fails nothing is written: the plan then lists only the
// conflicts, and the other counts are zero.
type LoadResult struct {
	Created          int          `json:"created"`
	Updated          int          `json:"updated"`
	Unchanged        int          `json:"unchanged"`
	Conflicts        int          `json:"conflicts"`
	CampaignsCreated int          `json:"campaigns_created"`
	CampaignsUpdated int          `json:"campaigns_updated"`
	Errors           []FieldError `json:"errors"`
	Warnings         []FieldError `json:"warnings"`
	Plan             []PlanEntry  `json:"plan,omitempty"`
	DryRun           bool         `json:"dry_run"`
}

// ConflictError lists the conflicts that stopped a load: nothing was written.
// It matches ErrConflict.
type ConflictError struct {
	Problems []FieldError
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	if len(parts) == 1 {
		return "conflict, nothing written: " + parts[0]
	}
	return fmt.Sprintf("%d conflicts, nothing written:\n  %s", len(parts), strings.Join(parts, "\n  "))
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Load plans set against the calendar and, unless opt.DryRun or a problem
// was found, applies the plan in one transaction. The error is a
// *ValidationError when any problem is a validation one, a *ConflictError
// when all are conflicts, or a runtime error; in every such case nothing was
// written. The result is filled in all cases.
func (s *Store) Load(ctx context.Context, set *LoadSet, opt LoadOptions) (LoadResult, error) {
	res := LoadResult{DryRun: opt.DryRun, Errors: []FieldError{}, Warnings: append([]FieldError{}, set.Warnings...)}
	problems := append([]FieldError{}, set.Problems...)
	if len(set.Items) > MaxLoadPosts {
		problems = append(problems, FieldError{File: set.Items[MaxLoadPosts].File, Line: set.Items[MaxLoadPosts].Line, Field: "posts",
			Message: fmt.Sprintf("%d posts in one load; crieur takes at most %d (split the load)", len(set.Items), MaxLoadPosts)})
		sortProblems(problems)
		res.Errors = problems
		return res, &ValidationError{Problems: problems}
	}
	// Past this call set is no longer read: once planned, a big load's items
	// (most of its memory) can be collected while the plan is written.
	pl, err := s.plan(ctx, set, opt)
	if err != nil {
		return res, err
	}
	res.Warnings = append(res.Warnings, pl.warnings...)
	if opt.Plan {
		res.Plan = pl.entries()
	}
	for _, lp := range pl.posts {
		switch lp.action {
		case ActionCreate:
			res.Created++
		case ActionUpdate:
			res.Updated++
		case ActionUnchanged:
			res.Unchanged++
		}
	}
	for _, pc := range pl.campaigns {
		switch pc.action {
		case ActionCreate:
			res.CampaignsCreated++
		case ActionUpdate:
			res.CampaignsUpdated++
		}
	}
	res.Conflicts = len(pl.conflicts)
	problems = append(problems, pl.problems...)
	fail := func(checked []FieldError) (LoadResult, error) {
		problems = uniqueProblems(append(problems, checked...))
		sortProblems(problems)
		sortProblems(pl.conflicts)
		all := append(append([]FieldError{}, problems...), pl.conflicts...)
		sortProblems(all)
		res.Errors = append(res.Errors, all...)
		// Nothing is written: the plan keeps only what stops the load.
		res.Created, res.Updated, res.Unchanged, res.CampaignsCreated, res.CampaignsUpdated = 0, 0, 0, 0, 0
		if res.Plan != nil {
			kept := res.Plan[:0]
			for _, e := range res.Plan {
				if e.Action == ActionConflict {
					kept = append(kept, e)
				}
			}
			res.Plan = kept
		}
		if len(problems) > 0 {
			return res, &ValidationError{Problems: all}
		}
		return res, &ConflictError{Problems: pl.conflicts}
	}
	if len(problems) > 0 || len(pl.conflicts) > 0 || opt.DryRun {
		checked := pl.check(opt, runtime.GOMAXPROCS(0), nil)
		if len(problems)+len(checked)+len(pl.conflicts) > 0 {
			return fail(checked)
		}
		return res, nil
	}
	// The networks' checks run while the transaction writes: nothing is
	// visible before the commit, and a problem found rolls it all back. The
	// writer is the load's critical path, so the checks leave it a processor
	// until it has written everything and waits for them.
	checked := make(chan []FieldError, 1)
	written := make(chan struct{})
	go func() { checked <- pl.check(opt, max(1, runtime.GOMAXPROCS(0)-1), written) }()
	var found []FieldError
	received := false
	wait := func() []FieldError {
		if !received {
			close(written)
			found, received = <-checked, true
		}
		return found
	}
	err = s.apply(ctx, pl, opt, func() error {
		if len(wait()) > 0 {
			return errChecksFailed
		}
		return nil
	})
	if errors.Is(err, errChecksFailed) {
		return fail(found)
	}
	if err != nil {
		wait() // never leave the checks running
		res.Created, res.Updated, res.Unchanged = 0, 0, 0
		var ve *ValidationError
		if errors.As(err, &ve) || errors.Is(err, ErrConflict) {
			return res, err
		}
		return res, fmt.Errorf("load not written: %w", err)
	}
	return res, nil
}

var errChecksFailed = errors.New("a network refuses some posts")

// uniqueProblems drops repeats (a default's problem is found once per post
// that takes it).
func uniqueProblems(p []FieldError) []FieldError {
	seen := make(map[FieldError]bool, len(p))
	out := p[:0]
	for _, e := range p {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

func sortProblems(p []FieldError) {
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].File != p[j].File {
			return p[i].File < p[j].File
		}
		return p[i].Line < p[j].Line
	})
}
