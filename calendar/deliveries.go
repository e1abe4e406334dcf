package calendar

import (
	"database/sql"
)

const deliveryCols = `d.id, d.post_id, d.channel_id, ch.name, ch.network, d.status, d.due_at, d.run_at, d.attempts,
	d.lease_owner, d.lease_expires_at, d.idempotency_key, d.remote_id, d.remote_url, d.published_at, d.last_error`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var due, run, lease, published sql.NullInt64
	err := sc.Scan(&d.ID, &d.PostID, &d.ChannelID, &d.Channel, &d.Network, &d.Status, &due, &run, &d.Attempts,
		&d.LeaseOwner, &lease, &d.IdempotencyKey, &d.RemoteID, &d.RemoteURL, &published, &d.LastError)
	d.DueAt, d.RunAt, d.LeaseExpiresAt, d.PublishedAt = fromNullMS(due), fromNullMS(run), fromNullMS(lease), fromNullMS(published)
	return d, err
}
