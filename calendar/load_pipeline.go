package calendar

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// A load runs as a pipeline of stages joined by bounded channels, so that a
// big load is written while its file is still being read:
//
//	read   (LoadSource.Read, its own goroutine): the file's posts, in order,
//	       a chunk at a time — the formats' job;
//	plan   (its own goroutine): each chunk normalized, checked against the
//	       calendar's rules and compared with the calendar (planner.chunk);
//	       slugs are tracked across the whole load, so a slug given twice
//	       fails the load wherever the second one is;
//	check  (worker goroutines): each new or changed post asked of its
//	       channels' networks (LoadOptions.Check);
//	write  (the caller's goroutine): each planned chunk written in the
//	       load's one transaction (loadWriter), the store's job.
//
// The transaction commits only once every stage is done and no stage found
// a problem: a load with any problem anywhere rolls back and writes nothing.
// Once a problem is known the writer stops writing, but reading, planning
// and checking go on to the end, so every problem is reported.

// loadChunk is how many posts each stage hands on at a time.
const loadChunk = 2000

// LoadSource is a load read while it is planned and written.
type LoadSource struct {
	// Campaigns are the campaigns the load defines before any post (a
	// YAML/JSON campaign block).
	Campaigns []LoadCampaign
	// Size is about how many posts the load holds, for progress; 0 if unknown.
	Size int
	// Read gives the load's posts, in order, to emit (a chunk at a time;
	// each chunk is emit's to keep) and returns the problems and warnings
	// met while reading (its Items are not read). It runs on its own
	// goroutine, once; emit blocks while the stages after it are busy.
	Read func(emit func([]LoadItem)) *LoadSet
}

// Source is the load set as a LoadSource.
func (l *LoadSet) Source() LoadSource {
	items, problems, warnings := l.Items, l.Problems, l.Warnings
	return LoadSource{Campaigns: l.Campaigns, Size: len(items), Read: func(emit func([]LoadItem)) *LoadSet {
		for len(items) > 0 {
			n := min(loadChunk, len(items))
			emit(items[:n:n])
			items = items[n:]
		}
		return &LoadSet{Problems: problems, Warnings: warnings}
	}}
}

// plannedChunk is what the plan stage hands the writer: campaigns to write
// before posts.
type plannedChunk struct {
	campaigns []*plannedCampaign
	posts     []*plannedPost
}

// LoadFrom is Load for a load read as it goes: the source's posts are
// planned, checked and written while later ones are still read. The
// result and errors are Load's: nothing is written when any problem is
// found, and every problem is reported.
func (s *Store) LoadFrom(ctx context.Context, src LoadSource, opt LoadOptions) (LoadResult, error) {
	res := LoadResult{DryRun: opt.DryRun, Errors: []FieldError{}, Warnings: []FieldError{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pn, err := s.newPlanner(ctx, src.Campaigns, opt)
	if err != nil {
		return res, err
	}
	if !opt.DryRun {
		// The writer is the critical path: the plan leaves it a processor
		// (the other stages' work per chunk is less than its own).
		pn.pl.workers = max(1, runtime.GOMAXPROCS(0)-1)
	}

	// read
	items := make(chan []LoadItem, 2)
	var read *LoadSet
	go func() {
		defer close(items)
		read = src.Read(func(chunk []LoadItem) {
			select {
			case items <- chunk:
			case <-ctx.Done(): // the load has stopped: the rest is not needed
			}
		})
	}()

	// plan, handing each chunk's new and changed posts to the checks
	checks := newChecker(opt, max(1, runtime.GOMAXPROCS(0)-1))
	planned := make(chan plannedChunk, 2)
	var (
		failed  atomic.Bool // no chunk is written past this
		nplan   atomic.Int64
		tooMany *FieldError
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
		defer checks.close()
		n := 0
		for chunk := range items {
			if ctx.Err() != nil || tooMany != nil {
				continue // read to the end: the reader reports all its problems
			}
			if n+len(chunk) > MaxLoadPosts {
				it := chunk[MaxLoadPosts-n]
				tooMany = &FieldError{File: it.File, Line: it.Line, Field: "posts",
					Message: fmt.Sprintf("more than %d posts in one load; crieur takes at most %d (split the load)", MaxLoadPosts, MaxLoadPosts)}
				failed.Store(true)
				continue
			}
			n += len(chunk)
			posts, camps, err := pn.chunk(ctx, chunk)
			if err != nil {
				stop(err, false)
				continue
			}
			for _, pp := range posts {
				pp.src.At = "" // read by the plan only; a piece of the row
				pp.users.Store(1)
				if checks != nil && (pp.action == ActionCreate || pp.action == ActionUpdate) {
					pp.users.Store(2)
					checks.add(pp)
				}
			}
			if pn.failed() {
				failed.Store(true)
			}
			nplan.Store(int64(n))
			planned <- plannedChunk{campaigns: camps, posts: posts}
		}
		if ctx.Err() == nil && tooMany == nil {
			pn.finish()
			if camps := pn.newCampaigns(); len(camps) > 0 { // a campaign block with no post
				planned <- plannedChunk{campaigns: camps}
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
			if err := w.write(ctx, ch.campaigns, ch.posts); err != nil {
				stop(err, true)
			}
		}
		for _, pp := range ch.posts {
			pp.release()
		}
		written += len(ch.posts)
		if opt.Progress != nil {
			p := int(nplan.Load())
			opt.Progress(p+written, 2*max(src.Size, p))
		}
	}
	// The writer is done: its processor goes to the checks.
	checks.oneMore()
	checks.wait()
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
		var ve *ValidationError
		if !stopWriter || errors.As(stopErr, &ve) || errors.Is(stopErr, ErrConflict) {
			return res, stopErr
		}
		return res, fmt.Errorf("load not written: %w", stopErr)
	}
	problems := append([]FieldError{}, read.Problems...)
	res.Warnings = append(res.Warnings, read.Warnings...)
	if tooMany != nil {
		rollback()
		problems = append(problems, *tooMany)
		sortProblems(problems)
		res.Errors = problems
		return res, &ValidationError{Problems: problems}
	}
	pl := pn.pl
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
	var checked []FieldError
	for _, pp := range pl.posts {
		checked = append(checked, pp.checked...)
	}
	if len(problems)+len(checked)+len(pl.conflicts) == 0 {
		if w == nil {
			return res, nil // a dry run
		}
		if err := w.end(ctx, true); err != nil {
			res.Created, res.Updated, res.Unchanged = 0, 0, 0
			return res, fmt.Errorf("load not written: %w", err)
		}
		return res, nil
	}
	rollback()
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

// checker asks the networks about each post handed to it, on a few worker
// goroutines, keeping what they refuse on the post (pp.checked).
type checker struct {
	check CheckFunc
	next  chan *plannedPost
	wg    sync.WaitGroup
	extra sync.Once
}

// newChecker starts workers; nil when the load has no checks.
func newChecker(opt LoadOptions, workers int) *checker {
	if opt.Check == nil {
		return nil
	}
	// The queue holds a whole load: the plan never waits on the checks
	// (the writer, the critical path, waits on the plan).
	c := &checker{check: opt.Check, next: make(chan *plannedPost, MaxLoadPosts)}
	for i := 0; i < workers; i++ {
		c.start()
	}
	return c
}

func (c *checker) start() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for pp := range c.next {
			post := pp.post.asPost(pp.source())
			for _, ch := range pp.chans {
				for _, prob := range c.check(*ch, &post, pp.campaign) {
					pp.checked = append(pp.checked, pp.src.problem(checkField(prob.Field, ch.Name, &post), "%s: %s", ch.Name, prob.Message))
				}
			}
			pp.release()
		}
	}()
}

func (c *checker) add(pp *plannedPost) {
	if c != nil {
		c.next <- pp
	}
}

// close says no more posts come.
func (c *checker) close() {
	if c != nil {
		close(c.next)
	}
}

// oneMore adds a worker (once): the writer's processor, when it is done.
func (c *checker) oneMore() {
	if c != nil {
		c.extra.Do(c.start)
	}
}

// wait returns once every post handed over is checked.
func (c *checker) wait() {
	if c != nil {
		c.wg.Wait()
	}
}
