package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Four eyes: a channel that wants its posts approved by someone other than
// their author refuses the author's approval (a conflict, nothing changed),
// and one with a list of approvers refuses anyone else's. Both are kept
// with the channel.
func testFourEyes(t *testing.T, h Harness) {
	e := newEnv(t, h)
	c := e.channel("four", func(c *calendar.Channel) { c.RequireApproval, c.ApproverNotAuthor = true, true })
	if got, err := e.s.Channel(e.ctx, "four"); err != nil || !got.ApproverNotAuthor || len(got.Approvers) != 0 {
		t.Fatalf("channel four read back: %+v, %v", got, err)
	}
	own := e.post("own", calendar.StatusScheduled, at(T0.Add(time.Hour)), "four")
	_, err := e.s.ApprovePost(e.ctx, "own", "")
	wantErr(t, "the author approving their own post", err, calendar.ErrConflict)
	if p := e.get("own"); p.Status != calendar.StatusReview || p.ApprovedAt != nil || p.Version != own.Version {
		t.Errorf("own after a refused approval: %s, approved %v, version %d (was %d)", p.Status, p.ApprovedAt, p.Version, own.Version)
	}
	theirs := calendar.Post{Slug: "theirs", Body: "x", Author: "someone-else", PublishAt: at(T0.Add(time.Hour)), Channels: []string{"four"}}
	wantErr(t, "CreatePost theirs", e.s.CreatePost(e.ctx, &theirs), nil)
	p, err := e.s.ApprovePost(e.ctx, "theirs", "")
	wantErr(t, "approving another's post", err, nil)
	if p.Status != calendar.StatusScheduled || p.ApprovedBy != Actor || p.Author != "someone-else" {
		t.Errorf("theirs approved: %s by %q, author %q", p.Status, p.ApprovedBy, p.Author)
	}

	c.ApproverNotAuthor, c.Approvers = false, []string{"alice", "bob"}
	wantErr(t, "UpdateChannel approvers", e.s.UpdateChannel(e.ctx, &c), nil)
	if got, _ := e.s.Channel(e.ctx, "four"); !slices.Equal(got.Approvers, []string{"alice", "bob"}) || got.ApproverNotAuthor {
		t.Fatalf("approvers read back: %+v", got)
	}
	_, err = e.s.ApprovePost(e.ctx, "own", "")
	wantErr(t, "approval by someone not in the list", err, calendar.ErrConflict)
	c.Approvers = []string{"Storetest"}
	wantErr(t, "UpdateChannel approvers", e.s.UpdateChannel(e.ctx, &c), nil)
	_, err = e.s.ApprovePost(e.ctx, "own", "")
	wantErr(t, "approval by a listed approver (any case)", err, nil)
}
