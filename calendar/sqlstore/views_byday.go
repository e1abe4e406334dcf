package sqlstore

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/jackc/pgx/v5"
)

// EntriesByDay reads a month grid's share of a view in two steps: first
// what places and orders every entry (six numbers a delivery), from which
// the days, their counts and the legend are worked out here; then the
// whole rows of the few entries each day shows. A month of 6,480
// deliveries on PostgreSQL cost a third of the time of reading them all
// (the server formatting and sending 19 columns of each was most of it).
func (s *Store) EntriesByDay(ctx context.Context, f calendar.ViewFilter, starts []time.Time, perDay int) (calendar.ByDay, error) {
	out := calendar.ByDay{Channels: []string{}, Campaigns: map[string]string{}}
	if len(starts) < 2 {
		return out, nil
	}
	days := len(starts) - 1
	out.Days, out.Counts = make([][]calendar.Entry, days), make([]int, days)
	names, campaigns, err := s.viewNames(ctx)
	if err != nil {
		return out, err
	}
	where, args := s.viewWhere(f)
	type placed struct{ delivery, at, publishAt, post, channel, campaign int64 }
	var rows []placed
	// Channels and campaigns are joined only to filter by their names:
	// joining every delivery to its channel was a third of the statement.
	from := ` FROM posts p` + s.dia.indexedBy("posts_publish_at") + ` JOIN deliveries d ON d.post_id = p.id`
	if f.Channel != "" {
		from += ` JOIN channels ch ON ch.id = d.channel_id`
	}
	if f.Campaign != "" {
		from += ` JOIN campaigns c ON c.id = p.campaign_id`
	}
	err = s.eachInts(ctx, `SELECT d.id, COALESCE(d.due_at, p.publish_at), p.publish_at, p.id, d.channel_id, COALESCE(p.campaign_id, 0)`+from+where, args, 6, func(v []int64) {
		rows = append(rows, placed{v[0], v[1], v[2], v[3], v[4], v[5]})
	})
	if err != nil {
		return out, err
	}
	// Entries' order: by time, then as its query reads them (the post's
	// time, the post, the channel's name), which a delivery's post and
	// channel make unique.
	slices.SortFunc(rows, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.publishAt, b.publishAt), cmp.Compare(a.post, b.post),
			cmp.Compare(names[a.channel], names[b.channel]))
	})
	bounds := make([]int64, len(starts))
	for i, t := range starts {
		bounds[i] = ms(t)
	}
	var shown []int64
	seenChannel := map[int64]bool{}
	day := 0
	for _, r := range rows {
		if r.at < bounds[0] {
			continue
		}
		for day < days && r.at >= bounds[day+1] {
			day++
		}
		if day == days {
			break
		}
		if out.Counts[day] < perDay {
			shown = append(shown, r.delivery)
		}
		out.Counts[day]++
		if !seenChannel[r.channel] {
			seenChannel[r.channel] = true
			out.Channels = append(out.Channels, names[r.channel])
		}
		if c, ok := campaigns[r.campaign]; ok {
			out.Campaigns[c.name] = c.color
		}
	}
	sort.Strings(out.Channels)
	if len(shown) == 0 {
		return out, nil
	}
	q := s.entrySelect(f.WithBody, "") + ` WHERE d.id IN (` + placeholders(len(shown)) + `)`
	ids := make([]any, len(shown))
	for i, id := range shown {
		ids[i] = id
	}
	entries, err := s.readEntries(ctx, q, ids, make([]calendar.Entry, 0, len(shown)))
	if err != nil {
		return out, err
	}
	placeShown(&out, shown, entries, perDay)
	return out, nil
}

// placeShown puts the entries read by id into their days, in shown's
// order (Entries' order, day after day, at most perDay a day). An entry
// deleted between the two reads is left out and no longer counted, so a
// cell's "+N more" counts only what is still there.
func placeShown(out *calendar.ByDay, shown []int64, entries []calendar.Entry, perDay int) {
	byID := make(map[int64]calendar.Entry, len(entries))
	for _, e := range entries {
		byID[e.DeliveryID] = e
	}
	i := 0
	for d, n := range out.Counts {
		k := min(n, perDay)
		for _, id := range shown[i : i+k] {
			if e, ok := byID[id]; ok {
				out.Days[d] = append(out.Days[d], e)
			} else {
				out.Counts[d]--
			}
		}
		i += k
	}
}

type campaignName struct{ name, color string }

// viewNames is every channel's name and every campaign's name and colour,
// by id, in one statement.
func (s *Store) viewNames(ctx context.Context) (map[int64]string, map[int64]campaignName, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT 0, id, name, '' FROM channels UNION ALL SELECT 1, id, name, color FROM campaigns`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	channels, campaigns := map[int64]string{}, map[int64]campaignName{}
	for rows.Next() {
		var kind, id int64
		var name, color string
		if err := rows.Scan(&kind, &id, &name, &color); err != nil {
			return nil, nil, err
		}
		if kind == 0 {
			channels[id] = name
		} else {
			campaigns[id] = campaignName{name, color}
		}
	}
	return channels, campaigns, rows.Err()
}

// eachInts calls fn with each row of q, n integer columns read into one
// slice reused from row to row. On PostgreSQL the rows are read where pgx
// receives them, without database/sql's boxing of every value.
func (s *Store) eachInts(ctx context.Context, q string, args []any, n int, fn func([]int64)) error {
	v := make([]int64, n)
	dest := make([]any, n)
	for i := range v {
		dest[i] = &v[i]
	}
	each := func(rows rowScanner) error {
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			fn(v)
		}
		return rows.Err()
	}
	if !s.dia.pg {
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return each(rows)
	}
	return s.withPgx(ctx, func(pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, rebind(q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return each(rows)
	})
}

// rowScanner is what database/sql's rows and pgx's share.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}
