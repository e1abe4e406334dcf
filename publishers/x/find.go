package x

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/crieur/crieur/publishers"
)

// pageSize is how many of the account's posts Find reads a page: the most
// GET /2/users/:id/tweets gives (max_results, 5 to 100).
const pageSize = 100

// findPages bounds how many pages Find reads back to the post's time.
const findPages = 5

// findWindow is how long before a delivery's planned time its post may have
// been created and still be recognised (clocks differ, a post goes out late).
const findWindow = 15 * time.Minute

// user is the data of GET /2/users/me (https://docs.x.com/x-api/users/user-lookup-me).
type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

func (p *Publisher) me(ctx context.Context) (user, error) {
	var out struct {
		Data user `json:"data"`
	}
	if _, err := p.do(ctx, request{method: http.MethodGet, path: "/2/users/me", out: &out}); err != nil {
		return user{}, err
	}
	if out.Data.ID == "" {
		return user{}, publishers.Errorf(publishers.Transient, "X answered /2/users/me without the account's id")
	}
	p.mu.Lock()
	p.user = out.Data.ID
	p.mu.Unlock()
	return out.Data, nil
}

func (p *Publisher) userID(ctx context.Context) (string, error) {
	p.mu.Lock()
	id := p.user
	p.mu.Unlock()
	if id != "" {
		return id, nil
	}
	me, err := p.me(ctx)
	return me.ID, err
}

// posted is a post as GET /2/users/:id/tweets lists it, with the fields
// Find asks for (https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id):
// its text (URLs shortened to t.co links, a link to its media appended,
// &, < and > as HTML entities), its creation time, whom it replies to, its
// media and the URLs it carried as written.
type posted struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Refs      []struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"referenced_tweets"`
	Attachments struct {
		MediaKeys []string `json:"media_keys"`
	} `json:"attachments"`
	Entities struct {
		URLs []struct {
			ExpandedURL string `json:"expanded_url"`
		} `json:"urls"`
	} `json:"entities"`
}

// repliesTo is the post this one replies to, or "".
func (t posted) repliesTo() string {
	for _, r := range t.Refs {
		if r.Type == "replied_to" {
			return r.ID
		}
	}
	return ""
}

func (t posted) created() time.Time {
	at, _ := time.Parse(time.RFC3339, t.CreatedAt)
	return at
}

// recent lists the account's posts since since (all it gives when zero),
// newest first, findPages pages at most; complete is false when more
// remained.
func (p *Publisher) recent(ctx context.Context, since time.Time) (list []posted, complete bool, err error) {
	id, err := p.userID(ctx)
	if err != nil {
		return nil, false, err
	}
	q := url.Values{}
	q.Set("max_results", fmt.Sprint(pageSize))
	q.Set("tweet.fields", "created_at,referenced_tweets,attachments,entities")
	q.Set("exclude", "retweets")
	if !since.IsZero() {
		q.Set("start_time", since.UTC().Format(time.RFC3339))
	}
	for range findPages {
		var page struct {
			Data []posted `json:"data"`
			Meta struct {
				NextToken string `json:"next_token"`
			} `json:"meta"`
		}
		if _, err := p.do(ctx, request{method: http.MethodGet, path: "/2/users/" + url.PathEscape(id) + "/tweets?" + q.Encode(), out: &page}); err != nil {
			return nil, false, err
		}
		list = append(list, page.Data...)
		if page.Meta.NextToken == "" {
			return list, true, nil
		}
		q.Set("pagination_token", page.Meta.NextToken)
	}
	return list, false, nil
}

// Find looks for the post an earlier attempt of post created, among the
// account's posts since a little before the post's planned time: one that
// is not a reply, whose text is the first part's and that carries as many
// media. A thread is found when whole; when cut short, its live parts are
// reported through post.Confirm (the retry resumes after them) and it is
// not found. When the posts read do not reach back to the post's time, Find
// cannot tell: it fails (transient) rather than report the post absent.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	thread := parts(post)
	if len(thread) == 0 {
		thread = []string{""}
	}
	list, complete, err := p.recent(ctx, since(post))
	if err != nil {
		return publishers.Result{}, false, err
	}
	var head *posted
	for i := range list {
		t := &list[i]
		if t.repliesTo() == "" && sameText(*t, thread[0]) && len(t.Attachments.MediaKeys) == len(post.Media) {
			head = t // the list is newest first: keep the oldest match
		}
	}
	if head == nil {
		if !complete {
			return publishers.Result{}, false, publishers.Errorf(publishers.Transient,
				"cannot tell whether the post was published: the account's %d latest posts do not reach back to the post's time", len(list))
		}
		return publishers.Result{}, false, nil
	}
	chain := []posted{*head}
	for len(chain) < len(thread) {
		reply, ok := replyIn(list, chain[len(chain)-1].ID, thread[len(chain)])
		if !ok {
			break
		}
		chain = append(chain, reply)
	}
	if len(chain) == len(thread) {
		return p.result(head.ID, head.created()), true, nil
	}
	known := map[int]string{}
	for _, r := range post.Live {
		known[r.Index] = r.RemoteID
	}
	for i, t := range chain {
		if known[i] == t.ID {
			continue
		}
		if err := post.Confirm(publishers.PartResult{Index: i, Result: p.result(t.ID, t.created())}); err != nil {
			return publishers.Result{}, false, prefix(err, fmt.Sprintf("recording thread part %d/%d", i+1, len(thread)))
		}
	}
	return publishers.Result{}, false, nil
}

// replyIn finds, among list, the reply to parent whose text is text.
func replyIn(list []posted, parent, text string) (posted, bool) {
	for _, t := range list {
		if t.repliesTo() == parent && sameText(t, text) {
			return t, true
		}
	}
	return posted{}, false
}

// since is the earliest time a post of this delivery may have been created.
func since(post publishers.Post) time.Time {
	if post.ScheduledAt.IsZero() {
		return time.Time{}
	}
	return post.ScheduledAt.Add(-findWindow)
}

// isDuplicate reports whether err is X's refusal of duplicate content.
func isDuplicate(err error) bool { return errors.Is(err, errDuplicate) }

// duplicate handles X's refusal of part i of a thread as a duplicate of a
// post the account made: an earlier attempt, whose reply was lost, may
// have posted it. Only a lookup that finds it (the same text, replying to
// replyTo, or no reply for the first part) makes it published; otherwise
// the delivery is held for a person, since posting it again cannot work and
// failing it could hide a post that is out.
func (p *Publisher) duplicate(ctx context.Context, post publishers.Post, i, n int, text, replyTo string, refused error) (publishers.Result, error) {
	list, _, err := p.recent(ctx, since(post))
	if err == nil {
		for j := len(list) - 1; j >= 0; j-- { // oldest first
			t := list[j]
			if t.repliesTo() == replyTo && sameText(t, text) && (i > 0 || len(t.Attachments.MediaKeys) == len(post.Media)) {
				return p.result(t.ID, t.created()), nil
			}
		}
	}
	why := "crieur did not find it among the account's recent posts"
	if err != nil {
		why = "looking for it failed (" + err.Error() + ")"
	}
	var pe *publishers.Error
	status := 0
	if errors.As(refused, &pe) {
		status = pe.Status
	}
	part := ""
	if n > 1 {
		part = fmt.Sprintf(" (thread part %d/%d)", i+1, n)
	}
	return publishers.Result{}, &publishers.Error{Class: publishers.Permanent, Hold: true, Status: status, Err: errDuplicate,
		Message: fmt.Sprintf("X refused the text%s as a duplicate of a post the account already made, and %s: check the account; if the post is not there, change its text", part, why)}
}

// sameText reports whether a listed post is text as crieur sent it. X
// shortens every URL to a t.co link and appends one for media, so the
// texts are compared without URLs, by their letters and digits; the URLs
// crieur sent must be among those X expanded (see urlKey).
func sameText(t posted, text string) bool {
	if comparable(html.UnescapeString(t.Text)) != comparable(text) {
		return false
	}
	expanded := map[string]bool{}
	for _, u := range t.Entities.URLs {
		expanded[urlKey(u.ExpandedURL)] = true
	}
	if len(expanded) == 0 {
		return true // the listing carried no entities: the words decide
	}
	text = norm.NFC.String(text)
	for _, sp := range urlSpans(text) {
		u := text[sp[0]:sp[1]]
		if strings.Contains(u, "://") && !expanded[urlKey(u)] {
			return false
		}
	}
	return true
}

// urlKey is what must match between a URL crieur sent and the one X
// says it expanded: scheme and host in any case, the path without a
// trailing slash; the query and fragment are left out, as X may re-encode them.
func urlKey(u string) string {
	u, _, _ = strings.Cut(u, "#")
	u, _, _ = strings.Cut(u, "?")
	scheme, rest, _ := strings.Cut(u, "://")
	host, path, _ := strings.Cut(rest, "/")
	return strings.ToLower(scheme+"://"+host) + "/" + strings.TrimRight(path, "/")
}

// comparable reduces a text to its letters and digits outside URLs.
func comparable(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	last := 0
	for _, sp := range urlSpans(s) {
		b.WriteString(s[last:sp[0]])
		last = sp[1]
	}
	b.WriteString(s[last:])
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, b.String())
}
