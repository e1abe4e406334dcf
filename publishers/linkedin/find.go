package linkedin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/crieur/crieur/publishers"
)

// findWindow is how long before a delivery's planned time its post may have
// been created and still be recognised (clocks differ).
const findWindow = 15 * time.Minute

// findPage is how many posts Find reads a page, findPages how many pages.
const (
	findPage  = 20
	findPages = 5
)

// found is the part of a Post (Posts API's Post schema) Find compares.
type found struct {
	ID             string `json:"id"`
	Commentary     string `json:"commentary"`
	CreatedAt      int64  `json:"createdAt"`
	PublishedAt    int64  `json:"publishedAt"`
	LifecycleState string `json:"lifecycleState"`
	Content        *struct {
		Media      *mediaRef   `json:"media"`
		MultiImage *multiImage `json:"multiImage"`
		Article    *article    `json:"article"`
	} `json:"content"`
}

// Find looks for the post an earlier attempt of post made, among the
// author's latest posts (Posts API › Find Posts by Authors: GET
// /rest/posts?q=author, newest first), back to a little before the post's
// planned time: one with the same text and the same kind of content (as
// many images, or a card for the same link), created no earlier than that.
// When the posts read do not reach back to that time, it cannot tell: it
// fails (transient) rather than report the post absent.
func (f finding) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	p := f.Publisher
	author, err := p.authorURN(ctx)
	if err != nil {
		return publishers.Result{}, false, err
	}
	want := comparable(visible(text(post)))
	var since time.Time
	if !post.ScheduledAt.IsZero() {
		since = post.ScheduledAt.Add(-findWindow)
	}
	h := http.Header{}
	p.restli(h)
	h.Set("X-RestLi-Method", "FINDER")
	read := 0
	for page := range findPages {
		q := url.Values{}
		q.Set("q", "author")
		q.Set("author", author)
		q.Set("count", fmt.Sprint(findPage))
		q.Set("start", fmt.Sprint(page*findPage))
		q.Set("sortBy", "CREATED")
		var list struct {
			Elements []found `json:"elements"`
		}
		if _, err := p.do(ctx, http.MethodGet, p.api+"/rest/posts?"+q.Encode(), nil, h, &list); err != nil {
			return publishers.Result{}, false, err
		}
		read += len(list.Elements)
		reached := false
		for _, el := range list.Elements {
			created := time.UnixMilli(el.CreatedAt)
			if !since.IsZero() && el.CreatedAt > 0 && created.Before(since) {
				reached = true
				continue
			}
			if el.LifecycleState != "" && el.LifecycleState != "PUBLISHED" {
				continue
			}
			if comparable(plainOf(el.Commentary)) != want || !sameContent(el, post) {
				continue
			}
			at := el.PublishedAt
			if at == 0 {
				at = el.CreatedAt
			}
			res := publishers.Result{RemoteID: el.ID, RemoteURL: postURL(el.ID), PublishedAt: p.now()}
			if at > 0 {
				res.PublishedAt = time.UnixMilli(at)
			}
			return res, true, nil
		}
		if len(list.Elements) < findPage || reached {
			return publishers.Result{}, false, nil
		}
	}
	return publishers.Result{}, false, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
		"cannot tell whether the post was published: the author's %d latest posts do not reach back to the post's time", read)}
}

// sameContent reports whether a post LinkedIn has carries what post would:
// as many images, or a card for its link, or neither.
func sameContent(el found, post publishers.Post) bool {
	images, source := 0, ""
	if c := el.Content; c != nil {
		switch {
		case c.Media != nil:
			images = 1
		case c.MultiImage != nil:
			images = len(c.MultiImage.Images)
		case c.Article != nil:
			source = strings.TrimSpace(c.Article.Source)
		}
	}
	if len(post.Media) > 0 {
		return images == len(post.Media)
	}
	return images == 0 && source == strings.TrimSpace(post.Link)
}

// comparable reduces a text to what survives LinkedIn's storing it: its
// letters and digits.
func comparable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
