package mastodon

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/crieur/crieur/publishers"
)

// recentStatuses is how many of the account's statuses Find reads a page:
// the most the API gives in one page.
const recentStatuses = 40

// findPages bounds how many pages Find reads back to the post's time: an
// account that posted more than findPages×recentStatuses statuses since then
// is one where Find cannot tell.
const findPages = 10

// findWindow is how long before a delivery's planned time its status may
// have been created and still be recognised (clocks differ).
const findWindow = 15 * time.Minute

// posted is the part of a Status entity Find compares.
type posted struct {
	status
	InReplyToID *string `json:"in_reply_to_id"`
	Content     string  `json:"content"`
	Media       []struct {
		Description *string `json:"description"`
	} `json:"media_attachments"`
}

// Find looks for the status an earlier attempt of post created, among the
// account's latest statuses, page by page back to a little before the
// post's planned time: one that is not a reply, created no earlier than
// that, whose text is the first status crieur would post now and whose
// attachments carry the post's alt texts. The idempotency key is a second
// guard: some Mastodon-API servers (GoToSocial) ignore it, and Mastodon
// forgets it after an hour.
//
// When the statuses read (findPages pages at most) are all newer than the
// post's planned time and none matches, Find cannot tell: it fails
// (transient) rather than report the post absent, so the scheduler holds or
// waits instead of posting again.
func (p *Publisher) Find(ctx context.Context, post publishers.Post) (publishers.Result, bool, error) {
	id, err := p.accountID(ctx)
	if err != nil {
		return publishers.Result{}, false, err
	}
	thread := parts(post, p.loadLimits(ctx))
	want := ""
	if len(thread) > 0 {
		want = comparable(thread[0])
	}
	// A thread's head cut at other limits than today's still starts the text.
	whole := comparable(publishers.WithLink(strings.TrimSpace(post.Text), post.Link))
	var alts []string
	for _, m := range post.Media {
		alts = append(alts, m.Alt)
	}
	var since time.Time
	if !post.ScheduledAt.IsZero() {
		since = post.ScheduledAt.Add(-findWindow)
	}

	oldest, maxID := time.Time{}, ""
	var read []posted // every status read, newest first
	seen := map[string]bool{}
	for range findPages {
		var list []posted
		path := fmt.Sprintf("/api/v1/accounts/%s/statuses?limit=%d&exclude_reblogs=true", url.PathEscape(id), recentStatuses)
		if maxID != "" {
			path += "&max_id=" + url.QueryEscape(maxID)
		}
		if _, err := p.do(ctx, http.MethodGet, path, nil, "", nil, &list); err != nil {
			return publishers.Result{}, false, err
		}
		fresh := 0
		for _, st := range list {
			if seen[st.ID] {
				continue
			}
			seen[st.ID] = true
			fresh++
			if st.URL == "" {
				st.URL = st.URI
			}
			read = append(read, st)
			created, err := time.Parse(time.RFC3339, st.CreatedAt)
			if err != nil {
				continue
			}
			if oldest.IsZero() || created.Before(oldest) {
				oldest = created
			}
			if (st.InReplyToID != nil && *st.InReplyToID != "") || created.Before(since) {
				continue
			}
			text := contentText(st.Content)
			same := comparable(text) == want
			cutElsewhere := false
			if head, ok := threadHead(text); ok && !same {
				same = len(head) >= 20 && strings.HasPrefix(whole, head)
				cutElsewhere = same
			}
			if !same || !sameAlts(st, alts) {
				continue
			}
			if cutElsewhere {
				// Cut at other limits than today's: its other parts cannot
				// be compared with today's cut.
				return p.result(st.status), true, nil
			}
			return p.foundThread(post, thread, st, read)
		}
		if len(list) < recentStatuses || (!since.IsZero() && oldest.Before(since)) {
			// The account's first status, or the post's time, is reached.
			return publishers.Result{}, false, nil
		}
		if fresh == 0 {
			break // the server does not page (max_id ignored): no further back
		}
		maxID = list[len(list)-1].ID
	}
	return publishers.Result{}, false, &publishers.Error{Class: publishers.Transient, Message: fmt.Sprintf(
		"cannot tell whether the status was published: the account's %d latest statuses do not reach back to the post's time", len(read))}
}

// foundThread is what Find reports once it found the post's first status:
// found when the thread is whole, each part replying to the one before
// (the replies are newer, so among the statuses read). A thread cut short
// (a crash or a failure between parts) is not found: its live parts are
// reported through post.Confirm, so that the calendar records them and the
// next Publish resumes after them instead of posting the first again.
func (p *Publisher) foundThread(post publishers.Post, thread []string, head posted, read []posted) (publishers.Result, bool, error) {
	chain := []status{head.status}
	for len(chain) < len(thread) {
		prev, want := chain[len(chain)-1].ID, comparable(thread[len(chain)])
		next := -1
		for i, st := range read {
			if st.InReplyToID != nil && *st.InReplyToID == prev && comparable(contentText(st.Content)) == want {
				next = i
			}
		}
		if next < 0 {
			break
		}
		chain = append(chain, read[next].status)
	}
	if len(chain) >= len(thread) {
		return p.result(head.status), true, nil
	}
	known := map[int]string{}
	for _, r := range post.Live {
		known[r.Index] = r.RemoteID
	}
	for i, st := range chain {
		if known[i] == st.ID {
			continue
		}
		if err := post.Confirm(publishers.PartResult{Index: i, Result: p.result(st)}); err != nil {
			return publishers.Result{}, false, prefix(err, fmt.Sprintf("recording thread part %d/%d", i+1, len(thread)))
		}
	}
	return publishers.Result{}, false, nil
}

// accountID asks the instance once whose token this is.
func (p *Publisher) accountID(ctx context.Context) (string, error) {
	p.mu.Lock()
	id := p.account
	p.mu.Unlock()
	if id != "" {
		return id, nil
	}
	var acct struct {
		ID string `json:"id"`
	}
	if _, err := p.do(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, "", nil, &acct); err != nil {
		return "", err
	}
	if acct.ID == "" {
		return "", &publishers.Error{Class: publishers.Transient, Message: "the instance answered verify_credentials without an account id"}
	}
	p.mu.Lock()
	p.account = acct.ID
	p.mu.Unlock()
	return acct.ID, nil
}

func sameAlts(st posted, alts []string) bool {
	if len(st.Media) != len(alts) {
		return false
	}
	for i, m := range st.Media {
		got := ""
		if m.Description != nil {
			got = *m.Description
		}
		if strings.TrimSpace(got) != strings.TrimSpace(alts[i]) {
			return false
		}
	}
	return true
}

// threadHead reports whether a status's text is the first part of a thread
// crieur cut ("… 1/3"), and returns that part without its counter, made
// comparable.
func threadHead(text string) (string, bool) {
	m := counter().FindStringIndex(strings.TrimSpace(text))
	if m == nil {
		return "", false
	}
	return comparable(strings.TrimSpace(text)[:m[0]]), true
}

var (
	counter = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s1/\d+$`) })
	breaks  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)<br\s*/?>|</p>\s*<p[^>]*>`) })
	tags    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`<[^>]*>`) })
)

// contentText turns a status's HTML content back into its text: links show
// their full text (Mastodon hides parts of it in spans), mentions their
// local part.
func contentText(content string) string {
	return html.UnescapeString(tags().ReplaceAllString(breaks().ReplaceAllString(content, "\n"), ""))
}

// comparable reduces a status text to what survives any server's rendering
// (links shortened or marked up, Markdown rendered, mentions linked): its
// letters and digits, without URL schemes, remote mentions as their local
// part.
func comparable(s string) string {
	s = mention().ReplaceAllString(s, "@$1")
	s = strings.NewReplacer("https://", "", "http://", "").Replace(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
