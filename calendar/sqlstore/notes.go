package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	calendar "github.com/crieur/crieur/calendar"
)

// AddNote adds an editorial comment to a post, attributed to the store's Actor.
func (s *Store) AddNote(ctx context.Context, ref, text string) (calendar.Note, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return calendar.Note{}, calendar.Invalid("text", "the note is empty")
	}
	var n calendar.Note
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, err := s.postRow(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := s.addNoteTx(ctx, tx, p.ID, text); err != nil {
			return err
		}
		n = calendar.Note{At: s.now(), Author: s.Actor, Text: text}
		return tx.QueryRowContext(ctx, `SELECT max(id) FROM post_notes WHERE post_id=?`, p.ID).Scan(&n.ID)
	})
	return n, err
}

func (s *Store) addNoteTx(ctx context.Context, tx *sql.Tx, postID int64, text string) error {
	text = strings.TrimSpace(text)
	if _, err := tx.ExecContext(ctx, `INSERT INTO post_notes (post_id, at, author, text) VALUES (?,?,?,?)`,
		postID, ms(s.now()), s.Actor, text); err != nil {
		return err
	}
	return s.event(ctx, tx, calendar.Event{Kind: "post.noted", PostID: postID, Detail: map[string]any{"text": text}})
}
