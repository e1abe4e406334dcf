package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	calendar "github.com/crieur/crieur/calendar"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// event appends to the history, in the caller's transaction.
func (s *Store) event(ctx context.Context, tx execer, e calendar.Event) error {
	return s.events(ctx, tx, []calendar.Event{e})
}

// events appends evs to the history in their order, in few statements.
func (s *Store) events(ctx context.Context, tx execer, evs []calendar.Event) error {
	for len(evs) > 0 {
		n := min(len(evs), eventsChunk)
		q, args, err := s.eventsInsert(evs[:n])
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

// eventsChunk bounds the events of one INSERT: 7 variables each, well
// under SQLite's limit.
const eventsChunk = 200

// eventsInsert is the INSERT of evs (at most eventsChunk) and its arguments.
func (s *Store) eventsInsert(evs []calendar.Event) (string, []any, error) {
	q := make([]byte, 0, 80+16*len(evs))
	q = append(q, "INSERT INTO events (at, actor, kind, post_id, delivery_id, channel_id, detail) VALUES "...)
	args := make([]any, 0, 7*len(evs))
	at := ms(s.now())
	for i, e := range evs {
		if i > 0 {
			q = append(q, ',')
		}
		q = append(q, "(?,?,?,?,?,?,?)"...)
		actor := e.Actor
		if actor == "" {
			actor = s.Actor
		}
		detail := "{}"
		if len(e.Detail) > 0 {
			b, err := json.Marshal(e.Detail)
			if err != nil {
				return "", nil, err
			}
			detail = string(b)
		}
		args = append(args, at, actor, e.Kind, nullID(e.PostID), nullID(e.DeliveryID), nullID(e.ChannelID), detail)
	}
	return string(q), args, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// PostHistory lists a post's events, oldest first.
func (s *Store) PostHistory(ctx context.Context, postID int64) ([]calendar.Event, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT e.id, e.at, e.actor, e.kind, COALESCE(e.post_id,0), COALESCE(e.delivery_id,0),
		COALESCE(e.channel_id,0), COALESCE(c.name,''), e.detail
		FROM events e LEFT JOIN channels c ON c.id = e.channel_id WHERE e.post_id = ? ORDER BY e.id`, postID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.Event
	for rows.Next() {
		var e calendar.Event
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Kind, &e.PostID, &e.DeliveryID, &e.ChannelID, &e.Channel, &detail); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		_ = json.Unmarshal([]byte(detail), &e.Detail)
		out = append(out, e)
	}
	return out, rows.Err()
}
