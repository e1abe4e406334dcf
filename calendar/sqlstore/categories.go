package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/when"
)

const categoryCols = `id, name, ord, max_repeats, min_gap_ms, expires_at, created_at, updated_at`

func scanCategory(sc interface{ Scan(...any) error }) (calendar.Category, error) {
	var c calendar.Category
	var gap, created, updated int64
	var expires sql.NullInt64
	if err := sc.Scan(&c.ID, &c.Name, &c.Order, &c.MaxRepeats, &gap, &expires, &created, &updated); err != nil {
		return c, err
	}
	c.MinGap = time.Duration(gap) * time.Millisecond
	c.MinGapText = calendar.GapText(c.MinGap)
	c.ExpiresAt = fromNullMS(expires)
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// categoryID resolves a category name ("" is none).
func (s *Store) categoryID(ctx context.Context, q queryer, name string) (any, error) {
	if name == "" {
		return nil, nil
	}
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM categories WHERE name = ?`, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unknownCategory(name)
	}
	return id, err
}

func unknownCategory(name string) error {
	return fmt.Errorf("category %q: %w (see `crieur category list`; add it with `crieur category add %s`)", name, calendar.ErrNotFound, name)
}

// AddCategory creates an evergreen category.
func (s *Store) AddCategory(ctx context.Context, c *calendar.Category) error {
	if err := calendar.CheckCategory(c); err != nil {
		return err
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO categories (name, ord, max_repeats, min_gap_ms, expires_at, created_at, updated_at)
			VALUES (?,?,?,?,?,?,?) ON CONFLICT (name) DO NOTHING RETURNING id`,
			c.Name, c.Order, c.MaxRepeats, c.MinGap.Milliseconds(), msPtr(c.ExpiresAt), ms(now), ms(now)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("category %q already exists (see `crieur category show %s`): %w", c.Name, c.Name, calendar.ErrConflict)
		}
		if err != nil {
			return err
		}
		c.ID, c.CreatedAt, c.UpdatedAt = id, now, now
		return s.event(ctx, tx, calendar.Event{Kind: "category.added", Detail: map[string]any{"name": c.Name, "order": c.Order}})
	})
}

// Category finds a category by name.
func (s *Store) Category(ctx context.Context, name string) (calendar.Category, error) {
	c, err := scanCategory(s.db.QueryRowContext(ctx, `SELECT `+categoryCols+` FROM categories WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, unknownCategory(name)
	}
	return c, err
}

// Categories lists the categories by name.
func (s *Store) Categories(ctx context.Context) ([]calendar.Category, error) {
	return s.categories(ctx, s.db)
}

func (s *Store) categories(ctx context.Context, q queryer) ([]calendar.Category, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+categoryCols+` FROM categories ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanCategory)
}

// UpdateCategory writes a category's order and limits (by its ID); a new
// name renames it. Copies already made keep their time: the change applies
// to the fills after.
func (s *Store) UpdateCategory(ctx context.Context, c *calendar.Category) error {
	if err := calendar.CheckCategory(c); err != nil {
		return err
	}
	now := s.now()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE categories SET name=?, ord=?, max_repeats=?, min_gap_ms=?, expires_at=?, updated_at=? WHERE id=?`,
			c.Name, c.Order, c.MaxRepeats, c.MinGap.Milliseconds(), msPtr(c.ExpiresAt), ms(now), c.ID)
		if err != nil {
			if isUnique(err) {
				return fmt.Errorf("category %q already exists: %w", c.Name, calendar.ErrConflict)
			}
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return unknownCategory(c.Name)
		}
		c.UpdatedAt = now
		return s.event(ctx, tx, calendar.Event{Kind: "category.edited", Detail: map[string]any{"name": c.Name, "order": c.Order,
			"max_repeats": c.MaxRepeats, "min_gap": c.MinGapText, "expires_at": c.ExpiresAt}})
	})
}

// DeleteCategory deletes a category; its posts stay, outside any category,
// and copies already made stay in the calendar. A category that slots
// still draw from is refused (conflict) unless force, which removes those
// slots too.
func (s *Store) DeleteCategory(ctx context.Context, name string, force bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		idv, err := s.categoryID(ctx, tx, name)
		if err != nil {
			return err
		}
		id := idv.(int64)
		slots, err := queryNames(ctx, tx, `SELECT ch.name || ' ' || s.spec FROM slots s JOIN channels ch ON ch.id = s.channel_id WHERE s.category_id=? ORDER BY ch.name, s.id`, id)
		if err != nil {
			return err
		}
		if len(slots) > 0 && !force {
			return fmt.Errorf("category %s fills %s (%s); remove them first (`crieur slot remove ID`) or pass --force to remove them too: %w",
				name, calendar.Count(len(slots), "slot", "slots"), strings.Join(slots, "; "), calendar.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM slots WHERE category_id=?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET category_id=NULL WHERE category_id=?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM categories WHERE id=?`, id); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "category.deleted", Detail: map[string]any{"name": name, "slots_removed": len(slots)}})
	})
}

// CategoryStats says, for each category (or the one named), how many posts
// it holds, its slots and their rate over the week from now, and so how
// often each post comes back; with members, each post's copies, last use
// and expiry.
func (s *Store) CategoryStats(ctx context.Context, name string, members bool) ([]calendar.CategoryStats, error) {
	var cats []calendar.Category
	if name != "" {
		c, err := s.Category(ctx, name)
		if err != nil {
			return nil, err
		}
		cats = []calendar.Category{c}
	} else {
		var err error
		if cats, err = s.Categories(ctx); err != nil {
			return nil, err
		}
	}
	now := s.now()
	out := make([]calendar.CategoryStats, 0, len(cats))
	for _, c := range cats {
		st := calendar.CategoryStats{Category: c}
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE category_id=? AND recycled_from IS NULL AND status<>'canceled'`, c.ID).Scan(&st.Posts); err != nil {
			return nil, err
		}
		slots, err := s.categorySlots(ctx, s.db, c.ID)
		if err != nil {
			return nil, err
		}
		st.Slots = len(slots)
		for _, sl := range slots {
			st.SlotsPerWeek += len(sl.sched.Between(now, now.Add(7*24*time.Hour), sl.loc, 0))
		}
		st.RepeatDays = calendar.RepeatEvery(st.Posts, st.SlotsPerWeek)
		if members {
			if st.Members, err = s.categoryMembers(ctx, c); err != nil {
				return nil, err
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Store) categoryMembers(ctx context.Context, c calendar.Category) ([]calendar.CategoryMember, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.slug, p.title, p.max_repeats, p.min_gap_ms, p.expires_at,
		(SELECT count(*) FROM posts cp JOIN deliveries d ON d.post_id = cp.id WHERE cp.recycled_from = p.id AND d.status IN `+liveUse+`),
		(SELECT max(d.due_at) FROM posts cp JOIN deliveries d ON d.post_id = cp.id WHERE cp.recycled_from = p.id AND d.status IN `+liveUse+`)
		FROM posts p WHERE p.category_id=? AND p.recycled_from IS NULL AND p.status<>'canceled' ORDER BY p.created_at, p.id`, c.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []calendar.CategoryMember{}
	for rows.Next() {
		var m calendar.CategoryMember
		var gap int64
		var expires, last sql.NullInt64
		if err := rows.Scan(&m.Slug, &m.Title, &m.MaxRepeats, &gap, &expires, &m.Copies, &last); err != nil {
			return nil, err
		}
		ep := calendar.EvergreenPost{MaxRepeats: m.MaxRepeats, ExpiresAt: fromNullMS(expires)}
		m.MaxRepeats, _, m.ExpiresAt = calendar.EffectiveLimits(c, ep)
		m.LatestCopy = fromNullMS(last)
		out = append(out, m)
	}
	return out, rows.Err()
}

// liveUse are the delivery states that count as a use of a post: on its way
// or out. Canceled, failed and missed copies never went out.
const liveUse = `('pending','publishing','published','held')`

type categorySlot struct {
	calendar.Slot
	ch         calendar.Channel
	categoryID int64
	sched      when.Schedule
	loc        *time.Location
}

// categorySlots lists the slots a category fills (all categories' when id
// is 0), with their schedule, zone and channel.
func (s *Store) categorySlots(ctx context.Context, q queryer, id int64) ([]categorySlot, error) {
	chans := map[int64]calendar.Channel{}
	crow, err := q.QueryContext(ctx, `SELECT `+channelCols+` FROM channels WHERE id IN (SELECT channel_id FROM slots WHERE category_id IS NOT NULL)`)
	if err != nil {
		return nil, err
	}
	for crow.Next() {
		c, err := scanChannel(crow)
		if err != nil {
			crow.Close()
			return nil, err
		}
		chans[c.ID] = c
	}
	crow.Close()
	if err := crow.Err(); err != nil {
		return nil, err
	}
	query := `SELECT s.id, s.channel_id, s.spec, s.cron, s.category_id, cat.name, s.created_at
		FROM slots s JOIN categories cat ON cat.id = s.category_id WHERE s.category_id IS NOT NULL`
	var args []any
	if id != 0 {
		query += ` AND s.category_id = ?`
		args = append(args, id)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []categorySlot
	for rows.Next() {
		var cs categorySlot
		var created int64
		if err := rows.Scan(&cs.ID, &cs.ChannelID, &cs.Spec, &cs.Cron, &cs.categoryID, &cs.Category, &created); err != nil {
			return nil, err
		}
		cs.CreatedAt = fromMS(created)
		ch := chans[cs.ChannelID]
		cs.Channel, cs.ch = ch.Name, ch
		if cs.sched, err = when.ParseSchedule(cs.Cron); err != nil {
			return nil, fmt.Errorf("channel %s: stored slot %q: %w", ch.Name, cs.Cron, err)
		}
		cs.loc = s.SlotZone(ch)
		out = append(out, cs)
	}
	return out, rows.Err()
}
