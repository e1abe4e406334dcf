package calendar

import (
	"sync"
)

// LoadChunk is how many posts each stage hands on at a time.
const LoadChunk = 2000

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
			n := min(LoadChunk, len(items))
			emit(items[:n:n])
			items = items[n:]
		}
		return &LoadSet{Problems: problems, Warnings: warnings}
	}}
}

// PlannedChunk is what the plan stage hands the writer: campaigns to write
// before posts.
type PlannedChunk struct {
	Campaigns []*PlannedCampaign
	Posts     []*PlannedPost
}

// Checker asks the networks about each post handed to it, on a few worker
// goroutines, keeping what they refuse on the post (pp.checked).
type Checker struct {
	Check CheckFunc
	Next  chan *PlannedPost
	wg    sync.WaitGroup
	extra sync.Once
}

func (c *Checker) Start() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for pp := range c.Next {
			post := pp.Post.AsPost(pp.Source())
			for _, ch := range pp.Chans {
				for _, prob := range c.Check(*ch, &post, pp.Campaign) {
					pp.Checked = append(pp.Checked, pp.Src.Problem(checkField(prob.Field, ch.Name, &post), "%s: %s", ch.Name, prob.Message))
				}
			}
			pp.Release()
		}
	}()
}

func (c *Checker) Add(pp *PlannedPost) {
	if c != nil {
		c.Next <- pp
	}
}

// Close says no more posts come.
func (c *Checker) Close() {
	if c != nil {
		close(c.Next)
	}
}

// OneMore adds a worker (once): the writer's processor, when it is done.
func (c *Checker) OneMore() {
	if c != nil {
		c.extra.Do(c.Start)
	}
}

// Wait returns once every post handed over is checked.
func (c *Checker) Wait() {
	if c != nil {
		c.wg.Wait()
	}
}
