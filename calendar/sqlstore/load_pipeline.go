package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	calendar "github.com/crieur/crieur/calendar"
)

// LoadFrom is Load for a load read as it goes: the source's posts are
// planned, checked and written while later ones are still read. The
// result and errors are Load's: nothing is written when any problem is
// found, and every problem is reported.
func (s *Store) LoadFrom(ctx context.Context, src calendar.LoadSource, opt calendar.LoadOptions) (calendar.LoadResult, error) {
	res := calendar.LoadResult{DryRun: opt.DryRun, Errors: []calendar.FieldError{}, Warnings: []calendar.FieldError{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pn, err := s.newPlanner(ctx, src.Campaigns, opt)
	if err != nil {
		return res, err
	}
	// While the writer writes it is the critical path: the plan then leaves
	// it a processor (the other stages' work per chunk is less than its
	// own). A load of unchanged posts writes nothing: the plan takes them all.
	var writing atomic.Bool
	procs := runtime.GOMAXPROCS(0)

	// read
	items := make(chan []calendar.LoadItem, 2)
	var read *calendar.LoadSet
	go func() {
		defer close(items)
		read = src.Read(func(chunk []calendar.LoadItem) {
			select {
			case items <- chunk:
			case <-ctx.Done(): // the load has stopped: the rest is not needed
			}
		})
	}()

	// plan, handing each chunk's new and changed posts to the checks
	checks := newChecker(opt, max(1, runtime.GOMAXPROCS(0)-1))
	planned := make(chan calendar.PlannedChunk, 2)
	var (
		failed  atomic.Bool // no chunk is written past this
		nplan   atomic.Int64
		tooMany *calendar.FieldError
		// stopErr is the first runtime error, the writer's or the plan's:
		// it stops every stage (the others then fail for its sake).
		stopOnce   sync.Once
		stopErr    error
		stopWriter bool
	)
	stop := func(err error, writer bool) {
		stopOnce.Do(func() { stopErr, stopWriter = err, writer })
		failed.Store(true)
		cancel()
	}
	go func() {
		defer close(planned)
		defer checks.Close()
		n := 0
		for chunk := range items {
			if ctx.Err() != nil || tooMany != nil {
				continue // read to the end: the reader reports all its problems
			}
			if n+len(chunk) > calendar.MaxLoadPosts {
				it := chunk[calendar.MaxLoadPosts-n]
				tooMany = &calendar.FieldError{File: it.File, Line: it.Line, Field: "posts",
					Message: fmt.Sprintf("more than %d posts in one load; crieur takes at most %d (split the load)", calendar.MaxLoadPosts, calendar.MaxLoadPosts)}
				failed.Store(true)
				continue
			}
			n += len(chunk)
			pn.pl.Workers = procs
			if writing.Load() {
				pn.pl.Workers = max(1, procs-1)
			}
			posts, camps, err := pn.chunk(ctx, chunk)
			if err != nil {
				stop(err, false)
				continue
			}
			if pn.failed() {
				failed.Store(true)
			}
			// PostgreSQL: the new posts' ids, reserved here beside the
			// writer, so that it writes them by COPY and reads nothing back.
			if s.dia.pg && !opt.DryRun && !failed.Load() {
				if err := s.reservePostIDs(ctx, posts); err != nil {
					stop(err, false)
					continue
				}
			}
			for _, pp := range posts {
				pp.Src.At = "" // read by the plan only; a piece of the row
				pp.Users.Store(1)
				if checks != nil && (pp.Action == calendar.ActionCreate || pp.Action == calendar.ActionUpdate) && calendar.NetworkChecked(pp.Post.Status) {
					pp.Users.Store(2)
					checks.Add(pp)
				}
			}
			nplan.Store(int64(n))
			planned <- calendar.PlannedChunk{Campaigns: camps, Posts: posts}
		}
		if ctx.Err() == nil && tooMany == nil {
			pn.finish()
			if camps := pn.newCampaigns(); len(camps) > 0 { // a campaign block with no post
				planned <- calendar.PlannedChunk{Campaigns: camps}
			}
		}
	}()

	// write, in this goroutine
	var w *loadWriter
	if !opt.DryRun {
		if w, err = s.beginLoad(ctx); err != nil {
			stop(err, true)
		}
	}
	written := 0
	for ch := range planned {
		if w != nil && !failed.Load() {
			writing.Store(writes(ch.Posts))
			if err := w.write(ctx, ch.Campaigns, ch.Posts); err != nil {
				stop(err, true)
			}
			writing.Store(false)
		}
		for _, pp := range ch.Posts {
			pp.Release()
		}
		written += len(ch.Posts)
		if opt.Progress != nil {
			p := int(nplan.Load())
			opt.Progress(p+written, 2*max(src.Size, p))
		}
	}
	// The writer is done: its processor goes to the checks.
	checks.OneMore()
	checks.Wait()
	rollback := func() {
		if w != nil {
			_ = w.end(ctx, false)
		}
	}
	if stopErr == nil && ctx.Err() != nil {
		stopErr = ctx.Err() // the caller's context, ended
	}
	if stopErr != nil {
		rollback()
		var ve *calendar.ValidationError
		var ce *calendar.ConflictError
		if errors.As(stopErr, &ce) { // met by the writer: the result lists it as the plan's conflicts are
			res.Errors = append(res.Errors, ce.Problems...)
			res.Conflicts = len(ce.Problems)
		}
		if !stopWriter || errors.As(stopErr, &ve) || errors.Is(stopErr, calendar.ErrConflict) {
			return res, stopErr
		}
		return res, loadNotWritten(stopErr)
	}
	problems := append([]calendar.FieldError{}, read.Problems...)
	res.Warnings = append(res.Warnings, read.Warnings...)
	if tooMany != nil {
		rollback()
		problems = append(problems, *tooMany)
		sortProblems(problems)
		res.Errors = problems
		return res, &calendar.ValidationError{Problems: problems}
	}
	pl := pn.pl
	res.Warnings = append(res.Warnings, pl.Warnings...)
	if opt.Plan {
		res.Plan = pl.Entries()
	}
	for _, lp := range pl.Posts {
		switch lp.Action {
		case calendar.ActionCreate:
			res.Created++
		case calendar.ActionUpdate:
			res.Updated++
		case calendar.ActionUnchanged:
			res.Unchanged++
		}
	}
	for _, pc := range pl.Campaigns {
		switch pc.Action {
		case calendar.ActionCreate:
			res.CampaignsCreated++
		case calendar.ActionUpdate:
			res.CampaignsUpdated++
		}
	}
	res.Conflicts = len(pl.Conflicts)
	problems = append(problems, pl.Problems...)
	var checked []calendar.FieldError
	for _, pp := range pl.Posts {
		checked = append(checked, pp.Checked...)
	}
	if len(problems)+len(checked)+len(pl.Conflicts) == 0 {
		if w == nil {
			return res, nil // a dry run
		}
		if err := w.end(ctx, true); err != nil {
			res.Created, res.Updated, res.Unchanged = 0, 0, 0
			return res, loadNotWritten(err)
		}
		return res, nil
	}
	rollback()
	problems = uniqueProblems(append(problems, checked...))
	sortProblems(problems)
	sortProblems(pl.Conflicts)
	all := append(append([]calendar.FieldError{}, problems...), pl.Conflicts...)
	sortProblems(all)
	res.Errors = append(res.Errors, all...)
	// Nothing is written: the plan keeps only what stops the load.
	res.Created, res.Updated, res.Unchanged, res.CampaignsCreated, res.CampaignsUpdated = 0, 0, 0, 0, 0
	if res.Plan != nil {
		kept := res.Plan[:0]
		for _, e := range res.Plan {
			if e.Action == calendar.ActionConflict {
				kept = append(kept, e)
			}
		}
		res.Plan = kept
	}
	if len(problems) > 0 {
		return res, &calendar.ValidationError{Problems: all}
	}
	return res, &calendar.ConflictError{Problems: pl.Conflicts}
}

// newChecker starts workers; nil when the load has no checks.
func newChecker(opt calendar.LoadOptions, workers int) *calendar.Checker {
	if opt.Check == nil {
		return nil
	}
	// The queue holds a whole load: the plan never waits on the checks
	// (the writer, the critical path, waits on the plan).
	c := &calendar.Checker{Check: opt.Check, Next: make(chan *calendar.PlannedPost, calendar.MaxLoadPosts)}
	for i := 0; i < workers; i++ {
		c.Start()
	}
	return c
}

// writes says whether a planned chunk has rows to write (new or changed posts).
func writes(posts []*calendar.PlannedPost) bool {
	for _, pp := range posts {
		if pp.Action == calendar.ActionCreate || pp.Action == calendar.ActionUpdate || pp.Refresh {
			return true
		}
	}
	return false
}

// loadNotWritten says a load wrote nothing because of err. Another write
// holding the calendar past the wait (SQLite's busy timeout: another load,
// say) is a conflict (exit 5), to be run again, not a failure of crieur.
func loadNotWritten(err error) error {
	if isBusy(err) {
		return fmt.Errorf("load not written: another write held the calendar too long (%v); run the load again: %w", err, calendar.ErrConflict)
	}
	return fmt.Errorf("load not written: %w", err)
}
