package calendar

import (
	"fmt"
	"strings"
	"time"
)

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
	// Category is the evergreen category the post joins; MaxRepeats,
	// MinGap ("30d") and Expires (a WHEN) its own limits there, as written.
	Category                    string
	MaxRepeats, MinGap, Expires string
	Channels                    []string
	Tags                        []string
	Media                       []Media
	Variants                    map[string]string
	Thread                      []string
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

// Problem is a problem with the item's field, at the line the field is
// on (a default's problem at the default's line).
func (it *LoadItem) Problem(field, format string, args ...any) FieldError {
	return it.problem(field, format, args...)
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
	// Author is who the posts a load creates are by (the one who loads;
	// the store's actor when empty): four eyes refuses an approval kept
	// in their name.
	Author string
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
