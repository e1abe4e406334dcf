package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

func createPostAt(t *testing.T, s *Store, slug string, at *time.Time, channels ...string) calendar.Post {
	t.Helper()
	p := &calendar.Post{Slug: slug, Body: "Text of " + slug, Channels: channels, PublishAt: at}
	if at != nil {
		p.Status = calendar.StatusScheduled
	}
	if err := s.CreatePost(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return *p
}

func eventsByKind(t *testing.T, s *Store, postID int64) map[string]calendar.Event {
	t.Helper()
	evs, err := s.PostHistory(context.Background(), postID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]calendar.Event{}
	for _, e := range evs {
		out[e.Kind] = e
	}
	return out
}

// The gate: on a channel that requires approval, a timed post's delivery is
// not runnable until someone approves it, and runnable right after.
func TestApproveMakesRunnableAndEditRevokes(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "gated", "", true)
	at := t0.Add(24 * time.Hour)
	p := createPostAt(t, s, "launch", &at, "gated")
	if p.Status != calendar.StatusReview {
		t.Fatalf("status %s, want review", p.Status)
	}
	if ra := runAt(t, s, p.ID); len(ra) != 1 || ra[0] != nil {
		t.Fatalf("unapproved delivery is runnable: %v", ra)
	}
	s.Actor = "rita"
	got, err := s.ApprovePost(ctx, "launch", "looks good")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != calendar.StatusScheduled || got.ApprovedBy != "rita" || got.ApprovedAt == nil || !got.ApprovedAt.Equal(t0) {
		t.Fatalf("after approval: status %s by %q at %v", got.Status, got.ApprovedBy, got.ApprovedAt)
	}
	if ra := runAt(t, s, p.ID); len(ra) != 1 || ra[0] == nil || *ra[0] != at.UnixMilli() {
		t.Fatalf("approved delivery run_at %v, want %d", ra, at.UnixMilli())
	}
	if len(got.Notes) != 1 || got.Notes[0].Text != "looks good" || got.Notes[0].Author != "rita" {
		t.Fatalf("notes %+v", got.Notes)
	}
	ev, ok := eventsByKind(t, s, p.ID)["post.approved"]
	if !ok || ev.Actor != "rita" || !ev.At.Equal(t0) {
		t.Fatalf("approval event %+v (found %v)", ev, ok)
	}

	// Editing what it says sends it back to review and stops it again.
	got.Body = "Changed text"
	if err := s.UpdatePost(ctx, &got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.Post(ctx, "launch")
	if again.Status != calendar.StatusReview || again.ApprovedAt != nil || again.ApprovedBy != "" {
		t.Fatalf("after edit: status %s approved %v by %q", again.Status, again.ApprovedAt, again.ApprovedBy)
	}
	if ra := runAt(t, s, p.ID); ra[0] != nil {
		t.Fatalf("edited post still runnable: %v", *ra[0])
	}
}

func TestSubmitApproveRejectFlow(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "gated", "", true)
	createPostAt(t, s, "draft-one", nil, "gated")

	tests := []struct {
		name     string
		do       func() (calendar.Post, error)
		want     string
		wantErr  error
		approved bool
	}{
		{"a draft cannot be rejected", func() (calendar.Post, error) { return s.RejectPost(ctx, "draft-one", "why") }, "", calendar.ErrConflict, false},
		{"submit a draft", func() (calendar.Post, error) { return s.SubmitPost(ctx, "draft-one") }, calendar.StatusReview, nil, false},
		{"submit twice", func() (calendar.Post, error) { return s.SubmitPost(ctx, "draft-one") }, "", calendar.ErrConflict, false},
		{"approve without a time", func() (calendar.Post, error) { return s.ApprovePost(ctx, "draft-one", "") }, calendar.StatusApproved, nil, true},
		{"approve twice", func() (calendar.Post, error) { return s.ApprovePost(ctx, "draft-one", "") }, "", calendar.ErrConflict, true},
		{"reject back to draft", func() (calendar.Post, error) { return s.RejectPost(ctx, "draft-one", "tone is off") }, calendar.StatusDraft, nil, false},
		{"unknown post", func() (calendar.Post, error) { return s.SubmitPost(ctx, "nosuch") }, "", calendar.ErrNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.do()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Status != tt.want || (p.ApprovedAt != nil) != tt.approved {
				t.Fatalf("status %s approved %v, want %s %v", p.Status, p.ApprovedAt, tt.want, tt.approved)
			}
		})
	}
	p, _ := s.Post(ctx, "draft-one")
	if len(p.Notes) != 1 || p.Notes[0].Text != "tone is off" {
		t.Fatalf("rejection note not kept: %+v", p.Notes)
	}
	kinds := eventsByKind(t, s, p.ID)
	for _, k := range []string{"post.submitted", "post.approved", "post.rejected", "post.noted"} {
		if e, ok := kinds[k]; !ok || e.Actor != "tester" {
			t.Errorf("event %s missing or without actor: %+v", k, e)
		}
	}
	var ve *calendar.ValidationError
	if _, err := s.RejectPost(ctx, "draft-one", "  "); !errors.As(err, &ve) {
		t.Fatalf("reject without a note: %v", err)
	}
}

func TestAddNote(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "open", "", false)
	createPostAt(t, s, "p", nil, "open")
	n, err := s.AddNote(ctx, "p", "  check the link  ")
	if err != nil {
		t.Fatal(err)
	}
	if n.ID == 0 || n.Text != "check the link" || n.Author != "tester" {
		t.Fatalf("note %+v", n)
	}
	p, _ := s.Post(ctx, "p")
	if len(p.Notes) != 1 || p.Notes[0].Text != "check the link" {
		t.Fatalf("post notes %+v", p.Notes)
	}
	var ve *calendar.ValidationError
	if _, err := s.AddNote(ctx, "p", " "); !errors.As(err, &ve) {
		t.Fatalf("empty note: %v", err)
	}
	if _, err := s.AddNote(ctx, "nope", "x"); !errors.Is(err, calendar.ErrNotFound) {
		t.Fatalf("unknown post: %v", err)
	}
}
