package calendar

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// LoadNote is a note as a load file gives it.
type LoadNote struct {
	At, Author, Text string
}

// ChannelTimes is the time of each channel of a queued post whose delivery
// is not due at the post's time; nil when there is none.
func ChannelTimes(p *Post) map[string]int64 {
	if !p.Queued || p.PublishAt == nil {
		return nil
	}
	var out map[string]int64
	for _, d := range p.Deliveries {
		if d.DueAt == nil || d.DueAt.Equal(*p.PublishAt) {
			continue
		}
		if out == nil {
			out = map[string]int64{}
		}
		out[d.Channel] = d.DueAt.UnixMilli()
	}
	return out
}

// timesAsDeliveries is how a load's channel times read as a post's deliveries.
func timesAsDeliveries(times map[string]time.Time) []Delivery {
	if len(times) == 0 {
		return nil
	}
	out := make([]Delivery, 0, len(times))
	for ch, t := range times {
		t := t
		out = append(out, Delivery{Channel: ch, DueAt: &t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Channel < out[j].Channel })
	return out
}

// buildExtras reads an item's channel times, approval and notes.
func (pl *Plan) buildExtras(pp *PlannedPost, it *LoadItem, opt LoadOptions, zone *time.Location, now time.Time, bad func(field, format string, args ...any)) {
	p := &pp.Post
	if opt.ForceZone || zone == nil {
		zone = opt.Zone
	}
	for name, at := range it.Times {
		name, at = strings.TrimSpace(name), strings.TrimSpace(at)
		if at == "" {
			continue
		}
		field := "times." + name
		if !slices.Contains(p.Channels, name) {
			bad(field, "a time for %q, which is not one of the post's channels", name)
			continue
		}
		if strings.TrimSpace(it.At) == "" {
			bad(field, "channel times need the post's own time (at) too")
			continue
		}
		t, err := ParseWhen(at, now, zone)
		if err != nil {
			bad(field, "%v", err)
			continue
		}
		t = time.UnixMilli(t.UnixMilli()).UTC()
		if p.PublishAt != nil && t.Equal(*p.PublishAt) {
			continue // the post's time: nothing of its own
		}
		if p.Times == nil {
			p.Times = map[string]time.Time{}
		}
		p.Times[name] = t
	}
	by, at := strings.TrimSpace(it.ApprovedBy), strings.TrimSpace(it.ApprovedAt)
	switch {
	case by == "" && at == "":
	case by == "" || at == "":
		bad("approved_by", "an approval needs both approved_by and approved_at")
	default:
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			bad("approved_at", "%q is not an RFC 3339 instant (2026-12-01T09:00:00Z)", at)
			break
		}
		if !opt.KeepApprovals {
			pp.dropped = true
			break
		}
		t = time.UnixMilli(t.UnixMilli()).UTC()
		// A channel's list of approvers holds for a kept approval too;
		// four eyes, once the plan knows which posts the load creates
		// (FourEyesProblem).
		chans := make([]Channel, 0, len(pp.Chans))
		for _, c := range pp.Chans {
			chans = append(chans, *c)
		}
		if err := CheckApprover(Post{Slug: p.Slug}, by, chans); err != nil {
			bad("approved_by", "%s", strings.TrimSuffix(err.Error(), ": "+ErrConflict.Error()))
			break
		}
		p.ApprovedBy, p.ApprovedAt = by, &t
	}
	if pp.dropped && p.Status == StatusApproved {
		p.Status = StatusReview
	}
	for i, n := range it.Notes {
		field := fmt.Sprintf("notes[%d]", i)
		text := cleanText(n.Text)
		if text == "" {
			bad(field, "the note is empty")
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(n.At))
		if err != nil {
			bad(field, "%q is not an RFC 3339 instant (2026-12-01T09:00:00Z)", n.At)
			continue
		}
		p.Notes = append(p.Notes, Note{At: time.UnixMilli(t.UnixMilli()).UTC(), Author: strings.TrimSpace(n.Author), Text: text})
	}
}

// FourEyesProblem refuses the approval a load keeps for a post it creates
// when a channel of the post wants four eyes and the approver is who loads
// it (author, LoadOptions.Author): a file does not say who wrote the post,
// so its author is who loads it. A post the load does not create keeps no
// approval from it, so is not refused. Nil when nothing is refused.
func (pp *PlannedPost) FourEyesProblem(author string) *FieldError {
	by := pp.Post.ApprovedBy
	author = strings.TrimSpace(author)
	if pp.Action != ActionCreate || pp.Post.ApprovedAt == nil || author == "" || !sameName(by, author) {
		return nil
	}
	chans := make([]Channel, 0, len(pp.Chans))
	for _, c := range pp.Chans {
		chans = append(chans, *c)
	}
	i := slices.IndexFunc(chans, func(c Channel) bool { return c.ApproverNotAuthor })
	if i < 0 {
		return nil
	}
	fe := pp.Src.Problem("approved_by", "%s approved post %s and is loading it, so would be its author too; channel %s requires that another person approve it (four eyes): %s; load it without --keep-approvals (it goes to review) and have them approve it",
		by, pp.Post.Slug, chans[i].Name, whoMayApprove(Post{Slug: pp.Post.Slug, Author: author}, chans))
	return &fe
}

// ApprovalWarnings says once which new posts lose the approval they carry.
func (pl *Plan) ApprovalWarnings(opt LoadOptions) {
	var first *PlannedPost
	n := 0
	for _, pp := range pl.Posts {
		if pp.dropped && pp.Action == ActionCreate {
			if first == nil {
				first = pp
			}
			n++
		}
	}
	switch {
	case n == 1:
		pl.Warnings = append(pl.Warnings, first.Src.Problem("approved_by", "post %q was approved where it was exported; here it goes to review (pass --keep-approvals to keep the approval)", first.Post.Slug))
	case n > 1:
		pl.Warnings = append(pl.Warnings, first.Src.Problem("approved_by", "%d posts were approved where they were exported; here they go to review (pass --keep-approvals to keep their approvals)", n))
	}
}

// HasExtras says whether a new post needs more than createMany writes.
func (lp *LoadPost) HasExtras() bool {
	return len(lp.Times) > 0 || lp.ApprovedAt != nil || len(lp.Notes) > 0
}
