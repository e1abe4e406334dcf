package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The post's life cycle, in one place: what a post may become from what it
// is, and what every write of a post checks. A store calls these inside its
// transaction, on the post as it reads it there, so two writers can never
// both pass a check that only one of them should.

// NormalizePost puts a post's fields in the form every write keeps them in,
// whichever path it comes by (post new, post edit, $EDITOR, a load): text
// with Unix line ends and no surrounding space, names (slug, link, campaign,
// tags, channels, variants' channels, media) trimmed, tags and channels each
// once, empty thread parts and variants dropped. A load's build keeps its
// fields with the same functions.
func NormalizePost(p *Post) {
	p.Slug, p.Link, p.Campaign = strings.TrimSpace(p.Slug), strings.TrimSpace(p.Link), strings.TrimSpace(p.Campaign)
	p.Title, p.Body, p.Excerpt = cleanText(p.Title), cleanText(p.Body), cleanText(p.Excerpt)
	p.Tags, p.Channels = uniqueTrimmed(p.Tags), uniqueTrimmed(p.Channels)
	p.Thread, p.Variants = cleanThread(p.Thread), cleanVariants(p.Variants)
	if len(p.Media) > 0 {
		p.Media = append([]Media(nil), p.Media...) // the caller's list stays as it was
	}
	for i := range p.Media {
		p.Media[i].Path, p.Media[i].Alt = strings.TrimSpace(p.Media[i].Path), strings.TrimSpace(p.Media[i].Alt)
	}
}

// NetworkChecked says whether a post in status is checked against its
// channels' networks (text length, media, threads) when a person or a load
// writes it: when it is meant to go out. A draft or a canceled post may hold
// what no network takes yet; it is checked once submitted or scheduled.
func NetworkChecked(status string) bool {
	switch status {
	case StatusDraft, StatusCanceled:
		return false
	}
	return true
}

// PostZone is the zone a post's time is read in, and written in for a
// person to edit, by post new, post edit, $EDITOR and a load alike: that of
// the first of its channels (in the order given) with a zone of its own,
// else def (the calendar's). zoneOf gives a channel's own zone, nil when it
// has none. A --tz given by the person comes before it all.
func PostZone(channels []string, zoneOf func(name string) *time.Location, def *time.Location) *time.Location {
	for _, n := range channels {
		if loc := zoneOf(n); loc != nil {
			return loc
		}
	}
	return def
}

// CheckPost is what every write of a post checks of its values, whichever
// path it comes by (post new, post edit, $EDITOR, a load).
func CheckPost(p *Post) error {
	if err := CheckInstant("at", p.PublishAt); err != nil {
		return err
	}
	if p.Link != "" && !WebURL(p.Link) {
		return Invalid("link", "%s", LinkProblem(p.Link))
	}
	for i, m := range p.Media {
		if strings.TrimSpace(m.Path) == "" {
			return Invalid(fmt.Sprintf("media[%d]", i), "no path")
		}
	}
	if msg := ContentProblem(p); msg != "" {
		return Invalid("body", "%s", msg)
	}
	return nil
}

// ContentProblem says why a post has nothing to publish: it needs a text
// (title or body) or at least one medium (a photo post). Empty when it has.
func ContentProblem(p *Post) string {
	if strings.TrimSpace(p.Body) == "" && strings.TrimSpace(p.Title) == "" && len(p.Media) == 0 {
		return "the post has no text"
	}
	return ""
}

// LinkProblem says why a post's link is refused: it is UTM-tagged and sent
// to networks as a web address, so it must be one.
func LinkProblem(link string) string {
	return fmt.Sprintf("%q is not an http(s) address (a post's link is sent to the networks as a web page's address)", link)
}

// NeedsChannel refuses a timed post on the calendar with no channel: nothing
// would publish it.
func NeedsChannel(p *Post, channels int) error {
	if channels > 0 || p.PublishAt == nil {
		return nil
	}
	switch p.Status {
	case StatusScheduled, StatusReview, StatusApproved:
		return Invalid("channels", "post %s has a publish time but no channel, so nothing would publish it: add one (--channel NAME), or keep it a draft (--draft)", FirstNonEmpty(p.Slug, "(new)"))
	}
	return nil
}

// Editable refuses changes to a post that is already out.
func Editable(p Post) error {
	if p.Status == StatusPublished {
		return fmt.Errorf("post %s is already published: %w", p.Slug, ErrConflict)
	}
	return nil
}

// Revives says whether a post going from status from to status to is put
// back in the workflow after it stopped (canceled, failed, partly failed).
func Revives(from, to string) bool {
	switch from {
	case StatusCanceled, StatusFailed, StatusPartial:
		switch to {
		case StatusDraft, StatusReview, StatusApproved, StatusScheduled:
			return true
		}
	}
	return false
}

// InitialStatus is the status a new post takes when none is given: a post
// with a time is meant to go out (scheduled), one without is a draft. Every
// way of creating a post (post new, $EDITOR, a load) applies it.
func InitialStatus(status string, publishAt *time.Time) string {
	switch {
	case status != "":
		return status
	case publishAt != nil:
		return StatusScheduled
	}
	return StatusDraft
}

// SettleStatus is the status a post on the calendar ends in once its
// channels are known: a timed post is scheduled, unless a channel requires
// approval it does not have, when it waits in review; an approved post
// without a time stays approved, a scheduled one without a time is a draft.
// Drafts and ended posts keep their status.
func SettleStatus(status string, publishAt *time.Time, approved, needsApproval bool) string {
	switch status {
	case StatusScheduled, StatusApproved, StatusReview:
		switch {
		case needsApproval && !approved:
			if status != StatusReview && publishAt != nil {
				return StatusReview
			} else if status == StatusApproved || status == StatusScheduled {
				return StatusReview
			}
		case publishAt != nil:
			return StatusScheduled
		case approved:
			return StatusApproved
		case status == StatusScheduled:
			// Its time taken away (post edit, $EDITOR): nothing would
			// publish it, so it is a draft again, as a load makes it.
			return StatusDraft
		}
	}
	return status
}

// Submit sends a draft to review.
func Submit(p *Post) error {
	if p.Status != StatusDraft {
		return fmt.Errorf("post %s is %s: only drafts are submitted for review: %w", p.Slug, StatusWords(p.Status), ErrConflict)
	}
	if len(p.Channels) == 0 {
		return Invalid("channels", "post %s has no channel: add one before submitting it", p.Slug)
	}
	p.Status = StatusReview
	return nil
}

// Approve records who approved the post and when. A post with a time then
// becomes scheduled (SettleStatus), one without becomes approved; a partial or
// failed one edited since its approval keeps its status (then `post retry`).
func Approve(p *Post, by string, at time.Time) error {
	switch p.Status {
	case StatusDraft, StatusReview:
	case StatusApproved, StatusScheduled, StatusPartial, StatusFailed:
		if p.ApprovedAt != nil {
			return fmt.Errorf("post %s is already approved (by %s): %w", p.Slug, p.ApprovedBy, ErrConflict)
		}
	default:
		return fmt.Errorf("post %s is %s: there is nothing to approve: %w", p.Slug, StatusWords(p.Status), ErrConflict)
	}
	if p.Status == StatusPartial || p.Status == StatusFailed {
		// Edited after some deliveries ran: the new text needs approval
		// before `post retry` may send it. The post keeps its status,
		// which its deliveries decide.
		p.ApprovedAt, p.ApprovedBy = &at, by
		return nil
	}
	if len(p.Channels) == 0 {
		return Invalid("channels", "post %s has no channel: add one before approving it", p.Slug)
	}
	p.ApprovedAt, p.ApprovedBy = &at, by
	p.Status = StatusApproved
	return nil
}

// CheckApprover refuses an approval by `by` that one of the post's
// channels does not allow: four eyes (the author may not approve their own
// post) and the channel's list of approvers. Names are compared in any case.
// The refusal names who may approve the post.
func CheckApprover(p Post, by string, chans []Channel) error {
	for _, c := range chans {
		if c.ApproverNotAuthor && p.Author != "" && sameName(by, p.Author) {
			return fmt.Errorf("%s wrote post %s; channel %s requires that another person approve it (four eyes): %s: %w",
				by, p.Slug, c.Name, whoMayApprove(p, chans), ErrConflict)
		}
		if len(c.Approvers) > 0 && !slices.ContainsFunc(c.Approvers, func(a string) bool { return sameName(a, by) }) {
			msg := fmt.Sprintf("%s may not approve post %s: on channel %s only %s may approve posts", by, p.Slug, c.Name, orList(c.Approvers))
			// Its other channels or four eyes may narrow the list.
			if who := whoMayApprove(p, chans); who != orList(c.Approvers)+" may approve it" {
				msg += "; for this post, " + who
			}
			return fmt.Errorf("%s: %w", msg, ErrConflict)
		}
	}
	return nil
}

func sameName(a, b string) bool { return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b)) }

// whoMayApprove says who may approve p on all its channels at once: the
// people on every channel's list of approvers, less its author where a
// channel wants four eyes.
func whoMayApprove(p Post, chans []Channel) string {
	fourEyes, listed := false, ""
	var names []string
	for _, c := range chans {
		fourEyes = fourEyes || c.ApproverNotAuthor
		if len(c.Approvers) == 0 {
			continue
		}
		if listed == "" {
			names, listed = slices.Clone(c.Approvers), c.Name
			continue
		}
		names = slices.DeleteFunc(names, func(n string) bool {
			return !slices.ContainsFunc(c.Approvers, func(a string) bool { return sameName(a, n) })
		})
	}
	author := strings.TrimSpace(p.Author)
	if fourEyes && author != "" {
		names = slices.DeleteFunc(names, func(n string) bool { return sameName(n, author) })
	}
	switch {
	case listed == "" && fourEyes && author != "":
		return "anyone but " + author + " may approve it"
	case listed == "":
		return "anyone may approve it"
	case len(names) == 0:
		return "no one may approve it as its channels' approvers stand: add one with `crieur channel edit " + listed + " --approvers …`"
	}
	return orList(names) + " may approve it"
}

// orList writes names as people do: "a", "a or b", "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Reject sends a post back to draft, clearing any approval.
func Reject(p *Post) error {
	switch p.Status {
	case StatusReview, StatusApproved, StatusScheduled:
	default:
		return fmt.Errorf("post %s is %s: only a post in review, approved or scheduled can be rejected: %w", p.Slug, StatusWords(p.Status), ErrConflict)
	}
	if p.Status == StatusScheduled && p.ApprovedAt == nil {
		return fmt.Errorf("post %s was scheduled without review; use `crieur post cancel` or edit it: %w", p.Slug, ErrConflict)
	}
	p.Status, p.ApprovedAt, p.ApprovedBy = StatusDraft, nil, ""
	return nil
}

// Cancel takes a post off the calendar.
func Cancel(p *Post) error {
	if p.Status == StatusPublished || p.Status == StatusCanceled {
		return fmt.Errorf("post %s is %s: nothing to cancel: %w", p.Slug, StatusWords(p.Status), ErrConflict)
	}
	p.Status = StatusCanceled
	return nil
}

// CanPublishNow says whether `post publish --now` may re-time a post to now:
// not one whose deliveries ended in failure (that is `post retry`), and not
// one a gated channel has not approved (gated names such a channel, or is
// empty). Checked before the post is re-timed, so a refused post keeps its
// time.
func CanPublishNow(p Post, gated string) error {
	if p.Status == StatusFailed || p.Status == StatusPartial {
		return fmt.Errorf("post %s is %s: put its failed deliveries back with `crieur post retry %s`: %w",
			p.Slug, StatusWords(p.Status), p.Slug, ErrConflict)
	}
	if p.ApprovedAt == nil && gated != "" {
		return fmt.Errorf("post %s is %s: channel %s requires approval first (`crieur post approve %s`): %w",
			p.Slug, StatusWords(p.Status), gated, p.Slug, ErrConflict)
	}
	return nil
}

// CanRetry says whether a post's stopped delivery d may be put back in the
// queue, due now. A retry is runnable at once, so it must pass the gates
// every runnable delivery passes: the post on the calendar, and approved
// where d's channel is gated. A failed delivery the network already shows in
// part (a thread cut short keeps its live first part's id) without its parts
// recorded one by one may post that part again: only with force.
func CanRetry(p Post, d Delivery, gated, force bool) error {
	switch p.Status {
	case StatusScheduled, StatusPartial, StatusFailed:
	case StatusCanceled:
		return fmt.Errorf("post %s is canceled; schedule it again first (`crieur post schedule %s --at …`): %w", p.Slug, p.Slug, ErrConflict)
	default:
		return fmt.Errorf("post %s is %s, not on the calendar; schedule it (`crieur post schedule %s --at …`): %w", p.Slug, StatusWords(p.Status), p.Slug, ErrConflict)
	}
	if p.ApprovedAt == nil && gated {
		return fmt.Errorf("post %s changed since it was approved and channel %s requires approval: `crieur post approve %s` first: %w",
			p.Slug, d.Channel, p.Slug, ErrConflict)
	}
	if !force && d.Status == DeliveryFailed && d.RemoteID != "" && len(d.Parts) == 0 {
		return fmt.Errorf("the delivery on %s is partly live (%s): retrying may post its first part again; check the network, then use --force: %w",
			d.Channel, FirstNonEmpty(d.RemoteURL, d.RemoteID), ErrConflict)
	}
	return nil
}

// StatusWord reads a status as a person writes it (any case, spaces around).
func StatusWord(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// StatusProblem says why a post may not be written with status, or "": a
// word that is no status, or scheduled without a time (timed says it has
// one). Every write of a post from a person's words (post new, --file,
// $EDITOR, a load) asks it.
func StatusProblem(status string, timed bool) string {
	if !slices.Contains(PostStatuses, status) {
		return fmt.Sprintf("unknown status %q (use draft, scheduled or canceled)", status)
	}
	if status == StatusScheduled && !timed {
		return "a scheduled post needs a time (at)"
	}
	return ""
}

// NewStatusProblem says why a new post may not start in status, or "": only
// the daemon publishes (published, partial, failed), and an approved post
// carries its approval (approved says it does).
func NewStatusProblem(status string, approved bool) string {
	switch status {
	case StatusApproved:
		if !approved {
			return "a new post cannot be approved without its approval (approved_by, approved_at)"
		}
	case StatusPublished, StatusPartial, StatusFailed:
		return fmt.Sprintf("a new post cannot be %s (use draft, scheduled or canceled)", status)
	}
	return ""
}

// CheckNewStatus is what creating a post checks of the status it asks for
// (once InitialStatus gave it one): StatusProblem and NewStatusProblem.
func CheckNewStatus(p *Post) error {
	if msg := StatusProblem(p.Status, p.PublishAt != nil); msg != "" {
		return Invalid("status", "%s", msg)
	}
	if msg := NewStatusProblem(p.Status, p.ApprovedAt != nil); msg != "" {
		return Invalid("status", "%s", msg)
	}
	return nil
}
