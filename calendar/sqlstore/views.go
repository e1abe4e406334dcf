package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	calendar "github.com/crieur/crieur/calendar"
)

// Entries lists the deliveries of the posts timed in the filter's range, by
// time, then channel. It is one query that walks the posts_publish_at index
// over the visible range only and joins each post's deliveries, so a month
// view costs the same on a calendar of a thousand posts as of a million.
func (s *Store) Entries(ctx context.Context, f calendar.ViewFilter) ([]calendar.Entry, error) {
	where, args := s.viewWhere(f)
	q := s.entrySelect(f.WithBody, s.dia.indexedBy("posts_publish_at")) + where + ` ORDER BY p.publish_at, p.id, ` + s.dia.byteOrder("ch.name")
	out, err := s.readEntries(ctx, q, args, make([]calendar.Entry, 0, max(s.entriesHint(ctx, f), 256)))
	if err != nil {
		return nil, err
	}
	calendar.SortEntries(out)
	return out, nil
}

// entrySelect is the SELECT of an Entry's columns from posts (with hint
// after its name), their deliveries, channels and campaigns; a WHERE follows.
func (s *Store) entrySelect(withBody bool, hint string) string {
	body := `''`
	if withBody {
		body = `p.body`
	}
	return `SELECT d.id, p.id, p.slug, p.title, CASE WHEN p.title <> '' THEN '' ELSE substr(p.body, 1, 160) END, ` + body + `, COALESCE(d.due_at, p.publish_at), ch.name, ch.network, d.status, p.status,
		COALESCE(c.name, ''), COALESCE(c.color, ''), p.tags, d.remote_url, d.published_at, d.idempotency_key, p.version, ` + s.dia.greatest("p.updated_at", "d.updated_at") + `
		FROM posts p` + hint + viewJoins
}

// viewJoins joins a post (p) to its deliveries (d), their channels (ch) and
// its campaign (c), as views read and filter them.
const viewJoins = `
		JOIN deliveries d ON d.post_id = p.id
		JOIN channels ch ON ch.id = d.channel_id
		LEFT JOIN campaigns c ON c.id = p.campaign_id`

// viewWhere is the WHERE clause of a view's filter, with its arguments.
func (s *Store) viewWhere(f calendar.ViewFilter) (string, []any) {
	q := `
		WHERE p.publish_at IS NOT NULL`
	var args []any
	if !f.From.IsZero() {
		q += ` AND p.publish_at >= ?`
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		q += ` AND p.publish_at < ?`
		args = append(args, ms(f.To))
	}
	if f.Channel != "" {
		q += ` AND ch.name = ?`
		args = append(args, f.Channel)
	}
	if f.Campaign != "" {
		q += ` AND c.name = ?`
		args = append(args, f.Campaign)
	}
	if len(f.Status) > 0 {
		q += ` AND p.status IN (` + placeholders(len(f.Status)) + `)`
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	if f.Tag != "" {
		q += ` AND ` + s.dia.tagFilter("p.tags")
		args = append(args, f.Tag)
	}
	return q, args
}

// readEntries appends the entries that q (an entrySelect) reads to out, in
// the query's order.
func (s *Store) readEntries(ctx context.Context, q string, args []any, out []calendar.Entry) ([]calendar.Entry, error) {
	if s.dia.pg {
		return s.pgEntries(ctx, q, args, out)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// A post's deliveries share its tags, and campaigns repeat them: each
	// distinct tag list is decoded once.
	tagLists := map[string][]string{}
	// Rows are scanned into one Entry, declared once (a per-row one would
	// be allocated each row, as Scan takes pointers into it), then copied.
	var e calendar.Entry
	var at, updated int64
	var tags string
	var published sql.NullInt64
	dest := []any{&e.DeliveryID, &e.PostID, &e.Slug, &e.Title, &e.Label, &e.Body, &at, &e.Channel, &e.Network, &e.Status, &e.PostStatus,
		&e.Campaign, &e.CampaignColor, &tags, &e.RemoteURL, &published, &e.IdempotencyKey, &e.Version, &updated}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		e.At, e.UpdatedAt, e.PublishedAt = fromMS(at), fromMS(updated), fromNullMS(published)
		list, ok := tagLists[tags]
		if !ok {
			list = []string{}
			if tags != "[]" && tags != "" {
				_ = json.Unmarshal([]byte(tags), &list)
			}
			tagLists[tags] = list
		}
		e.Tags = list
		e.Label = label(e.Title, e.Label, e.Slug)
		out = append(out, e)
	}
	return out, rows.Err()
}

func label(title, text, slug string) string {
	if t := strings.TrimSpace(title); t != "" {
		return t
	}
	if l := firstLine(text); l != "" {
		return l
	}
	return slug
}
