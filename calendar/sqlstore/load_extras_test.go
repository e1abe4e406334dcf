package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// Channel times, approvals and notes a load gives: created as given (the
// approval only with KeepApprovals), channel times updated on an existing
// post, and an existing post never approved by a load.
func TestLoadChannelTimesApprovalsNotes(t *testing.T) {
	ctx := context.Background()
	doc := func(logAt string) string {
		return `posts:
  - slug: q
    at: 2026-12-02T09:00:00Z
    channels: [acme-log, acme-review]
    body: Queued
    times: {acme-log: "` + logAt + `"}
    approved_by: rita
    approved_at: 2026-11-20T08:00:00Z
    notes:
      - {at: 2026-11-19T07:00:00Z, author: sam, text: Check the link}
`
	}
	due := func(p calendar.Post) map[string]string {
		out := map[string]string{}
		for _, d := range p.Deliveries {
			out[d.Channel] = d.DueAt.UTC().Format(time.RFC3339)
		}
		return out
	}
	for _, keep := range []bool{false, true} {
		s := loadStore(t)
		res := mustLoad(t, s, formats.ReadYAML([]byte(doc("2026-12-03T15:00:00Z")), "q.yaml"), calendar.LoadOptions{KeepApprovals: keep})
		p, err := s.Post(ctx, "q")
		if err != nil {
			t.Fatal(err)
		}
		if got := due(p); got["acme-log"] != "2026-12-03T15:00:00Z" || got["acme-review"] != "2026-12-02T09:00:00Z" || !p.Queued {
			t.Errorf("keep=%v: deliveries due %v, queued %v", keep, got, p.Queued)
		}
		if len(p.Notes) != 1 || p.Notes[0].Author != "sam" || p.Notes[0].Text != "Check the link" || !p.Notes[0].At.Equal(time.Date(2026, 11, 19, 7, 0, 0, 0, time.UTC)) {
			t.Errorf("keep=%v: notes %+v", keep, p.Notes)
		}
		if keep {
			if p.ApprovedBy != "rita" || p.Status != calendar.StatusScheduled || len(res.Warnings) != 0 {
				t.Errorf("kept: approved by %q, status %s, warnings %v", p.ApprovedBy, p.Status, res.Warnings)
			}
			for _, d := range p.Deliveries {
				if d.RunAt == nil {
					t.Errorf("kept: delivery on %s is not runnable", d.Channel)
				}
			}
		} else {
			if p.ApprovedAt != nil || p.Status != calendar.StatusReview {
				t.Errorf("not kept: approved by %q, status %s", p.ApprovedBy, p.Status)
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "--keep-approvals") {
				t.Errorf("not kept: warnings %v", res.Warnings)
			}
		}
		// The same file again: nothing changes.
		if res := mustLoad(t, s, formats.ReadYAML([]byte(doc("2026-12-03T15:00:00Z")), "q.yaml"), calendar.LoadOptions{KeepApprovals: keep}); res.Unchanged != 1 {
			t.Errorf("keep=%v: reloaded: %s", keep, counts(res))
		}
		// A new channel time updates the post; the approval stays as it was.
		res = mustLoad(t, s, formats.ReadYAML([]byte(doc("2026-12-04T15:00:00Z")), "q.yaml"), calendar.LoadOptions{KeepApprovals: true})
		p, _ = s.Post(ctx, "q")
		if res.Updated != 1 || due(p)["acme-log"] != "2026-12-04T15:00:00Z" || due(p)["acme-review"] != "2026-12-02T09:00:00Z" {
			t.Errorf("keep=%v: re-timed: %s, due %v", keep, counts(res), due(p))
		}
		if (p.ApprovedAt != nil) != keep || len(p.Notes) != 1 {
			t.Errorf("keep=%v: after the update approved %v, notes %d", keep, p.ApprovedAt, len(p.Notes))
		}
	}
}

// Four eyes holds a kept approval to the one who loads (the author of what
// the load creates): an approval in their name, in any case, is refused at
// its line and nothing is written; another person's is kept.
func TestLoadKeptApprovalFourEyes(t *testing.T) {
	ctx := context.Background()
	doc := func(by string) *calendar.LoadSet {
		return formats.ReadYAML([]byte(`posts:
  - slug: q
    at: 2026-12-02T09:00:00Z
    channels: [acme-log, four]
    body: Queued
    approved_by: `+by+`
    approved_at: 2026-11-20T08:00:00Z
`), "q.yaml")
	}
	for _, c := range []struct {
		actor, author, by string
		refused           bool
	}{
		{"sam", "", "sam", true},
		{"sam", "", "Sam ", true},
		{"sam", "", "rita", false},
		{"someone", "rita", "rita", true}, // LoadOptions.Author over the store's actor
	} {
		s := loadStore(t)
		ch := calendar.Channel{Name: "four", Network: "log", RequireApproval: true, ApproverNotAuthor: true, MaxLateness: time.Hour}
		if err := s.AddChannel(ctx, &ch); err != nil {
			t.Fatal(err)
		}
		s.Actor = c.actor
		res, err := s.Load(ctx, doc(c.by), calendar.LoadOptions{KeepApprovals: true, Author: c.author})
		_, getErr := s.Post(ctx, "q")
		if !c.refused {
			if err != nil || getErr != nil {
				t.Errorf("%s loading an approval by %q: %v, %v; want it kept", c.actor, c.by, err, getErr)
			}
			// The approver loading the same file again creates nothing,
			// so keeps no approval: not refused.
			s.Actor = c.by
			if res, err := s.Load(ctx, doc(c.by), calendar.LoadOptions{KeepApprovals: true}); err != nil || res.Unchanged != 1 {
				t.Errorf("%s reloading: %v, %s; want unchanged", c.by, err, counts(res))
			}
			continue
		}
		if err == nil || getErr == nil || len(res.Errors) != 1 || res.Errors[0].Line != 6 || res.Errors[0].Field != "approved_by" ||
			!strings.Contains(res.Errors[0].Message, "channel four requires that another person approve it (four eyes)") {
			t.Errorf("%s (author %q) loading an approval by %q: %v, errors %+v, post written: %v; want refused at q.yaml:6", c.actor, c.author, c.by, err, res.Errors, getErr == nil)
		}
	}
}
