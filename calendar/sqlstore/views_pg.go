package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgEntries reads Entries' rows (the query q with args, ? placeholders)
// on PostgreSQL through pgx itself, appending them to out.
//
// Through database/sql, each of a row's text values was copied into a
// string, boxed into an interface, then assigned: a month view's 6,480
// rows cost 120,000 allocations (18.5 a row), and their decoding was most
// of a `crieur calendar --month` process's own CPU. Here each value is
// read where pgx received it (pgtype.DriverBytes) and becomes a string
// only when it differs from the last one seen in its column (a post's
// slug, title and label repeat over its deliveries) or, for the columns
// of few values (channel, network, statuses, campaign, tags), the first
// time it is seen: about 3 allocations a row. The statement goes as the
// connection sends statements: a command's, unprepared in one round trip
// with its rows in text, which pgx reads as cheaply as binary here (the
// text columns are the same bytes; the numbers are parsed), so the month
// no longer asks for the statement's description first (a round trip).
func (s *Store) pgEntries(ctx context.Context, q string, args []any, out []calendar.Entry) ([]calendar.Entry, error) {
	err := s.withPgx(ctx, func(pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, rebind(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var (
			e                                     calendar.Entry
			at, updated                           int64
			published                             pgtype.Int8
			slug, title, lbl, body, ch, network   pgtype.DriverBytes
			status, postStatus, camp, color, tags pgtype.DriverBytes
			remoteURL, key                        pgtype.DriverBytes
			last                                  [4]string // slug, title, label, body of the last row
			few                                   = map[string]string{}
			tagLists                              = map[string][]string{}
		)
		dest := []any{&e.DeliveryID, &e.PostID, &slug, &title, &lbl, &body, &at, &ch, &network, &status, &postStatus,
			&camp, &color, &tags, &remoteURL, &published, &key, &e.Version, &updated}
		// same is b as a string, the last one if it is the same.
		same := func(i int, b []byte) string {
			if string(b) != last[i] { // compared without a copy
				last[i] = string(b)
			}
			return last[i]
		}
		// known is b as a string, made once per distinct value.
		known := func(b []byte) string {
			if v, ok := few[string(b)]; ok { // looked up without a copy
				return v
			}
			v := string(b)
			few[v] = v
			return v
		}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			e.Slug, e.Title, e.Body = same(0, slug), same(1, title), same(3, body)
			e.Label = label(e.Title, same(2, lbl), e.Slug)
			e.Channel, e.Network, e.Status, e.PostStatus = known(ch), known(network), known(status), known(postStatus)
			e.Campaign, e.CampaignColor = known(camp), known(color)
			e.RemoteURL, e.IdempotencyKey = string(remoteURL), string(key)
			e.At, e.UpdatedAt, e.PublishedAt = fromMS(at), fromMS(updated), nil
			if published.Valid {
				e.PublishedAt = fromNullMS(sql.NullInt64{Int64: published.Int64, Valid: true})
			}
			list, ok := tagLists[string(tags)]
			if !ok {
				list = []string{}
				if !bytes.Equal(tags, []byte("[]")) && len(tags) > 0 {
					_ = json.Unmarshal(tags, &list)
				}
				tagLists[string(tags)] = list
			}
			e.Tags = list
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}
