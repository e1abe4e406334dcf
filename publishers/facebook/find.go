package facebook

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/meta"
)

// findLimit is how many of the Page's posts Find reads.
const findLimit = 100

// pagePost is the part of a Page post (Graph API reference › Post: id,
// message, created_time) Find compares.
type pagePost struct {
	ID          string `json:"id"`
	Message     string `json:"message"`
	CreatedTime string `json:"created_time"`
}

// Find looks for the post an earlier attempt made among the Page's posts
// made since a little before the delivery was due (GET /{page-id}/posts
// with since: Graph API reference › Page › Feed, its /posts edge, and
// time-based pagination): one with the same message. When the Page made
// more posts since than one read returns, it cannot tell and fails
// (transient) rather than report the post absent.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	q := url.Values{"fields": {"id,message,created_time"}, "limit": {strconv.Itoa(findLimit)}}
	since := meta.Since(post.ScheduledAt)
	if !since.IsZero() {
		q.Set("since", strconv.FormatInt(since.Unix(), 10))
	}
	var list struct {
		Data []pagePost `json:"data"`
	}
	if err := p.graph.Get(ctx, p.page+"/posts", q, &list); err != nil {
		return publishers.Result{}, false, err
	}
	want := message(post)
	for _, el := range list.Data {
		at, err := time.Parse("2006-01-02T15:04:05-0700", el.CreatedTime)
		if err == nil && !since.IsZero() && at.Before(since) {
			continue
		}
		if el.ID == "" || !meta.Same(el.Message, want) {
			continue
		}
		res := publishers.Result{RemoteID: el.ID, RemoteURL: postURL(el.ID), PublishedAt: p.now()}
		if err == nil {
			res.PublishedAt = at
		}
		return res, true, nil
	}
	if len(list.Data) >= findLimit {
		return publishers.Result{}, false, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
			"cannot tell whether the post was published: the Page made more than %d posts since it was due", findLimit)}
	}
	return publishers.Result{}, false, nil
}
