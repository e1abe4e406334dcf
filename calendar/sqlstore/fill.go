package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
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
// primary key makes a second writer's claim do nothing), so a rerun, a
// second daemon, or a person who moved, canceled or deleted the copy never
// gets another post there. An instant some other delivery holds (a post
// placed by hand or by the queue) is left alone, as is one under a
// blackout; neither is recorded, so it is filled once it frees up. A copy
// o.Check refuses is skipped and reported (and a category.skipped event
// recorded on the original), and the next post in order is tried.
//
// The copies are written in batches (multi-row inserts, as a load writes
// its new posts), with what createPostTx would write for a new post on one
// channel: the post, its delivery, variant and media, and its
// post.created event.
func (s *Store) FillCategories(ctx context.Context, o calendar.FillOptions) (calendar.FillReport, error) {
	var rep calendar.FillReport
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
		slotIDs := make([]any, 0, len(slots))
		chanIDs := make([]any, 0, len(slots))
		seen := map[int64]bool{}
		for _, sl := range slots {
			slotIDs = append(slotIDs, sl.ID)
			if !seen[sl.ChannelID] {
				seen[sl.ChannelID] = true
				chanIDs = append(chanIDs, sl.ChannelID)
			}
		}
		done, err := s.filledInstants(ctx, tx, slotIDs, now, end)
		if err != nil {
			return err
		}
		held, err := s.heldInstants(ctx, tx, chanIDs, now, end)
		if err != nil {
			return err
		}
		blackouts, err := s.blackoutSpans(ctx, tx, now)
		if err != nil {
			return err
		}
		// Every open instant, in time order (so the choice of one sees the
		// choices before it).
		var todo []fillSlot
		for _, sl := range slots {
			for _, t := range sl.sched.Between(now, end, sl.loc, 0) {
				at := ms(t)
				if done[slotAt{sl.ID, at}] || blackouts.covers(sl.ChannelID, at) {
					continue
				}
				todo = append(todo, fillSlot{FillSlot: calendar.FillSlot{SlotID: sl.ID, ChannelID: sl.ChannelID, Channel: sl.Channel,
					CategoryID: sl.categoryID, Category: sl.Category, At: t.UTC(), Zone: sl.loc}, ch: sl.ch})
			}
		}
		if len(todo) == 0 {
			return nil // the usual run: everything ahead is filled already
		}
		sort.SliceStable(todo, func(i, j int) bool {
			if !todo[i].At.Equal(todo[j].At) {
				return todo[i].At.Before(todo[j].At)
			}
			return todo[i].SlotID < todo[j].SlotID
		})
		picker, err := s.library(ctx, tx, now, end)
		if err != nil {
			return err
		}
		originals := map[int64]*calendar.Post{}
		// A post refused on a channel is refused on that channel for the
		// whole run: its text does not change between two slots.
		type refusal struct{ post, channel int64 }
		refused := map[refusal]bool{}
		var made []fillCopy
		for _, fs := range todo {
			if held[chanAt{fs.ChannelID, ms(fs.At)}] {
				continue
			}
			for {
				ep, ok := picker.Pick(fs.FillSlot, func(id int64) bool { return refused[refusal{id, fs.ChannelID}] })
				if !ok {
					rep.Empty = append(rep.Empty, calendar.FillNotice{Channel: fs.Channel, Category: fs.Category, At: fs.At,
						Reason: "no post of the category may fill it (expired, repeated enough, too recent on this channel, or none)"})
					break
				}
				orig := originals[ep.ID]
				if orig == nil {
					// Read it with the next posts in order: the next picks.
					ids := picker.Ahead(ep.ID, originalsChunk, func(id int64) bool { return originals[id] != nil })
					if err := s.loadOriginals(ctx, tx, ids, originals); err != nil {
						return err
					}
					orig = originals[ep.ID]
				}
				cp := calendar.RecycledCopy(*orig, fs.FillSlot)
				if err := checkCopy(&cp, o.Check); err != nil {
					refused[refusal{ep.ID, fs.ChannelID}] = true
					rep.Skipped = append(rep.Skipped, calendar.FillNotice{Channel: fs.Channel, Category: fs.Category, At: fs.At, Post: orig.Slug, Reason: err.Error()})
					if !o.DryRun {
						if err := s.skippedEvent(ctx, tx, ep.ID, fs, err.Error()); err != nil {
							return err
						}
					}
					continue
				}
				held[chanAt{fs.ChannelID, ms(fs.At)}] = true
				picker.Use(calendar.EvergreenUse{PostID: ep.ID, ChannelID: fs.ChannelID, At: fs.At, Copy: true})
				made = append(made, fillCopy{slot: fs, post: cp, from: orig})
				break
			}
		}
		if !o.DryRun {
			if made, err = s.writeCopies(ctx, tx, made); err != nil {
				return err
			}
		}
		for _, m := range made {
			rep.Filled = append(rep.Filled, calendar.FillEntry{Channel: m.slot.Channel, Category: m.slot.Category, At: m.slot.At, Slug: m.post.Slug, From: m.from.Slug})
		}
		if o.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return rep, err
}

var errDryRun = errors.New("dry run: roll back")

// fillBatch is how many rows one insert of the fill carries: enough to
// save round trips, few enough that each statement parses fast.
const fillBatch = 50

// originalsChunk is how many library posts the fill reads at once.
const originalsChunk = 250

type fillSlot struct {
	calendar.FillSlot
	ch calendar.Channel
}

// fillCopy is one copy the fill makes: for a slot, of an original.
type fillCopy struct {
	slot fillSlot
	post calendar.Post
	from *calendar.Post
}

// skippedEvent records in the original's history that it was skipped on
// a channel, once a day at most: a post every run refuses (the daemon's
// runs every 15 minutes) does not bury the rest of its history.
func (s *Store) skippedEvent(ctx context.Context, tx *sql.Tx, postID int64, fs fillSlot, reason string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE post_id = ? AND kind = 'category.skipped' AND channel_id = ? AND at > ?`,
		postID, fs.ChannelID, ms(s.now().Add(-24*time.Hour))).Scan(&n); err != nil || n > 0 {
		return err
	}
	return s.event(ctx, tx, calendar.Event{Kind: "category.skipped", PostID: postID, ChannelID: fs.ChannelID,
		Detail: map[string]any{"category": fs.Category, "slot": fs.SlotID, "at": fs.At, "reason": reason}})
}

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

// writeCopies writes the copies the fill made and returns those written:
// a slot instant another fill claimed meanwhile is left to it.
func (s *Store) writeCopies(ctx context.Context, tx *sql.Tx, made []fillCopy) ([]fillCopy, error) {
	if len(made) == 0 {
		return nil, nil
	}
	now := ms(s.now())
	// Claim the slot instants first.
	won := map[slotAt]bool{}
	claims := newBatch(ctx, tx, `INSERT INTO category_fills (slot_id, at, filled_at) VALUES `, `(?,?,?)`, 3, fillBatch)
	claims.returning = ` ON CONFLICT (slot_id, at) DO NOTHING RETURNING slot_id, at`
	claims.rows = func(rows *sql.Rows) error {
		for rows.Next() {
			var k slotAt
			if err := rows.Scan(&k.slot, &k.at); err != nil {
				return err
			}
			won[k] = true
		}
		return rows.Err()
	}
	defer claims.close()
	for _, m := range made {
		if err := claims.add(m.slot.SlotID, ms(m.slot.At), now); err != nil {
			return nil, err
		}
	}
	if err := claims.flush(); err != nil {
		return nil, err
	}
	kept := made[:0]
	for _, m := range made {
		if won[slotAt{m.slot.SlotID, ms(m.slot.At)}] {
			kept = append(kept, m)
		}
	}
	made = kept
	if err := s.freeCopySlugs(ctx, tx, made); err != nil {
		return nil, err
	}
	campaigns := map[string]int64{}
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM campaigns`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			rows.Close()
			return nil, err
		}
		campaigns[name] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	bySlug := make(map[string]*fillCopy, len(made))
	posts := newBatch(ctx, tx, `INSERT INTO posts (slug, title, body, link, excerpt, campaign_id, author, tags, thread, status, publish_at,
		source, auto_thread, recycled_from, queued, approved_by, content_hash, version, created_at, updated_at) VALUES `,
		`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'','',1,?,?)`, 16, fillBatch)
	posts.returning = ` RETURNING id, slug`
	posts.rows = func(rows *sql.Rows) error {
		for rows.Next() {
			var id int64
			var slug string
			if err := rows.Scan(&id, &slug); err != nil {
				return err
			}
			if m := bySlug[slug]; m != nil {
				m.post.ID = id
			}
		}
		return rows.Err()
	}
	defer posts.close()
	for i := range made {
		m := &made[i]
		p := &m.post
		bySlug[p.Slug] = m
		p.Status = calendar.SettleStatus(calendar.StatusScheduled, p.PublishAt, false, m.slot.ch.RequireApproval)
		if p.Author == "" {
			p.Author = s.Actor
		}
		var campaignID any
		if id, ok := campaigns[p.Campaign]; ok && p.Campaign != "" {
			campaignID = id
		}
		if err := posts.add(p.Slug, p.Title, p.Body, p.Link, p.Excerpt, campaignID, p.Author, jsonList(p.Tags), jsonList(p.Thread),
			p.Status, msPtr(p.PublishAt), p.Source, p.AutoThread, m.from.ID, now, now); err != nil {
			return nil, err
		}
	}
	if err := posts.flush(); err != nil {
		return nil, err
	}
	deliveries := newBatch(ctx, tx, `INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at) VALUES `,
		`(?,?,'pending',?,?,?,?)`, 6, fillBatch)
	variants := newBatch(ctx, tx, `INSERT INTO post_variants (post_id, channel_id, body) VALUES `, `(?,?,?)`, 3, fillBatch)
	media := newBatch(ctx, tx, `INSERT INTO post_media (post_id, position, path, alt) VALUES `, `(?,?,?,?)`, 4, fillBatch)
	events := newBatch(ctx, tx, `INSERT INTO events (at, actor, kind, post_id, channel_id, detail) VALUES `, `(?,?,'post.created',?,?,?)`, 5, fillBatch)
	fills := newBatch(ctx, tx, `INSERT INTO category_fills (slot_id, at, post_id, filled_at) VALUES `, `(?,?,?,?)`, 4, fillBatch)
	fills.returning = ` ON CONFLICT (slot_id, at) DO UPDATE SET post_id = excluded.post_id`
	batches := []*batch{deliveries, variants, media, events, fills}
	defer func() {
		for _, b := range batches {
			b.close()
		}
	}()
	// The deliveries' idempotency keys (as newKey makes them), read from
	// the system at once rather than one call each.
	keys := make([]byte, 16*len(made))
	if _, err := rand.Read(keys); err != nil {
		return nil, err
	}
	type createdDetail struct {
		Slug         string   `json:"slug"`
		Status       string   `json:"status"`
		Channels     []string `json:"channels"`
		RecycledFrom string   `json:"recycled_from"`
		Category     string   `json:"category"`
	}
	for i, m := range made {
		p := &m.post
		if p.ID == 0 {
			return nil, errors.New("fill: a copy got no id")
		}
		ch := m.slot.ch
		var runAt any
		if p.Status == calendar.StatusScheduled {
			runAt = ms(*p.PublishAt)
		}
		if err := deliveries.add(p.ID, ch.ID, ms(*p.PublishAt), runAt, hex.EncodeToString(keys[16*i:16*i+16]), now); err != nil {
			return nil, err
		}
		if v, ok := p.Variants[ch.Name]; ok {
			if err := variants.add(p.ID, ch.ID, v); err != nil {
				return nil, err
			}
		}
		for j, md := range p.Media {
			if err := media.add(p.ID, j, md.Path, md.Alt); err != nil {
				return nil, err
			}
		}
		detail, err := json.Marshal(createdDetail{Slug: p.Slug, Status: p.Status, Channels: p.Channels, RecycledFrom: m.from.Slug, Category: m.slot.Category})
		if err != nil {
			return nil, err
		}
		if err := events.add(now, s.Actor, p.ID, ch.ID, string(detail)); err != nil {
			return nil, err
		}
		if err := fills.add(m.slot.SlotID, ms(m.slot.At), p.ID, now); err != nil {
			return nil, err
		}
	}
	for _, b := range batches {
		if err := b.flush(); err != nil {
			return nil, err
		}
	}
	return made, nil
}

// freeCopySlugs makes each copy's slug unique: the usual one (original,
// channel, time) unless a post has it already, then numbered.
func (s *Store) freeCopySlugs(ctx context.Context, tx *sql.Tx, made []fillCopy) error {
	taken := map[string]bool{}
	const chunk = 400
	for i := 0; i < len(made); i += chunk {
		part := made[i:min(i+chunk, len(made))]
		args := make([]any, len(part))
		for j := range part {
			args[j] = part[j].post.Slug
		}
		names, err := queryNames(ctx, tx, `SELECT slug FROM posts WHERE slug IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return err
		}
		for _, n := range names {
			taken[n] = true
		}
	}
	for i := range made {
		p := &made[i].post
		if !taken[p.Slug] {
			taken[p.Slug] = true
			continue
		}
		base := p.Slug
		for n := 2; ; n++ {
			slug := base + "-" + strconv.Itoa(n)
			if taken[slug] {
				continue
			}
			var c int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE slug = ?`, slug).Scan(&c); err != nil {
				return err
			}
			if c == 0 {
				p.Slug = slug
				taken[slug] = true
				break
			}
		}
	}
	return nil
}

type slotAt struct{ slot, at int64 }
type chanAt struct{ channel, at int64 }

// filledInstants are the instants of the window a fill already handled, of
// these slots (read through the primary key, not the whole history).
func (s *Store) filledInstants(ctx context.Context, tx *sql.Tx, slotIDs []any, from, to time.Time) (map[slotAt]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT slot_id, at FROM category_fills WHERE slot_id IN (`+placeholders(len(slotIDs))+`) AND at >= ? AND at < ?`,
		append(slotIDs, ms(from), ms(to))...)
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

// heldInstants are the instants of the window a delivery still to publish
// (pending, publishing, held) holds on these channels: read through the
// (channel, status) index, so the calendar's published history is not
// walked (a delivery is published at or after its time: none of the
// published ones is ahead).
func (s *Store) heldInstants(ctx context.Context, tx *sql.Tx, chanIDs []any, from, to time.Time) (map[chanAt]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT channel_id, due_at FROM deliveries WHERE channel_id IN (`+placeholders(len(chanIDs))+`)
		AND status IN ('pending','publishing','held') AND due_at >= ? AND due_at < ?`, append(chanIDs, ms(from), ms(to))...)
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

// library reads the libraries: every category, its posts in join order
// (their ids: the order they were written in) with their copies counted,
// the channels each is limited to, and their uses within the longest min
// gap of the window [from, to) — not the whole history, which grows with
// every fill.
func (s *Store) library(ctx context.Context, tx *sql.Tx, from, to time.Time) (*calendar.Picker, error) {
	cats, err := s.categories(ctx, tx)
	if err != nil {
		return nil, err
	}
	var gap time.Duration
	for _, c := range cats {
		gap = max(gap, c.MinGap)
	}
	const members = ` FROM posts WHERE category_id IS NOT NULL AND recycled_from IS NULL AND status <> 'canceled'`
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*)`+members).Scan(&n); err != nil {
		return nil, err
	}
	// Through the category index; sorted below (an ORDER BY id would walk
	// the whole posts table).
	rows, err := tx.QueryContext(ctx, `SELECT id, category_id, max_repeats, min_gap_ms, expires_at`+members)
	if err != nil {
		return nil, err
	}
	eps := make([]calendar.EvergreenPost, 0, n)
	idx := make(map[int64]int, n)
	for rows.Next() {
		var ep calendar.EvergreenPost
		var gapMS int64
		var expires sql.NullInt64
		if err := rows.Scan(&ep.ID, &ep.CategoryID, &ep.MaxRepeats, &gapMS, &expires); err != nil {
			rows.Close()
			return nil, err
		}
		ep.MinGap, ep.ExpiresAt = time.Duration(gapMS)*time.Millisecond, fromNullMS(expires)
		gap = max(gap, ep.MinGap)
		eps = append(eps, ep)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(eps, func(i, j int) bool { return eps[i].ID < eps[j].ID })
	for i := range eps {
		idx[eps[i].ID] = i
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
			eps[i].Channels = append(eps[i].Channels, cid)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Each post's copies so far, and the latest.
	rows, err = tx.QueryContext(ctx, `SELECT p.recycled_from, count(*), max(d.due_at) FROM posts p JOIN deliveries d ON d.post_id = p.id
		WHERE p.recycled_from IS NOT NULL AND d.due_at IS NOT NULL AND d.status IN `+liveUse+` GROUP BY p.recycled_from`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pid, last int64
		var n int
		if err := rows.Scan(&pid, &n, &last); err != nil {
			rows.Close()
			return nil, err
		}
		if i, ok := idx[pid]; ok {
			eps[i].Copies, eps[i].LastUse = n, fromMS(last)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Uses near the window, copies and the originals' own timed deliveries
	// alike, for the gaps (and a post published by hand is recent too).
	var uses []calendar.EvergreenUse
	// (Two parts, each through its index: copies, then originals.)
	lo, hi := ms(from.Add(-gap)), ms(to.Add(gap))
	// (CROSS JOIN: SQLite then reads posts first, through their index,
	// never the whole deliveries table; other engines plan it freely.)
	rows, err = tx.QueryContext(ctx, `SELECT p.recycled_from, d.channel_id, d.due_at FROM posts p CROSS JOIN deliveries d
		WHERE d.post_id = p.id AND p.recycled_from IS NOT NULL AND d.due_at >= ? AND d.due_at < ? AND d.status IN `+liveUse+`
		UNION ALL
		SELECT p.id, d.channel_id, d.due_at FROM posts p CROSS JOIN deliveries d
		WHERE d.post_id = p.id AND p.category_id IS NOT NULL AND p.recycled_from IS NULL AND d.due_at >= ? AND d.due_at < ? AND d.status IN `+liveUse,
		lo, hi, lo, hi)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var u calendar.EvergreenUse
		var at int64
		if err := rows.Scan(&u.PostID, &u.ChannelID, &at); err != nil {
			return nil, err
		}
		u.At = fromMS(at)
		uses = append(uses, u)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return calendar.NewPicker(cats, eps, uses), nil
}

// loadOriginals reads whole posts (what a copy takes from them: text,
// channels, variants, media) by id into into.
func (s *Store) loadOriginals(ctx context.Context, tx *sql.Tx, ids []int64, into map[int64]*calendar.Post) error {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	in := `(` + placeholders(len(ids)) + `)`
	rows, err := tx.QueryContext(ctx, `SELECT `+postCols+postFrom+` WHERE p.id IN `+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			rows.Close()
			return err
		}
		p.Channels, p.Variants, p.Media = []string{}, map[string]string{}, []calendar.Media{}
		into[p.ID] = &p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT x.post_id, ch.name FROM deliveries x JOIN channels ch ON ch.id = x.channel_id WHERE x.post_id IN `+in+` ORDER BY ch.name`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var pid int64
		var name string
		if err := rows.Scan(&pid, &name); err != nil {
			rows.Close()
			return err
		}
		into[pid].Channels = append(into[pid].Channels, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return readVariantsAndMedia(ctx, tx, in, args, func(id int64) *calendar.Post { return into[id] })
}
