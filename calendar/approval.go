package calendar

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// SubmitPost sends a draft to review: a reviewer finds it with
// `post list --status review`. On channels that do not require approval a
// timed post goes on to scheduled, as settleStatusTx decides.
func (s *Store) SubmitPost(ctx context.Context, ref string) (Post, error) {
	return s.reviewDecision(ctx, ref, "post.submitted", "", func(p *Post) error {
		if p.Status != StatusDraft {
			return fmt.Errorf("post %s is %s: only drafts are submitted for review: %w", p.Slug, StatusWords(p.Status), ErrConflict)
		}
		if len(p.Channels) == 0 {
			return Invalid("channels", "post %s has no channel: add one before submitting it", p.Slug)
		}
		p.Status = StatusReview
		return nil
	})
}

// ApprovePost records who approved the post and when (the store's Actor, its
// clock). A post with a time becomes scheduled and its deliveries runnable; one
// without a time becomes approved; a partial or failed one edited since its
// approval keeps its status (then `post retry`). An optional note is kept with
// the post.
func (s *Store) ApprovePost(ctx context.Context, ref, note string) (Post, error) {
	return s.reviewDecision(ctx, ref, "post.approved", note, func(p *Post) error {
		switch p.Status {
		case StatusDraft, StatusReview:
		case StatusApproved, StatusScheduled:
			if p.ApprovedAt != nil {
				return fmt.Errorf("post %s is already approved (by %s): %w", p.Slug, p.ApprovedBy, ErrConflict)
			}
		case StatusPartial, StatusFailed:
			// Edited after some deliveries ran: the new text needs approval
			// before `post retry` may send it. The post keeps its status,
			// which its deliveries decide.
			if p.ApprovedAt != nil {
				return fmt.Errorf("post %s is already approved (by %s): %w", p.Slug, p.ApprovedBy, ErrConflict)
			}
			now := s.now()
			p.ApprovedAt, p.ApprovedBy = &now, s.Actor
			return nil
		default:
			return fmt.Errorf("post %s is %s: there is nothing to approve: %w", p.Slug, StatusWords(p.Status), ErrConflict)
		}
		if len(p.Channels) == 0 {
			return Invalid("channels", "post %s has no channel: add one before approving it", p.Slug)
		}
		now := s.now()
		p.ApprovedAt, p.ApprovedBy = &now, s.Actor
		p.Status = StatusApproved
		return nil
	})
}

// RejectPost sends a post back to draft, clearing any approval, with the
// reviewer's note saying why. A rejected post is never runnable.
func (s *Store) RejectPost(ctx context.Context, ref, note string) (Post, error) {
	if strings.TrimSpace(note) == "" {
		return Post{}, Invalid("note", "say why the post is rejected (--note)")
	}
	return s.reviewDecision(ctx, ref, "post.rejected", note, func(p *Post) error {
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
	})
}

// reviewDecision applies an editorial decision in one transaction: the post's new
// state (settled by updatePostTx, which writes the event of kind, attributed
// to the store's Actor) and, when given, the note that explains it.
func (s *Store) reviewDecision(ctx context.Context, ref, kind, note string, change func(*Post) error) (Post, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.transitionTx(ctx, tx, ref, kind, change); err != nil {
			return err
		}
		if strings.TrimSpace(note) == "" {
			return nil
		}
		return s.addNoteTx(ctx, tx, id, note)
	})
	if err != nil {
		return Post{}, err
	}
	return s.Post(ctx, strconv.FormatInt(id, 10))
}
