package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	calendar "github.com/crieur/crieur/calendar"
)

// SubmitPost sends a draft to review: a reviewer finds it with
// `post list --status review`. On channels that do not require approval a
// timed post goes on to scheduled, as settleStatusTx decides.
func (s *Store) SubmitPost(ctx context.Context, ref string) (calendar.Post, error) {
	return s.reviewDecision(ctx, ref, "post.submitted", "", func(_ *sql.Tx, p *calendar.Post) error { return calendar.Submit(p) })
}

// ApprovePost records who approved the post and when (the store's Actor, its
// clock). A post with a time becomes scheduled and its deliveries runnable; one
// without a time becomes approved; a partial or failed one edited since its
// approval keeps its status (then `post retry`). An optional note is kept with
// the post.
func (s *Store) ApprovePost(ctx context.Context, ref, note string) (calendar.Post, error) {
	return s.reviewDecision(ctx, ref, "post.approved", note, func(tx *sql.Tx, p *calendar.Post) error {
		// Who may approve is decided on the channels as the transaction
		// reads them: a change of the rule cannot slip in between.
		chans, err := s.resolveChannels(ctx, tx, p)
		if err != nil {
			return err
		}
		list := make([]calendar.Channel, 0, len(chans))
		for _, name := range p.Channels {
			list = append(list, chans[name])
		}
		if err := calendar.CheckApprover(*p, s.Actor, list); err != nil {
			return err
		}
		return calendar.Approve(p, s.Actor, s.now())
	})
}

// RejectPost sends a post back to draft, clearing any approval, with the
// reviewer's note saying why. A rejected post is never runnable.
func (s *Store) RejectPost(ctx context.Context, ref, note string) (calendar.Post, error) {
	if strings.TrimSpace(note) == "" {
		return calendar.Post{}, calendar.Invalid("note", "say why the post is rejected (--note)")
	}
	return s.reviewDecision(ctx, ref, "post.rejected", note, func(_ *sql.Tx, p *calendar.Post) error { return calendar.Reject(p) })
}

// reviewDecision applies an editorial decision in one transaction: the post's new
// state (settled by updatePostTx, which writes the event of kind, attributed
// to the store's Actor) and, when given, the note that explains it.
func (s *Store) reviewDecision(ctx context.Context, ref, kind, note string, change func(*sql.Tx, *calendar.Post) error) (calendar.Post, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = s.transitionTx(ctx, tx, ref, kind, func(p *calendar.Post) error { return change(tx, p) }); err != nil {
			return err
		}
		if strings.TrimSpace(note) == "" {
			return nil
		}
		return s.addNoteTx(ctx, tx, id, note)
	})
	if err != nil {
		return calendar.Post{}, err
	}
	return s.Post(ctx, strconv.FormatInt(id, 10))
}
