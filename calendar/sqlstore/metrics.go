package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// StatsDue lists the published deliveries whose next snapshot is due at
// q.Now (see calendar.DueOffset), oldest first. A delivery whose post the
// network said was deleted is read no more.
func (s *Store) StatsDue(ctx context.Context, q calendar.StatsQuery) ([]calendar.StatsDue, error) {
	if len(q.Offsets) == 0 {
		return nil, nil
	}
	first, last := q.Offsets[0], q.Offsets[0]
	for _, o := range q.Offsets {
		first, last = min(first, o), max(last, o)
	}
	since := q.Since
	if since.IsZero() {
		since = q.Now.Add(-last - 7*24*time.Hour)
	}
	where := []string{`d.status = 'published'`, `d.remote_id <> ''`, `d.published_at >= ?`, `d.published_at <= ?`}
	args := []any{ms(since), ms(q.Now.Add(-first))}
	if len(q.Networks) > 0 {
		where = append(where, `ch.network IN (?`+strings.Repeat(`, ?`, len(q.Networks)-1)+`)`)
		for _, n := range q.Networks {
			args = append(args, n)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, d.post_id, d.channel_id, ch.name, ch.network, d.remote_id, d.published_at,
		(SELECT MAX(sn.offset_ms) FROM stat_snapshots sn WHERE sn.delivery_id = d.id),
		(SELECT COUNT(*) FROM stat_snapshots sn WHERE sn.delivery_id = d.id AND sn.state = 'deleted')
		FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE `+strings.Join(where, ` AND `)+` ORDER BY d.published_at, d.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.StatsDue
	for rows.Next() {
		var d calendar.StatsDue
		var pub int64
		var lastOff sql.NullInt64
		var deleted int
		if err := rows.Scan(&d.DeliveryID, &d.PostID, &d.ChannelID, &d.Channel, &d.Network, &d.RemoteID, &pub, &lastOff, &deleted); err != nil {
			return nil, err
		}
		if deleted > 0 {
			continue
		}
		d.PublishedAt = fromMS(pub)
		prev := time.Duration(-1)
		if lastOff.Valid {
			prev = time.Duration(lastOff.Int64) * time.Millisecond
		}
		off, due := calendar.DueOffset(d.PublishedAt, q.Now, q.Offsets, prev)
		if !due {
			continue
		}
		d.Offset = off
		out = append(out, d)
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
	}
	return out, rows.Err()
}

// RecordSnapshot keeps one snapshot; a second for the same delivery and
// offset replaces the first.
func (s *Store) RecordSnapshot(ctx context.Context, sn calendar.Snapshot) error {
	if sn.State == "" {
		return errors.New("snapshot without a state")
	}
	counts := []byte("{}")
	if len(sn.Counts) > 0 {
		var err error
		if counts, err = json.Marshal(sn.Counts); err != nil {
			return err
		}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO stat_snapshots (delivery_id, offset_ms, taken_at, state, counts) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (delivery_id, offset_ms) DO UPDATE SET taken_at = excluded.taken_at, state = excluded.state, counts = excluded.counts`,
		sn.DeliveryID, sn.Offset.Milliseconds(), ms(sn.TakenAt), sn.State, string(counts))
	return err
}

// Engagement lists the published deliveries f selects, by publication
// time, with their snapshots oldest first.
func (s *Store) Engagement(ctx context.Context, f calendar.EngagementFilter) ([]calendar.DeliveryEngagement, error) {
	where := []string{`d.status = 'published'`, `d.published_at IS NOT NULL`}
	var args []any
	if f.Campaign != "" {
		var id int64
		err := s.db.QueryRowContext(ctx, `SELECT id FROM campaigns WHERE name = ?`, f.Campaign).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, calendar.NotFound("campaign", f.Campaign)
		}
		if err != nil {
			return nil, err
		}
		where = append(where, `p.campaign_id = ?`)
		args = append(args, id)
	}
	if f.Channel != "" {
		var id int64
		err := s.db.QueryRowContext(ctx, `SELECT id FROM channels WHERE name = ?`, f.Channel).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, calendar.NotFound("channel", f.Channel)
		}
		if err != nil {
			return nil, err
		}
		where = append(where, `d.channel_id = ?`)
		args = append(args, id)
	}
	if f.From != nil {
		where = append(where, `d.published_at >= ?`)
		args = append(args, ms(*f.From))
	}
	if f.To != nil {
		where = append(where, `d.published_at < ?`)
		args = append(args, ms(*f.To))
	}
	from := ` FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels ch ON ch.id = d.channel_id
		LEFT JOIN campaigns cp ON cp.id = p.campaign_id WHERE ` + strings.Join(where, ` AND `)
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, p.id, p.slug, p.title, COALESCE(cp.name, ''), COALESCE(cp.utm, '{}'), p.tags, p.link,
		ch.name, ch.network, d.published_at, d.remote_url`+from+` ORDER BY d.published_at, d.id`, args...)
	if err != nil {
		return nil, err
	}
	var out []calendar.DeliveryEngagement
	index := map[int64]int{}
	for rows.Next() {
		var e calendar.DeliveryEngagement
		var utm, tags string
		var pub int64
		if err := rows.Scan(&e.DeliveryID, &e.PostID, &e.Slug, &e.Title, &e.Campaign, &utm, &tags, &e.Link,
			&e.Channel, &e.Network, &pub, &e.RemoteURL); err != nil {
			rows.Close()
			return nil, err
		}
		e.PublishedAt = fromMS(pub)
		_ = jsonUnmarshal(utm, &e.CampaignUTM)
		_ = jsonUnmarshal(tags, &e.Tags)
		e.Snapshots = []calendar.Snapshot{}
		index[e.DeliveryID] = len(out)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	srows, err := s.db.QueryContext(ctx, `SELECT sn.delivery_id, sn.offset_ms, sn.taken_at, sn.state, sn.counts FROM stat_snapshots sn
		WHERE sn.delivery_id IN (SELECT d.id`+from+`) ORDER BY sn.delivery_id, sn.taken_at`, args...)
	if err != nil {
		return nil, err
	}
	defer srows.Close()
	for srows.Next() {
		var sn calendar.Snapshot
		var off, taken int64
		var counts string
		if err := srows.Scan(&sn.DeliveryID, &off, &taken, &sn.State, &counts); err != nil {
			return nil, err
		}
		sn.Offset = time.Duration(off) * time.Millisecond
		sn.After = calendar.OffsetWords(sn.Offset)
		sn.TakenAt = fromMS(taken)
		_ = jsonUnmarshal(counts, &sn.Counts)
		if len(sn.Counts) == 0 {
			sn.Counts = nil
		}
		if i, ok := index[sn.DeliveryID]; ok {
			out[i].Snapshots = append(out[i].Snapshots, sn)
		}
	}
	return out, srows.Err()
}
