package scheduler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/crieur/crieur/calendar"
)

// groupCommit records the outcomes of calls that end together in one
// transaction. The first outcome to arrive while no commit runs starts a
// committer, which commits it at once, then whatever arrived meanwhile,
// until none is left; each call waits only for the commit that carries its
// outcome. A quiet daemon's outcome is thus written as soon as before, and
// a busy one's many outcomes cost a few commits instead of one each (on
// PostgreSQL, each commit is several round trips and a lock). The committer
// is a goroutine of its own, not the first caller: a busy daemon's queue
// never empties, and a call that committed the others' outcomes held its
// slot (no new publication) for as long.
type groupCommit struct {
	mu        sync.Mutex
	queue     []*pendingOutcome
	committer bool // a committer is running
}

type pendingOutcome struct {
	rec  calendar.OutcomeRecord
	done chan error
}

// maxBatch bounds a commit's size (and the locks it holds).
const maxBatch = 64

// record writes rec, in a batch with others when they come together, and
// returns its own result: nil, ErrLeaseLost, or the error that stopped it
// being written after retries.
func (g *groupCommit) record(ctx context.Context, s *Scheduler, rec calendar.OutcomeRecord) error {
	p := &pendingOutcome{rec: rec, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	if !g.committer {
		g.committer = true
		go g.commit(ctx, s)
	}
	g.mu.Unlock()
	return <-p.done
}

// commit writes the queue's batches until it is empty.
func (g *groupCommit) commit(ctx context.Context, s *Scheduler) {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxBatch)
		batch := g.queue[:n:n]
		g.queue = g.queue[n:]
		if n == 0 {
			g.committer = false
			g.queue = nil
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		commitOutcomes(ctx, s, batch)
	}
}

// commitOutcomes writes a batch in one transaction. When that fails the
// records are written one by one, each retried a few times if the database
// is busy: one record that cannot be written must not stop the others, and
// a confirmed publication must not be forgotten.
func commitOutcomes(ctx context.Context, s *Scheduler, batch []*pendingOutcome) {
	recs := make([]calendar.OutcomeRecord, len(batch))
	for i, p := range batch {
		recs[i] = p.rec
	}
	errs, err := s.st.RecordOutcomes(ctx, s.o.Owner, recs)
	if err == nil {
		for i, p := range batch {
			p.done <- errs[i]
		}
		return
	}
	for _, p := range batch {
		var err error
		for try := range 6 {
			if err = s.st.RecordOutcome(ctx, p.rec.Delivery, s.o.Owner, p.rec.Outcome); err == nil || errors.Is(err, calendar.ErrLeaseLost) {
				break
			}
			time.Sleep(time.Duration(100<<try) * time.Millisecond)
		}
		p.done <- err
	}
}
