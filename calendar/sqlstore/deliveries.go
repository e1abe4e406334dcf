package sqlstore

import (
	"context"
	"database/sql"

	calendar "github.com/crieur/crieur/calendar"
)

const deliveryCols = `d.id, d.post_id, d.channel_id, ch.name, ch.network, d.status, d.due_at, d.run_at, d.attempts,
	d.lease_owner, d.lease_expires_at, d.idempotency_key, d.remote_id, d.remote_url, d.published_at, d.last_error`

func scanDelivery(sc interface{ Scan(...any) error }) (calendar.Delivery, error) {
	return scanDeliveryOf(sc, true)
}

// scanDeliveryOf reads deliveryCols, or, without channel, the same columns
// but the channel's name and network (a claim's UPDATE … RETURNING, which
// cannot join the channel).
func scanDeliveryOf(sc interface{ Scan(...any) error }, channel bool) (calendar.Delivery, error) {
	var d calendar.Delivery
	var due, run, lease, published sql.NullInt64
	dest := []any{&d.ID, &d.PostID, &d.ChannelID}
	if channel {
		dest = append(dest, &d.Channel, &d.Network)
	}
	dest = append(dest, &d.Status, &due, &run, &d.Attempts,
		&d.LeaseOwner, &lease, &d.IdempotencyKey, &d.RemoteID, &d.RemoteURL, &published, &d.LastError)
	err := sc.Scan(dest...)
	d.DueAt, d.RunAt, d.LeaseExpiresAt, d.PublishedAt = fromNullMS(due), fromNullMS(run), fromNullMS(lease), fromNullMS(published)
	return d, err
}

// RecordPart records a thread part the network confirmed for a delivery, at
// once: a failure later in the thread, a crash or a retry cannot lose it. The
// network's word is the truth, so it is recorded whoever holds the lease. The
// first part is the delivery's remote id from then on.
func (s *Store) RecordPart(ctx context.Context, d calendar.Delivery, owner string, p calendar.DeliveryPart) error {
	return s.txDelivery(ctx, func(tx *sql.Tx) error {
		// The delivery's row first (PostgreSQL): an outcome of it waits.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM deliveries WHERE id=?`+s.dia.forUpdate(), d.ID); err != nil {
			return err
		}
		var published any
		if p.PublishedAt != nil {
			published = ms(*p.PublishedAt)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO delivery_parts (delivery_id, idx, remote_id, remote_url, ref, published_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id, idx) DO UPDATE SET remote_id=excluded.remote_id,
			remote_url=excluded.remote_url, ref=excluded.ref, published_at=excluded.published_at`,
			d.ID, p.Index, p.RemoteID, p.RemoteURL, p.Ref, published); err != nil {
			return err
		}
		if p.Index == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET remote_id=?, remote_url=?, updated_at=? WHERE id=?`,
				p.RemoteID, p.RemoteURL, ms(s.now()), d.ID); err != nil {
				return err
			}
		}
		detail := map[string]any{"part": p.Index + 1, "remote_id": p.RemoteID}
		if p.RemoteURL != "" {
			detail["remote_url"] = p.RemoteURL
		}
		return s.event(ctx, tx, calendar.Event{Kind: "delivery.part", Actor: calendar.DaemonActor(owner), PostID: d.PostID, DeliveryID: d.ID,
			ChannelID: d.ChannelID, Detail: detail})
	})
}

// DeliveryParts lists the thread parts recorded for a delivery, in order.
func (s *Store) DeliveryParts(ctx context.Context, deliveryID int64) ([]calendar.DeliveryPart, error) {
	byDelivery, err := deliveryParts(ctx, s.db, `delivery_id = ?`, deliveryID)
	return byDelivery[deliveryID], err
}

// deliveryParts reads the parts of the deliveries where says, by delivery.
func deliveryParts(ctx context.Context, q queryer, where string, args ...any) (map[int64][]calendar.DeliveryPart, error) {
	out := map[int64][]calendar.DeliveryPart{}
	rows, err := q.QueryContext(ctx, `SELECT delivery_id, idx, remote_id, remote_url, ref, published_at FROM delivery_parts
		WHERE `+where+` ORDER BY delivery_id, idx`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p calendar.DeliveryPart
		var published sql.NullInt64
		if err := rows.Scan(&id, &p.Index, &p.RemoteID, &p.RemoteURL, &p.Ref, &published); err != nil {
			return nil, err
		}
		p.PublishedAt = fromNullMS(published)
		out[id] = append(out[id], p)
	}
	return out, rows.Err()
}

// scanRows reads every row of rows with scan (one of the scanX of this
// package) and closes them.
func scanRows[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
