package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/urls"
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
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO stat_snapshots (delivery_id, offset_ms, taken_at, state, counts) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (delivery_id, offset_ms) DO UPDATE SET taken_at = excluded.taken_at, state = excluded.state, counts = excluded.counts`,
			sn.DeliveryID, sn.Offset.Milliseconds(), ms(sn.TakenAt), sn.State, string(counts)); err != nil {
			return err
		}
		// The latest reading, and the latest ok one, as the snapshots now say.
		var off, taken int64
		var state string
		if err := tx.QueryRowContext(ctx, `SELECT offset_ms, taken_at, state FROM stat_snapshots WHERE delivery_id = ?
			ORDER BY offset_ms DESC LIMIT 1`, sn.DeliveryID).Scan(&off, &taken, &state); err != nil {
			return err
		}
		var okOff, okTaken sql.NullInt64
		var okCounts sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT offset_ms, taken_at, counts FROM stat_snapshots WHERE delivery_id = ? AND state = 'ok'
			ORDER BY offset_ms DESC LIMIT 1`, sn.DeliveryID).Scan(&okOff, &okTaken, &okCounts)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO stat_latest (delivery_id, offset_ms, taken_at, state, ok_offset_ms, ok_taken_at, ok_counts)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO UPDATE SET offset_ms = excluded.offset_ms, taken_at = excluded.taken_at,
			state = excluded.state, ok_offset_ms = excluded.ok_offset_ms, ok_taken_at = excluded.ok_taken_at, ok_counts = excluded.ok_counts`,
			sn.DeliveryID, off, taken, state, okOff, okTaken, okCounts)
		return err
	})
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
	cols, latestJoin := ``, ``
	if f.Latest {
		// Each delivery's latest reading comes with it: one query, one row each.
		cols = `, sl.offset_ms, sl.taken_at, sl.state, sl.ok_offset_ms, sl.ok_taken_at, sl.ok_counts`
		latestJoin = ` LEFT JOIN stat_latest sl ON sl.delivery_id = d.id`
	}
	from := ` FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels ch ON ch.id = d.channel_id
		LEFT JOIN campaigns cp ON cp.id = p.campaign_id` + latestJoin + ` WHERE ` + strings.Join(where, ` AND `)
	// Sorted here rather than by the database, which would carry every
	// row through a sorter first.
	// A post without a link gives its body, whose first URL stands for it.
	rows, err := s.db.QueryContext(ctx, `SELECT d.id, p.id, p.slug, p.title, COALESCE(cp.name, ''), COALESCE(cp.utm, '{}'), p.tags, p.link,
		CASE WHEN p.link = '' THEN p.body ELSE '' END, ch.name, ch.network, d.published_at, d.remote_url`+cols+from, args...)
	if err != nil {
		return nil, err
	}
	// Rows gather in blocks (no regrowth of one long slice), then are laid
	// out once in order.
	const block = 1024
	var blocks [][]calendar.DeliveryEngagement
	cur := make([]calendar.DeliveryEngagement, 0, block)
	// A campaign's UTM and a tag list repeat from row to row: each distinct
	// one is decoded once, and the rows share it (read-only).
	utms := map[string]map[string]string{}
	tagLists := map[string][]string{}
	words := map[int64]string{}
	var e calendar.DeliveryEngagement
	var utm, tags, body string
	var pub int64
	var lOff, lTaken, okOff, okTaken sql.NullInt64
	var lState, okCounts sql.NullString
	dest := []any{&e.DeliveryID, &e.PostID, &e.Slug, &e.Title, &e.Campaign, &utm, &tags, &e.Link, &body, &e.Channel, &e.Network, &pub, &e.RemoteURL}
	if f.Latest {
		dest = append(dest, &lOff, &lTaken, &lState, &okOff, &okTaken, &okCounts)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, err
		}
		e.PublishedAt = fromMS(pub)
		if e.Link == "" {
			e.Link = urls.First(body)
		}
		u, ok := utms[utm]
		if !ok {
			_ = jsonUnmarshal(utm, &u)
			utms[utm] = u
		}
		e.CampaignUTM = u
		tl, ok := tagLists[tags]
		if !ok {
			_ = jsonUnmarshal(tags, &tl)
			tagLists[tags] = tl
		}
		e.Tags = tl
		e.Snapshots = []calendar.Snapshot{}
		if f.Latest && lOff.Valid {
			if okOff.Valid && okOff.Int64 != lOff.Int64 {
				e.Snapshots = append(e.Snapshots, snapshotOf(words, e.DeliveryID, rawSnapshot{off: okOff.Int64, taken: okTaken.Int64, state: calendar.SnapshotOK, counts: okCounts.String}))
			}
			counts := ""
			if okOff.Valid && okOff.Int64 == lOff.Int64 {
				counts = okCounts.String
			}
			e.Snapshots = append(e.Snapshots, snapshotOf(words, e.DeliveryID, rawSnapshot{off: lOff.Int64, taken: lTaken.Int64, state: lState.String, counts: counts}))
		}
		if len(cur) == block {
			blocks = append(blocks, cur)
			cur = make([]calendar.DeliveryEngagement, 0, block)
		}
		cur = append(cur, e)
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	blocks = append(blocks, cur)
	order := make([]*calendar.DeliveryEngagement, 0, n)
	for _, b := range blocks {
		for i := range b {
			order = append(order, &b[i])
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if !a.PublishedAt.Equal(b.PublishedAt) {
			return a.PublishedAt.Before(b.PublishedAt)
		}
		return a.DeliveryID < b.DeliveryID
	})
	out := make([]calendar.DeliveryEngagement, n)
	for i, p := range order {
		out[i] = *p
	}
	if len(out) == 0 {
		return out, nil
	}
	if f.Latest {
		return out, nil
	}
	index := make(map[int64]int, len(out))
	for i := range out {
		index[out[i].DeliveryID] = i
	}
	if err := s.snapshotsOf(ctx, out, index); err != nil {
		return nil, err
	}
	return out, nil
}

// snapshotBatch is how many deliveries' snapshots one query reads (well
// under both engines' limit on parameters).
const snapshotBatch = 500

// rawSnapshot is a snapshot row before its counts are decoded.
type rawSnapshot struct {
	off, taken int64
	state      string
	counts     string
}

// snapshotOf is a snapshot row with its counts decoded; words caches the
// offsets in words.
func snapshotOf(words map[int64]string, id int64, r rawSnapshot) calendar.Snapshot {
	w, ok := words[r.off]
	if !ok {
		w = calendar.OffsetWords(time.Duration(r.off) * time.Millisecond)
		words[r.off] = w
	}
	return calendar.Snapshot{DeliveryID: id, Offset: time.Duration(r.off) * time.Millisecond, After: w, TakenAt: fromMS(r.taken),
		State: r.state, Counts: decodeCounts(r.counts)}
}

// snapshotsOf fills each delivery's snapshots, oldest first, reading them by
// delivery id (primary key lookups), a batch at a time.
func (s *Store) snapshotsOf(ctx context.Context, out []calendar.DeliveryEngagement, index map[int64]int) error {
	words := map[int64]string{}
	for first := 0; first < len(out); first += snapshotBatch {
		batch := out[first:min(first+snapshotBatch, len(out))]
		args := make([]any, len(batch))
		for i, e := range batch {
			args[i] = e.DeliveryID
		}
		rows, err := s.db.QueryContext(ctx, `SELECT delivery_id, offset_ms, taken_at, state, counts FROM stat_snapshots
			WHERE delivery_id IN (?`+strings.Repeat(`, ?`, len(batch)-1)+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			var r rawSnapshot
			if err := rows.Scan(&id, &r.off, &r.taken, &r.state, &r.counts); err != nil {
				rows.Close()
				return err
			}
			if i, ok := index[id]; ok {
				out[i].Snapshots = append(out[i].Snapshots, snapshotOf(words, id, r))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for i := range out {
		sn := out[i].Snapshots
		if len(sn) > 1 {
			sort.SliceStable(sn, func(a, b int) bool { return sn[a].TakenAt.Before(sn[b].TakenAt) })
		}
	}
	return nil
}

// decodeCounts reads a snapshot's counts, {"likes": 3, …}, as RecordSnapshot
// wrote them: a flat object of integers, read without reflection (a report
// reads tens of thousands); anything else goes through encoding/json. Empty
// is nil.
func decodeCounts(s string) map[string]int64 {
	if s == "" || s == "{}" {
		return nil
	}
	if m, ok := flatCounts(s); ok {
		return m
	}
	var m map[string]int64
	if json.Unmarshal([]byte(s), &m) != nil || len(m) == 0 {
		return nil
	}
	return m
}

// flatCounts parses {"k":n,…} with plain keys (no escapes) and integer
// values, no spaces; false for anything else.
func flatCounts(s string) (map[string]int64, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	m := make(map[string]int64, 4)
	i := 1
	for i < len(s)-1 {
		if s[i] != '"' {
			return nil, false
		}
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		key := s[i+1 : i+1+end]
		if strings.IndexByte(key, '\\') >= 0 {
			return nil, false
		}
		i += end + 2
		if i >= len(s) || s[i] != ':' {
			return nil, false
		}
		i++
		j := i
		if j < len(s) && s[j] == '-' {
			j++
		}
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		v, err := strconv.ParseInt(s[i:j], 10, 64)
		if err != nil {
			return nil, false
		}
		m[key] = v
		i = j
		switch {
		case i < len(s)-2 && s[i] == ',':
			i++
		case i == len(s)-1:
		default:
			return nil, false
		}
	}
	return m, true
}
