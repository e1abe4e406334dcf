package meta

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/crieur/crieur/publishers"
)

// Container statuses (Threads API › Troubleshooting › Publishing does not
// return a media ID; Instagram Platform › IG Container's status_code):
// the same five words on both networks.
const (
	StatusFinished   = "FINISHED"    // ready to publish
	StatusInProgress = "IN_PROGRESS" // still being made (Meta fetching the media)
	StatusPublished  = "PUBLISHED"   // published: the post is out
	StatusError      = "ERROR"       // failed: make another
	StatusExpired    = "EXPIRED"     // not published within 24 hours
)

// refPrefix marks a part's Ref that names a container, recorded (through
// the part recorder, Post.Confirm) before the container is published, with
// no remote id: the part is not live, and the next attempt finds its
// container instead of making a second post.
const refPrefix = "container:"

// Flow publishes posts through containers: one is made (Create), recorded,
// waited for, then published (POST /{user}/{Publish} with creation_id).
type Flow struct {
	Graph   *Graph
	User    string // the account's id, or "me"
	Edge    string // where containers are made: threads, media
	Publish string // threads_publish, media_publish
	// StatusField is the container's status field: status (Threads),
	// status_code (Instagram).
	StatusField string
	// Poll are the waits between status reads of a container not yet
	// FINISHED (Meta fetching the image); past them the attempt is retried
	// later, and the next one finds the container.
	Poll []time.Duration
}

// Recorded is the container an earlier attempt recorded for part index of
// post, if any.
func Recorded(post publishers.Post, index int) (string, bool) {
	for _, r := range post.Live {
		if r.Index == index && r.RemoteID == "" && strings.HasPrefix(r.Ref, refPrefix) {
			return strings.TrimPrefix(r.Ref, refPrefix), true
		}
	}
	return "", false
}

// ContainerState is what Meta says of a container.
type ContainerState struct {
	Status  string
	Message string // why it failed, when it did
}

// State reads a container's status.
func (f *Flow) State(ctx context.Context, id string) (ContainerState, error) {
	var out map[string]any
	fields := f.StatusField
	if f.StatusField == "status" {
		fields += ",error_message" // Threads says why apart
	} else {
		fields += ",status" // Instagram's status is the error's words
	}
	if err := f.Graph.Get(ctx, id, url.Values{"fields": {"id," + fields}}, &out); err != nil {
		return ContainerState{}, err
	}
	st := ContainerState{}
	st.Status, _ = out[f.StatusField].(string)
	if f.StatusField == "status" {
		st.Message, _ = out["error_message"].(string)
	} else {
		st.Message, _ = out["status"].(string)
	}
	return st, nil
}

// Part publishes part index of post: the container an earlier attempt
// recorded when it can still be published, else a new one (create makes it
// and returns its id), recorded before it is published. published is
// called when the recorded container was published already (a crash or a
// lost reply after threads_publish): it finds the post's id, or fails.
func (f *Flow) Part(ctx context.Context, post publishers.Post, index int,
	create func(ctx context.Context) (string, error),
	published func(ctx context.Context) (publishers.Result, bool, error)) (publishers.Result, error) {
	id, ok := Recorded(post, index)
	if ok {
		st, err := f.State(ctx, id)
		switch {
		case err != nil && isPermanent(err):
			ok = false // Meta no longer knows it: make another
		case err != nil:
			return publishers.Result{}, err
		case st.Status == StatusPublished:
			res, found, err := published(ctx)
			if err != nil {
				return publishers.Result{}, err
			}
			if !found {
				return publishers.Result{}, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
					"%s says the container %s of an earlier attempt was published, but the post is not among the account's yet: trying again later", f.Graph.Name, id)}
			}
			return res, nil
		case st.Status == StatusExpired || st.Status == StatusError:
			ok = false // never published: a new one
		}
	}
	if !ok {
		var err error
		if id, err = create(ctx); err != nil {
			return publishers.Result{}, err
		}
		if err := post.Confirm(publishers.PartResult{Index: index, Ref: refPrefix + id}); err != nil {
			// Not recorded: not published either, or a crash now would
			// leave a post the next attempt cannot know of.
			return publishers.Result{}, err
		}
	}
	if err := f.ready(ctx, id); err != nil {
		return publishers.Result{}, err
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := f.Graph.Post(ctx, f.User+"/"+f.Publish, url.Values{"creation_id": {id}}, &out); err != nil {
		return publishers.Result{}, err
	}
	if out.ID == "" {
		return publishers.Result{}, &publishers.Error{Class: publishers.Transient, Message: f.Graph.Name + " answered the publish without the post's id"}
	}
	return publishers.Result{RemoteID: out.ID, PublishedAt: f.Graph.now()}, nil
}

// ready waits for the container to be FINISHED, reading its status after
// each of Poll's waits; ERROR is the post's fault (Meta could not fetch or
// read the media).
func (f *Flow) ready(ctx context.Context, id string) error {
	for i := 0; ; i++ {
		st, err := f.State(ctx, id)
		if err != nil {
			return err
		}
		switch st.Status {
		case StatusFinished, "":
			return nil
		case StatusPublished:
			return nil // publishing it again is refused: the caller learns it from Meta
		case StatusError:
			return &publishers.Error{Class: publishers.Permanent, Message: fmt.Sprintf("%s could not make the post (container %s): %s", f.Graph.Name, id, strings.TrimSpace(st.Message))}
		case StatusExpired:
			return &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf("the container %s expired before it was published: the next attempt makes another", id)}
		}
		if i >= len(f.Poll) {
			return &publishers.Error{Class: publishers.Transient, RetryAfter: time.Minute, Message: fmt.Sprintf(
				"%s is still preparing the post (container %s is %s): the next attempt publishes it", f.Graph.Name, id, st.Status)}
		}
		select {
		case <-time.After(f.Poll[i]):
		case <-ctx.Done():
			return publishers.Transport(ctx.Err())
		}
	}
}

func isPermanent(err error) bool {
	class, _ := publishers.Classify(err)
	return class == publishers.Permanent
}

// Quota is an account's publishing quota: used of total in the last
// duration (Threads' threads_publishing_limit, Instagram's
// content_publishing_limit: quota_usage and config's quota_total and
// quota_duration).
type Quota struct {
	Used, Total int
	Duration    time.Duration
}

// Over says why publishing n more would exceed q ("" when it would not).
func (q Quota) Over(n int, what string) string {
	if q.Total <= 0 || q.Used+n <= q.Total {
		return ""
	}
	d := q.Duration
	if d <= 0 {
		d = 24 * time.Hour
	}
	return fmt.Sprintf("%d of the %d %s allowed in %s are used", q.Used, q.Total, what, durationWords(d))
}

func durationWords(d time.Duration) string {
	if d%(time.Hour) == 0 {
		return fmt.Sprintf("%d hours", int(d.Hours()))
	}
	return d.String()
}

// QuotaWait is the rate-limit error for a post over quota: the quota is
// over a moving window, so the post waits backoff (the channel's
// rate_limit_backoff, else an hour) and asks again.
func (g *Graph) QuotaWait(reason string) error {
	wait := g.Backoff
	if wait <= 0 {
		wait = time.Hour
	}
	return &publishers.Error{Class: publishers.RateLimited, RetryAfter: wait, Message: fmt.Sprintf(
		"%s's publishing quota: %s; the post waits %s and tries again", g.Name, reason, wait)}
}

// Create makes a container: POST /{user}/{Edge} with form; its id.
func (f *Flow) Create(ctx context.Context, form url.Values) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := f.Graph.Post(ctx, f.User+"/"+f.Edge, form, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", &publishers.Error{Class: publishers.Transient, Message: f.Graph.Name + " answered without the container's id"}
	}
	return out.ID, nil
}

// Permalink reads a post's address; "" when it cannot (the post is out
// whatever this read says).
func (f *Flow) Permalink(ctx context.Context, id string) string {
	var out struct {
		Permalink string `json:"permalink"`
	}
	if f.Graph.Get(ctx, id, url.Values{"fields": {"permalink"}}, &out) != nil {
		return ""
	}
	return out.Permalink
}

// LookupLimit is how many of the account's latest posts a lookup reads.
const LookupLimit = 50

// Lookup finds a post whose text (the field textField: Threads' text,
// Instagram's caption) is text among the account's latest on edge (GET
// /{user}/{edge}, newest first), made since a little before scheduled.
// When as many posts as it reads were made since, it cannot tell and
// fails (transient) rather than report the post absent.
func (f *Flow) Lookup(ctx context.Context, edge, textField string, scheduled time.Time, text string, sendSince bool) (publishers.Result, bool, error) {
	q := url.Values{"fields": {"id," + textField + ",timestamp,permalink"}, "limit": {fmt.Sprint(LookupLimit)}}
	since := Since(scheduled)
	if sendSince && !since.IsZero() {
		q.Set("since", fmt.Sprint(since.Unix()))
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	if err := f.Graph.Get(ctx, f.User+"/"+edge, q, &list); err != nil {
		return publishers.Result{}, false, err
	}
	recent := 0
	for _, m := range list.Data {
		id, _ := m["id"].(string)
		shown, _ := m[textField].(string)
		stamp, _ := m["timestamp"].(string)
		link, _ := m["permalink"].(string)
		at, err := time.Parse("2006-01-02T15:04:05-0700", stamp)
		if err == nil && !since.IsZero() && at.Before(since) {
			continue
		}
		recent++
		if id == "" || !Same(shown, text) {
			continue
		}
		if err != nil {
			at = f.Graph.now()
		}
		return publishers.Result{RemoteID: id, RemoteURL: link, PublishedAt: at}, true, nil
	}
	if recent >= LookupLimit {
		return publishers.Result{}, false, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
			"cannot tell whether the post was published: the account made more than %d posts since it was due", LookupLimit)}
	}
	return publishers.Result{}, false, nil
}

// Live is the result recorded for part index of post, if it is live.
func Live(post publishers.Post, index int) (publishers.Result, bool) {
	for _, r := range post.Live {
		if r.Index == index && r.RemoteID != "" {
			return r.Result, true
		}
	}
	return publishers.Result{}, false
}
