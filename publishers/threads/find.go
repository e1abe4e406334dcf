package threads

import (
	"context"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// lookup finds part index of post, whose text is text, among the
// account's posts (GET /{user}/threads) or, for a reply, its replies (GET
// /{user}/replies: Threads › Retrieve and discover posts, Reply
// management), made since a little before the post was due.
func (p *Publisher) lookup(ctx context.Context, post publishers.Post, index int, text string) (publishers.Result, bool, error) {
	edge := "threads"
	if index > 0 {
		edge = "replies"
	}
	return p.Flow.Lookup(ctx, edge, "text", post.ScheduledAt, text, true)
}

// Find tells whether an uncertain attempt published post: part by part,
// a part recorded live is; a part whose recorded container Threads says
// is PUBLISHED, or (no container recorded) whose text is among the
// account's latest posts or replies, is looked up and reported live
// (post.Confirm). The post is found when every part is; otherwise the
// retry resumes after the parts reported, and reuses a recorded
// container that was not published.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	ps := parts(post)
	var first publishers.Result
	for i, text := range ps {
		if r, ok := meta.Live(post, i); ok {
			if i == 0 {
				first = r
			}
			continue
		}
		if unpublished, err := p.Unpublished(ctx, post, i); unpublished || err != nil {
			return publishers.Result{}, false, err // not published: the retry publishes it
		}
		res, found, err := p.lookup(ctx, post, i, text)
		if err != nil || !found {
			return publishers.Result{}, false, err
		}
		if err := post.Confirm(publishers.PartResult{Index: i, Result: res}); err != nil {
			return publishers.Result{}, false, err
		}
		if i == 0 {
			first = res
		}
	}
	return first, true, nil
}
