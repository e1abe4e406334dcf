package threads

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// findLimit is how many of the account's latest posts (or replies) a
// lookup reads.
const findLimit = 50

// media is the part of a Threads media object a lookup compares (Threads ›
// Retrieve and discover posts: id, text, timestamp, permalink).
type media struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	Timestamp string `json:"timestamp"`
	Permalink string `json:"permalink"`
}

// lookup finds part index of post, whose text is text, among the
// account's posts (GET /{user}/threads) or, for a reply, its replies (GET
// /{user}/replies), made since a little before the post was due.
func (p *Publisher) lookup(ctx context.Context, post publishers.Post, index int, text string) (publishers.Result, bool, error) {
	edge := "threads"
	if index > 0 {
		edge = "replies"
	}
	q := url.Values{"fields": {"id,text,timestamp,permalink"}, "limit": {strconv.Itoa(findLimit)}}
	since := meta.Since(post.ScheduledAt)
	if !since.IsZero() {
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	var list struct {
		Data []media `json:"data"`
	}
	if err := p.graph.Get(ctx, p.user+"/"+edge, q, &list); err != nil {
		return publishers.Result{}, false, err
	}
	for _, m := range list.Data {
		at, err := time.Parse("2006-01-02T15:04:05-0700", m.Timestamp)
		if err == nil && !since.IsZero() && at.Before(since) {
			continue
		}
		if m.ID == "" || !meta.Same(m.Text, text) {
			continue
		}
		res := publishers.Result{RemoteID: m.ID, RemoteURL: m.Permalink, PublishedAt: at}
		if err != nil {
			res.PublishedAt = p.graph.Clock()
		}
		return res, true, nil
	}
	if len(list.Data) >= findLimit {
		return publishers.Result{}, false, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
			"cannot tell whether the post was published: the account made more than %d %s since it was due", findLimit, edge)}
	}
	return publishers.Result{}, false, nil
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
		if r, ok := liveAt(post, i); ok {
			if i == 0 {
				first = r
			}
			continue
		}
		if id, ok := meta.Recorded(post, i); ok {
			st, err := p.flow.State(ctx, id)
			if err != nil {
				return publishers.Result{}, false, err
			}
			if st.Status != meta.StatusPublished {
				return publishers.Result{}, false, nil // the retry publishes it
			}
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

func liveAt(post publishers.Post, index int) (publishers.Result, bool) {
	for _, r := range post.Live {
		if r.Index == index && r.RemoteID != "" {
			return r.Result, true
		}
	}
	return publishers.Result{}, false
}
