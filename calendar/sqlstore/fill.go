package sqlstore

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// FillCategories fills each category slot instant of [now, now+horizon)
// with a copy of one of its category's posts (calendar.RecycledCopy,
// chosen by calendar.Picker), in one transaction.
//
// Idempotent: an instant is filled once (category_fills records it, and its
// primary key makes a second writer's insert do nothing), so a rerun, a
// second daemon, or a person who moved, canceled or deleted the copy never
// gets another post there. An instant some other delivery holds (a post
// placed by hand or by the queue) is left alone, as is one under a
// blackout; neither is recorded, so it is filled once it frees up. A copy
// o.Check refuses is skipped and reported (and an event recorded), and the
// next post in order is tried.
func (s *Store) FillCategories(ctx context.Context, o calendar.FillOptions) (calendar.FillReport, error) {
	rep := calendar.FillReport{Filled: []calendar.FillEntry{}, Skipped: []calendar.FillNotice{}, Empty: []calendar.FillNotice{}}
	now := o.Now
	if now.IsZero() {
		now = s.now()
	}
	horizon := o.Horizon
	if horizon <= 0 {
		horizon = calendar.DefaultFillHorizon
	}
	end := now.Add(horizon)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rep = calendar.FillReport{Filled: []calendar.FillEntry{}, Skipped: []calendar.FillNotice{}, Empty: []calendar.FillNotice{}}
		slots, err := s.categorySlots(ctx, tx, 0)
		if err != nil || len(slots) == 0 {
			return err
		}
		// Every instant to fill, in time order (so the choice of one sees
		// the choices before it).
		var todo []calendar.FillSlot
		for _, sl := range slots {
			for _, t := range sl.sched.Between(now, end, sl.loc, 0) {
				todo = append(todo, calendar.FillSlot{SlotID: sl.ID, ChannelID: sl.ChannelID, Channel: sl.Channel,
					CategoryID: sl.categoryID, Category: sl.Category, At: t.UTC()})
			}
		}
		sort.SliceStable(todo, func(i, j int) bool {
			if !todo[i].At.Equal(todo[j].At) {
				return todo[i].At.Before(todo[j].At)
			}
			return todo[i].SlotID < todo[j].SlotID
		})
		done, err := s.filledInstants(ctx, tx, now, end)
		if err != nil {
			return err
		}
		held, err := s.heldInstants(ctx, tx, now, end)
		if err != nil {
			return err
		}
		blackouts, err := s.blackoutSpans(ctx, tx, now)
		if err != nil {
			return err
		}
		picker, err := s.picker(ctx, tx)
		if err != nil {
			return err
		}
		// A post refused on a channel is refused on that channel for the
		// whole run: its text does not change between two slots.
		type refusal struct{ post, channel int64 }
		refused := map[refusal]bool{}
		originals := map[int64]*calendar.Post{}
		for _, fs := range todo {
			at := ms(fs.At)
			if done[slotAt{fs.SlotID, at}] || held[chanAt{fs.ChannelID, at}] || blackouts.covers(fs.ChannelID, at) {
				continue
			}
			for {
				ep, ok := picker.Pick(fs, func(id int64) bool { return refused[refusal{id, fs.ChannelID}] })
				if !ok {
					rep.Empty = append(rep.Empty, calendar.FillNotice{Channel: fs.Channel, Category: fs.Category, At: fs.At,
						Reason: "no post of the category may fill it (expired, repeated enough, too recent on this channel, or none)"})
					break
				}
				orig := originals[ep.ID]
				if orig == nil {
					p, err := s.postRow(ctx, tx, strconv.FormatInt(ep.ID, 10))
					if err != nil {
						return err
					}
					ps := []calendar.Post{p}
					if err := s.loadChildrenTx(ctx, tx, ps); err != nil {
						return err
					}
					orig = &ps[0]
					originals[ep.ID] = orig
				}
				cp := calendar.RecycledCopy(*orig, fs)
				if err := checkCopy(&cp, o.Check); err != nil {
					refused[refusal{ep.ID, fs.ChannelID}] = true
					rep.Skipped = append(rep.Skipped, calendar.FillNotice{Channel: fs.Channel, Category: fs.Category, At: fs.At, Post: orig.Slug, Reason: err.Error()})
					if !o.DryRun {
						if err := s.event(ctx, tx, calendar.Event{Kind: "category.skipped", PostID: ep.ID, ChannelID: fs.ChannelID,
							Detail: map[string]any{"category": fs.Category, "slot": fs.SlotID, "at": fs.At, "reason": err.Error()}}); err != nil {
							return err
						}
					}
					continue
				}
				if !o.DryRun {
					res, err := tx.ExecContext(ctx, `INSERT INTO category_fills (slot_id, at, filled_at) VALUES (?,?,?) ON CONFLICT (slot_id, at) DO NOTHING`,
						fs.SlotID, at, ms(s.now()))
					if err != nil {
						return err
					}
					if n, _ := res.RowsAffected(); n == 0 {
						break // another fill took it meanwhile
					}
					cp.Slug, err = s.freeSlug(ctx, tx, cp.Slug)
					if err != nil {
						return err
					}
					if err := s.createPostFromTx(ctx, tx, &cp, ep.ID); err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `UPDATE category_fills SET post_id=? WHERE slot_id=? AND at=?`, cp.ID, fs.SlotID, at); err != nil {
						return err
					}
				}
				held[chanAt{fs.ChannelID, at}] = true
				picker.Use(calendar.EvergreenUse{PostID: ep.ID, ChannelID: fs.ChannelID, At: fs.At, Copy: true})
				rep.Filled = append(rep.Filled, calendar.FillEntry{Channel: fs.Channel, Category: fs.Category, At: fs.At, Slug: cp.Slug, From: orig.Slug})
				break
			}
		}
		if o.DryRun {
			return errDryRun
		}
		return nil
	})
	if err == errDryRun {
		err = nil
	}
	return rep, err
}

type dryRunError struct{}

func (dryRunError) Error() string { return "dry run" }

var errDryRun error = dryRunError{}

// checkCopy applies the domain's checks, then the caller's (network
// validation, editorial rules).
func checkCopy(p *calendar.Post, check func(calendar.Post) error) error {
	calendar.NormalizePost(p)
	if err := calendar.CheckPost(p); err != nil {
		return err
	}
	if check != nil {
		return check(*p)
	}
	return nil
}

type slotAt struct{ slot, at int64 }
type chanAt struct{ channel, at int64 }

// filledInstants are the slot instants of the window a fill already handled.
func (s *Store) filledInstants(ctx context.Context, tx *sql.Tx, from, to time.Time) (map[slotAt]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT slot_id, at FROM category_fills WHERE at >= ? AND at < ?`, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[slotAt]bool{}
	for rows.Next() {
		var k slotAt
		if err := rows.Scan(&k.slot, &k.at); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

// heldInstants are the channel instants of the window a live delivery holds.
func (s *Store) heldInstants(ctx context.Context, tx *sql.Tx, from, to time.Time) (map[chanAt]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT channel_id, due_at FROM deliveries WHERE due_at >= ? AND due_at < ? AND status IN `+liveUse, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[chanAt]bool{}
	for rows.Next() {
		var k chanAt
		if err := rows.Scan(&k.channel, &k.at); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

type span struct {
	channel  int64 // 0: every channel
	from, to int64
}

type spans []span

func (bs spans) covers(channel, at int64) bool {
	for _, b := range bs {
		if (b.channel == 0 || b.channel == channel) && at >= b.from && at < b.to {
			return true
		}
	}
	return false
}

func (s *Store) blackoutSpans(ctx context.Context, tx *sql.Tx, now time.Time) (spans, error) {
	rows, err := tx.QueryContext(ctx, `SELECT COALESCE(channel_id, 0), starts_at, ends_at FROM blackouts WHERE ends_at > ?`, ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out spans
	for rows.Next() {
		var b span
		if err := rows.Scan(&b.channel, &b.from, &b.to); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// picker reads the libraries: every category, its posts (in join order,
// with the channels each is limited to) and every use of them so far.
func (s *Store) picker(ctx context.Context, tx *sql.Tx) (*calendar.Picker, error) {
	cats, err := s.categories(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, slug, category_id, created_at, max_repeats, min_gap_ms, expires_at FROM posts
		WHERE category_id IS NOT NULL AND recycled_from IS NULL AND status <> 'canceled' ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	var posts []calendar.EvergreenPost
	idx := map[int64]int{}
	for rows.Next() {
		var ep calendar.EvergreenPost
		var created, gap int64
		var expires sql.NullInt64
		if err := rows.Scan(&ep.ID, &ep.Slug, &ep.CategoryID, &created, &ep.MaxRepeats, &gap, &expires); err != nil {
			rows.Close()
			return nil, err
		}
		ep.JoinedAt, ep.MinGap, ep.ExpiresAt = fromMS(created), time.Duration(gap)*time.Millisecond, fromNullMS(expires)
		idx[ep.ID] = len(posts)
		posts = append(posts, ep)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The channels a library post names limit where it is recycled.
	rows, err = tx.QueryContext(ctx, `SELECT d.post_id, d.channel_id FROM deliveries d JOIN posts p ON p.id = d.post_id
		WHERE p.category_id IS NOT NULL AND p.recycled_from IS NULL`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pid, cid int64
		if err := rows.Scan(&pid, &cid); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[pid]; ok {
			posts[i].Channels = append(posts[i].Channels, cid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Uses: the copies (recycled_from), and the originals' own timed
	// deliveries (they count for the gap, not as repeats).
	var uses []calendar.EvergreenUse
	rows, err = tx.QueryContext(ctx, `SELECT COALESCE(p.recycled_from, p.id), p.recycled_from IS NOT NULL, d.channel_id, d.due_at
		FROM posts p JOIN deliveries d ON d.post_id = p.id
		WHERE (p.recycled_from IS NOT NULL OR p.category_id IS NOT NULL) AND d.due_at IS NOT NULL AND d.status IN `+liveUse)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u calendar.EvergreenUse
		var at int64
		if err := rows.Scan(&u.PostID, &u.Copy, &u.ChannelID, &at); err != nil {
			return nil, err
		}
		u.At = fromMS(at)
		uses = append(uses, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return calendar.NewPicker(cats, posts, uses), nil
}
