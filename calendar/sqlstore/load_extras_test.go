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
