package sqlstore

import (
	"context"
	"fmt"
	"sort"

	calendar "github.com/crieur/crieur/calendar"
)

// Load plans set against the calendar and, unless opt.DryRun or a problem
// was found, applies the plan in one transaction. The error is a
// *ValidationError when any problem is a validation one, a *ConflictError
// when all are conflicts, or a runtime error; in every such case nothing was
// written. The result is filled in all cases. It runs as LoadFrom does
// (load_pipeline.go): planned, checked and written a chunk at a time.
func (s *Store) Load(ctx context.Context, set *calendar.LoadSet, opt calendar.LoadOptions) (calendar.LoadResult, error) {
	if len(set.Items) > calendar.MaxLoadPosts {
		res := calendar.LoadResult{DryRun: opt.DryRun, Errors: []calendar.FieldError{}, Warnings: append([]calendar.FieldError{}, set.Warnings...)}
		problems := append([]calendar.FieldError{}, set.Problems...)
		problems = append(problems, calendar.FieldError{File: set.Items[calendar.MaxLoadPosts].File, Line: set.Items[calendar.MaxLoadPosts].Line, Field: "posts",
			Message: fmt.Sprintf("%d posts in one load; crieur takes at most %d (split the load)", len(set.Items), calendar.MaxLoadPosts)})
		sortProblems(problems)
		res.Errors = problems
		return res, &calendar.ValidationError{Problems: problems}
	}
	return s.LoadFrom(ctx, set.Source(), opt)
}

// uniqueProblems drops repeats (a default's problem is found once per post
// that takes it).
func uniqueProblems(p []calendar.FieldError) []calendar.FieldError {
	seen := make(map[calendar.FieldError]bool, len(p))
	out := p[:0]
	for _, e := range p {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

func sortProblems(p []calendar.FieldError) {
	sort.SliceStable(p, func(i, j int) bool {
		if p[i].File != p[j].File {
			return p[i].File < p[j].File
		}
		return p[i].Line < p[j].Line
	})
}
