package sqlstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	calendar "github.com/crieur/crieur/calendar"
)

// loadWriter writes a plan in one transaction, a chunk at a time, while
// later chunks are still read and planned. New posts go in by batched
// multi-row inserts, their ids assigned by the database, writing exactly the
// rows CreatePost would; updates go through updatePostTx, so versions are
// bumped and deliveries re-timed the way every edit does it, and the daemon
// sees the change at its next claim. Nothing is visible before the commit.
type loadWriter struct {
	s    *Store
	conn *sql.Conn
	tx   *sql.Tx
	pg   *pgLoad // PostgreSQL: rows go in by COPY on conn
	// categories are the ids of the categories the load's new posts name,
	// read once per load (no write can delete one while the load holds
	// the write lock).
	categories map[string]int64
}

// beginLoad opens the load's transaction (it holds the write lock from its
// start).
func (s *Store) beginLoad(ctx context.Context) (*loadWriter, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if s.dia.pg {
		tx, err := conn.BeginTx(ctx, nil)
		if err == nil {
			if err = s.lockWrites(ctx, tx); err != nil {
				_ = tx.Rollback()
			}
		}
		if err != nil {
			conn.Close()
			return nil, err
		}
		return &loadWriter{s: s, conn: conn, tx: tx, pg: &pgLoad{conn: conn}, categories: map[string]int64{}}, nil
	}
	// A larger page cache keeps the indexes of a big load in memory; the
	// connection goes back to the pool with the default restored.
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -8192`); err != nil {
		conn.Close()
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`)
		conn.Close()
		return nil, err
	}
	return &loadWriter{s: s, conn: conn, tx: tx, categories: map[string]int64{}}, nil
}

// end commits the load when commit is true, else rolls it back.
func (w *loadWriter) end(ctx context.Context, commit bool) error {
	var err error
	if commit {
		err = w.tx.Commit()
	} else {
		_ = w.tx.Rollback()
	}
	if !w.s.dia.pg {
		_, _ = w.conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) // best effort
	}
	w.conn.Close()
	return err
}

// beforeLoadWrite, when set (tests only), runs in the load's transaction
// before each chunk is written: it stands for another writer changing the
// calendar between the load's plan and its write.
var beforeLoadWrite func(ctx context.Context, tx *sql.Tx) error

// write writes one planned chunk: its new campaigns, then its posts.
func (w *loadWriter) write(ctx context.Context, campaigns []*calendar.PlannedCampaign, posts []*calendar.PlannedPost) error {
	if beforeLoadWrite != nil {
		if err := beforeLoadWrite(ctx, w.tx); err != nil {
			return err
		}
	}
	err := w.writeChunk(ctx, campaigns, posts)
	if isUnique(err) {
		if ce := w.slugsTaken(ctx, posts); ce != nil {
			return ce
		}
		return fmt.Errorf("a post with one of the load's slugs was created while it ran; run it again: %w", calendar.ErrConflict)
	}
	return err
}

// slugsTaken names, at their rows, the new posts of a chunk whose slug
// another writer took while the load ran (their insert failed): nil when
// it cannot tell. On SQLite the failed statement alone is undone and the
// load's transaction can still be read; on PostgreSQL it is aborted, and
// the other writer's post, committed, is read outside it.
func (w *loadWriter) slugsTaken(ctx context.Context, posts []*calendar.PlannedPost) error {
	var q queryer = w.tx
	if w.s.dia.pg {
		q = w.s.db
	}
	bySlug := map[string]*calendar.PlannedPost{}
	var args []any
	for _, pp := range posts {
		if pp.Action == calendar.ActionCreate && pp.ID == 0 { // not written by this load
			bySlug[pp.Post.Slug] = pp
			args = append(args, pp.Post.Slug)
		}
	}
	if len(args) == 0 {
		return nil
	}
	ce := &calendar.ConflictError{}
	for start := 0; start < len(args); start += 500 {
		part := args[start:min(start+500, len(args))]
		taken, err := queryNames(ctx, q, `SELECT slug FROM posts WHERE slug IN (?`+strings.Repeat(",?", len(part)-1)+`) ORDER BY slug`, part...)
		if err != nil {
			return nil
		}
		for _, slug := range taken {
			pp := bySlug[slug]
			ce.Problems = append(ce.Problems, calendar.FieldError{File: pp.Src.File, Line: pp.Src.Line, Field: "slug",
				Message: "post " + strconv.Quote(slug) + " was created by someone else while the load ran; run the load again"})
		}
	}
	if len(ce.Problems) == 0 {
		return nil
	}
	sortProblems(ce.Problems)
	return ce
}

func (w *loadWriter) writeChunk(ctx context.Context, campaigns []*calendar.PlannedCampaign, posts []*calendar.PlannedPost) error {
	s, tx := w.s, w.tx
	if err := s.writeCampaigns(ctx, tx, campaigns); err != nil {
		return err
	}
	var creates, updates []*calendar.PlannedPost
	for _, pp := range posts {
		switch pp.Action {
		case calendar.ActionCreate:
			creates = append(creates, pp)
		case calendar.ActionUpdate:
			updates = append(updates, pp)
		}
	}
	if err := s.createMany(ctx, tx, w.pg, w.categories, creates); err != nil {
		return err
	}
	for _, pp := range creates {
		if pp.Post.HasExtras() {
			if err := s.applyExtrasTx(ctx, tx, pp.ID, &pp.Post, true); err != nil {
				return err
			}
		}
	}
	for _, pp := range updates {
		p := *pp.Old
		n := pp.Post.AsPost(pp.Source())
		p.Title, p.Body, p.Link, p.Excerpt, p.Campaign = n.Title, n.Body, n.Link, n.Excerpt, n.Campaign
		p.Tags, p.Channels, p.Variants, p.Media, p.Thread, p.AutoThread = n.Tags, n.Channels, n.Variants, n.Media, n.Thread, n.AutoThread
		p.PublishAt, p.Queued, p.Source = n.PublishAt, len(pp.Post.Times) > 0, n.Source
		p.Category, p.MaxRepeats, p.MinGap, p.ExpiresAt = n.Category, n.MaxRepeats, n.MinGap, n.ExpiresAt
		if calendar.StatusClass(p.Status) != calendar.StatusClass(n.Status) {
			p.Status = n.Status
		}
		p.ContentHash = storedHash(pp.Hash, p.Version+1)
		if err := s.updatePostTx(ctx, tx, &p, "post.loaded"); err != nil {
			return rowConflict(pp, err)
		}
		if p.Queued {
			if err := s.applyExtrasTx(ctx, tx, p.ID, &pp.Post, false); err != nil {
				return err
			}
		}
	}
	for _, pp := range posts {
		if pp.Refresh {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET content_hash=? WHERE id=? AND version=?`, storedHash(pp.Hash, pp.Version), pp.ID, pp.Version); err != nil {
				return err
			}
		}
	}
	return nil
}

// rowConflict is err, a conflict met writing pp (the post changed since the
// plan read it: another writer won the race), as the load reports every
// problem: at the file and line of pp's row. Other errors are unchanged.
func rowConflict(pp *calendar.PlannedPost, err error) error {
	var ce *calendar.ConflictError
	if !errors.Is(err, calendar.ErrConflict) || errors.As(err, &ce) {
		return err
	}
	return &calendar.ConflictError{Problems: []calendar.FieldError{{File: pp.Src.File, Line: pp.Src.Line, Field: "slug",
		Message: "post " + strconv.Quote(pp.Post.Slug) + " was changed by someone else while the load ran; run the load again"}}}
}

func (s *Store) writeCampaigns(ctx context.Context, tx *sql.Tx, campaigns []*calendar.PlannedCampaign) error {
	now := ms(s.now())
	for _, pc := range campaigns {
		c := &pc.C
		switch pc.Action {
		case calendar.ActionCreate:
			err := tx.QueryRowContext(ctx, `INSERT INTO campaigns (name, starts_on, ends_on, utm, color, created_at, updated_at) VALUES (?,?,?,?,?,?,?) RETURNING id`,
				c.Name, c.StartsOn, c.EndsOn, jsonText(calendar.NonNil(c.UTM)), c.Color, now, now).Scan(&pc.Created)
			if err != nil {
				if isUnique(err) {
					return &calendar.ConflictError{Problems: []calendar.FieldError{{File: pc.File, Line: pc.Line, Field: "campaign", Message: "campaign " + strconv.Quote(c.Name) + " was created while the load ran; run it again"}}}
				}
				return err
			}
			if err := s.event(ctx, tx, calendar.Event{Kind: "campaign.added", Detail: map[string]any{"name": c.Name}}); err != nil {
				return err
			}
		case calendar.ActionUpdate:
			if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET starts_on=?, ends_on=?, utm=?, color=?, updated_at=? WHERE id=?`,
				c.StartsOn, c.EndsOn, jsonText(calendar.NonNil(c.UTM)), c.Color, now, c.ID); err != nil {
				return err
			}
			if err := s.event(ctx, tx, calendar.Event{Kind: "campaign.edited", Detail: map[string]any{"name": c.Name, "changes": pc.Changes}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// newPostStatus is the status settleStatusTx gives a post just created.
// An editorial rule that wants the post approved (require_approval) sends
// it to review as a channel's approval does.
func (s *Store) newPostStatus(p *calendar.LoadPost, chans []*calendar.Channel, source string) string {
	needsApproval := false
	if s.Rules != nil {
		post := p.AsPost(source)
		nets := make(map[string]string, len(chans))
		for _, c := range chans {
			nets[c.Name] = c.Network
		}
		needsApproval = s.Rules.NeedsApproval(&post, nets) != ""
	}
	for _, c := range chans {
		needsApproval = needsApproval || c.RequireApproval
	}
	return calendar.SettleStatus(p.Status, p.PublishAt, false, needsApproval)
}

// createMany inserts new posts with their variants, media, deliveries and
// events. Posts go in by batched multi-row inserts, the database assigning
// their ids (read back with RETURNING, by slug: two loads never compute the
// same id); deliveries and events are derived inside SQLite from the posts
// just written, one statement each, for runs of consecutive posts on the
// same channels (a big load is mostly one run), so no per-row values cross
// into the database for them. On PostgreSQL (pg set) every row goes in by
// COPY instead (createManyPG). categories caches category ids by name.
func (s *Store) createMany(ctx context.Context, tx *sql.Tx, pg *pgLoad, categories map[string]int64, creates []*calendar.PlannedPost) error {
	if len(creates) == 0 {
		return nil
	}
	for _, pp := range creates {
		if name := pp.Post.Category; name != "" && categories[name] == 0 {
			id, err := s.categoryID(ctx, tx, name) // deleted since the plan read it: not found
			if err != nil {
				return err
			}
			categories[name] = id.(int64)
		}
	}
	if pg != nil {
		return s.createManyPG(ctx, pg, categories, creates)
	}
	now := strconv.FormatInt(ms(s.now()), 10)
	pending := make(map[string]*calendar.PlannedPost, 200)
	posts := newBatch(ctx, tx, `INSERT INTO posts (slug, title, body, link, excerpt, campaign_id, author, tags, thread,
		status, publish_at, source, content_hash, auto_thread, category_id, max_repeats, min_gap_ms, expires_at, queued, approved_by, version, created_at, updated_at) VALUES `,
		`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'',1,`+now+`,`+now+`)`, 18, 200)
	posts.returning = ` RETURNING id, slug`
	posts.rows = func(rows *sql.Rows) error {
		for rows.Next() {
			var id int64
			var slug string
			if err := rows.Scan(&id, &slug); err != nil {
				return err
			}
			if pp := pending[slug]; pp != nil {
				pp.ID = id
				delete(pending, slug)
			}
		}
		return rows.Err()
	}
	variants := newBatch(ctx, tx, `INSERT INTO post_variants (post_id, channel_id, body) VALUES `, `(?,?,?)`, 3, 300)
	media := newBatch(ctx, tx, `INSERT INTO post_media (post_id, position, path, alt) VALUES `, `(?,?,?,?)`, 4, 300)
	defer func() {
		for _, b := range []*batch{posts, variants, media} {
			b.close()
		}
	}()
	for _, pp := range creates {
		p := &pp.Post
		status := s.newPostStatus(p, pp.Chans, pp.Source())
		var categoryID any
		if p.Category != "" {
			categoryID = categories[p.Category]
		}
		var campaignID any
		if pp.Camp != nil {
			campaignID = pp.Camp.C.ID
			if pp.Camp.Created != 0 {
				campaignID = pp.Camp.Created
			}
		}
		pending[p.Slug] = pp
		if err := posts.add(p.Slug, p.Title, p.Body, p.Link, p.Excerpt, campaignID, s.Actor,
			jsonList(p.Tags), jsonList(p.Thread), status, msPtr(p.PublishAt), pp.Source(), storedHash(pp.Hash, 1), p.AutoThread,
			categoryID, p.MaxRepeats, p.MinGap.Milliseconds(), msPtr(p.ExpiresAt)); err != nil {
			return err
		}
	}
	if err := posts.flush(); err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("load: %d new posts got no id", len(pending))
	}
	var runs calendar.RunList
	for _, pp := range creates {
		p := &pp.Post
		for _, c := range pp.Chans {
			if v, ok := p.Variants[c.Name]; ok {
				if err := variants.add(pp.ID, c.ID, v); err != nil {
					return err
				}
			}
		}
		for j, m := range p.Media {
			if err := media.add(pp.ID, j, m.Path, m.Alt); err != nil {
				return err
			}
		}
		runs.Add(pp.ID, pp.Chans)
	}
	for _, b := range []*batch{variants, media} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	runJSON := runs.JSON()
	// What settleStatusTx decides for a new post, per channel: canceled posts'
	// deliveries are canceled; a scheduled post's are runnable at its time
	// unless the channel wants approval; others wait without a run time.
	// (PostgreSQL: copyDeliveriesEvents writes the same rows.)
	deliveriesQ, eventsQ := `INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
		SELECT p.id, ch.id,
			CASE WHEN p.status = 'canceled' THEN 'canceled' ELSE 'pending' END,
			CASE WHEN p.status = 'canceled' THEN NULL ELSE p.publish_at END,
			CASE WHEN p.status = 'scheduled' AND ch.require_approval = 0 THEN p.publish_at END,
			lower(hex(randomblob(16))), `+now+`
		FROM json_each(?) r
		JOIN posts p ON p.id BETWEEN r.value->>0 AND r.value->>1
		JOIN json_each(r.value->2) rc
		JOIN channels ch ON ch.id = rc.value`, `INSERT INTO events (at, actor, kind, post_id, detail)
		SELECT `+now+`, ?, 'post.created', p.id, json_object('channels', json(r.value->3), 'slug', p.slug, 'status', p.status)
		FROM json_each(?) r
		JOIN posts p ON p.id BETWEEN r.value->>0 AND r.value->>1`
	if _, err := tx.ExecContext(ctx, deliveriesQ, runJSON); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, eventsQ, s.Actor, runJSON); err != nil {
		return err
	}
	return nil
}

// reservePostIDs takes from the posts' identity an id for each new post of
// a planned chunk (PostgreSQL), in the load's order, so that the writer
// sends the posts by COPY with their ids and reads nothing back: one
// statement a chunk, run beside the writer, not in its transaction (ids
// taken by a load that fails are skipped, as the identity skips those of
// any rolled-back insert).
func (s *Store) reservePostIDs(ctx context.Context, posts []*calendar.PlannedPost) error {
	n := 0
	for _, pp := range posts {
		if pp.Action == calendar.ActionCreate {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `WITH q AS MATERIALIZED (SELECT pg_get_serial_sequence('posts', 'id')::regclass AS seq)
		SELECT nextval(q.seq) FROM q, generate_series(1, ?)`, n)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := make([]int64, 0, n)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(ids) != n {
		return fmt.Errorf("load: %d post ids reserved for %d new posts", len(ids), n)
	}
	slices.Sort(ids)
	for _, pp := range posts {
		if pp.Action == calendar.ActionCreate {
			pp.NewID, ids = ids[0], ids[1:]
		}
	}
	return nil
}

// createManyPG writes new posts by COPY on the load's connection, in its
// transaction, with the ids reserved for them (reservePostIDs), then their
// variants, media, deliveries and post.created events: the very rows the
// SQLite statements of createMany write, one delivery per channel of a post
// still in the calendar (approval as the channel has it now, under the write
// lock), one event per post. The statements of a chunk are its COPYs, a
// round trip each, and nothing is read back.
func (s *Store) createManyPG(ctx context.Context, pg *pgLoad, categories map[string]int64, creates []*calendar.PlannedPost) error {
	approval, err := pg.channelApproval(ctx, pg.conn)
	if err != nil {
		return err
	}
	now := ms(s.now())
	statuses := make([]string, len(creates))
	for i, pp := range creates {
		if pp.NewID == 0 {
			return fmt.Errorf("load: new post %q got no id", pp.Post.Slug)
		}
		statuses[i] = s.newPostStatus(&pp.Post, pp.Chans, pp.Source())
	}
	// The deliveries and events are made while the posts go in, and the
	// posts' rows as the server reads them: the server does not wait for
	// the rows between one COPY and the next.
	if pg.posts == nil { // the rows' buffers, kept from chunk to chunk
		pg.posts = newPGCopy("posts", "id", "slug", "title", "body", "link", "excerpt", "campaign_id", "author", "tags", "thread",
			"status", "publish_at", "source", "content_hash", "auto_thread", "category_id", "max_repeats", "min_gap_ms", "expires_at",
			"queued", "approved_by", "version", "created_at", "updated_at")
		pg.variants = newPGCopy("post_variants", "post_id", "channel_id", "body")
		pg.media = newPGCopy("post_media", "post_id", "position", "path", "alt")
		pg.deliveries = newPGCopy("deliveries", "post_id", "channel_id", "status", "due_at", "run_at", "idempotency_key", "updated_at")
		pg.events = newPGCopy("events", "at", "actor", "kind", "post_id", "detail")
	}
	posts, variants, media, deliveries, events := pg.posts, pg.variants, pg.media, pg.deliveries, pg.events
	made := make(chan error, 1)
	go func() { made <- s.deliveryRows(deliveries, events, creates, statuses, approval, now) }()
	i := 0
	err = posts.stream(ctx, pg.conn, func() bool {
		if i == len(creates) {
			return false
		}
		pp := creates[i]
		p := &pp.Post
		posts.int(pp.NewID).text(p.Slug).text(p.Title).text(p.Body).text(p.Link).text(p.Excerpt)
		switch {
		case pp.Camp == nil:
			posts.null()
		case pp.Camp.Created != 0:
			posts.int(pp.Camp.Created)
		default:
			posts.int(pp.Camp.C.ID)
		}
		posts.text(s.Actor).text(jsonList(p.Tags)).text(jsonList(p.Thread)).text(statuses[i]).instant(p.PublishAt).
			text(pp.Source()).text(storedHash(pp.Hash, 1)).flag(p.AutoThread)
		if p.Category != "" {
			posts.int(categories[p.Category])
		} else {
			posts.null()
		}
		posts.int(int64(p.MaxRepeats)).int(p.MinGap.Milliseconds()).instant(p.ExpiresAt).
			int(0).text("").int(1).int(now).int(now).end()
		i++
		return true
	})
	if merr := <-made; err == nil {
		err = merr
	}
	if err != nil {
		return err
	}
	for _, pp := range creates {
		pp.ID = pp.NewID
	}
	for _, pp := range creates {
		p := &pp.Post
		for _, c := range pp.Chans {
			if v, ok := p.Variants[c.Name]; ok {
				variants.int(pp.ID).int(c.ID).text(v).end()
			}
		}
		for j, m := range p.Media {
			media.int(pp.ID).int(int64(j)).text(m.Path).text(m.Alt).end()
		}
	}
	for _, c := range []*pgCopy{variants, media} {
		if err := c.send(ctx, pg.conn); err != nil {
			return err
		}
	}
	if err := deliveries.send(ctx, pg.conn); err != nil {
		return err
	}
	return events.send(ctx, pg.conn)
}

// deliveryRows makes the COPY rows of the deliveries and post.created
// events of new posts (ids reserved, statuses as written).
func (s *Store) deliveryRows(deliveries, events *pgCopy, creates []*calendar.PlannedPost, statuses []string, approval map[int64]bool, now int64) error {
	// The idempotency keys, made as newKey makes them (16 random bytes in
	// lower-case hex), read from the system at once.
	n := 0
	for _, pp := range creates {
		n += len(pp.Chans)
	}
	keys := make([]byte, 16*n)
	if _, err := rand.Read(keys); err != nil {
		return err
	}
	var names string // the channel names' JSON of chans
	var chans []*calendar.Channel
	var key [32]byte
	k := 0
	for i, pp := range creates {
		status, publishAt := statuses[i], pp.Post.PublishAt
		for _, c := range pp.Chans {
			hex.Encode(key[:], keys[16*k:16*k+16])
			k++
			needsApproval, ok := approval[c.ID]
			if !ok {
				continue // deleted since the plan read it
			}
			deliveries.int(pp.NewID).int(c.ID)
			switch {
			case status == calendar.StatusCanceled:
				deliveries.text(calendar.DeliveryCanceled).null().null()
			case status == calendar.StatusScheduled && !needsApproval:
				deliveries.text(calendar.DeliveryPending).instant(publishAt).instant(publishAt)
			default:
				deliveries.text(calendar.DeliveryPending).instant(publishAt).null()
			}
			deliveries.bytes(key[:]).int(now).end()
		}
		if i == 0 || !slices.Equal(chans, pp.Chans) {
			chans, names = pp.Chans, channelNamesJSON(pp.Chans)
		}
		events.int(now).text(s.Actor).text("post.created").int(pp.NewID).
			text(`{"channels":` + names + `,"slug":` + pgJSONString(pp.Post.Slug) + `,"status":` + pgJSONString(status) + `}`).end()
	}
	return nil
}

// pgCopy is rows in COPY's text format, sent to PostgreSQL in one COPY
// statement: one round trip, no description of the table asked first (as
// pgx's binary COPY does), no value boxed per column. Each value is
// followed by a tab; end turns the row's last tab into its newline.
type pgCopy struct {
	head string // COPY table (columns) FROM STDIN
	buf  []byte
	rows int
}

func newPGCopy(table string, cols ...string) *pgCopy {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pgx.Identifier{c}.Sanitize()
	}
	return &pgCopy{head: "COPY " + pgx.Identifier{table}.Sanitize() + " (" + strings.Join(quoted, ", ") + ") FROM STDIN"}
}

// text adds a text value: the backslash and the characters that end a
// value or a row are escaped, the rest goes as it is.
func (c *pgCopy) text(v string) *pgCopy {
	for i := 0; i < len(v); i++ {
		switch b := v[i]; b {
		case '\\':
			c.buf = append(c.buf, '\\', '\\')
		case '\n':
			c.buf = append(c.buf, '\\', 'n')
		case '\r':
			c.buf = append(c.buf, '\\', 'r')
		case '\t':
			c.buf = append(c.buf, '\\', 't')
		default:
			c.buf = append(c.buf, b)
		}
	}
	c.buf = append(c.buf, '\t')
	return c
}

// bytes adds a text value that needs no escaping (hex digits).
func (c *pgCopy) bytes(v []byte) *pgCopy {
	c.buf = append(append(c.buf, v...), '\t')
	return c
}

func (c *pgCopy) int(v int64) *pgCopy {
	c.buf = append(strconv.AppendInt(c.buf, v, 10), '\t')
	return c
}

// flag adds a flag column's value: an integer, 0 or 1, as on SQLite.
func (c *pgCopy) flag(v bool) *pgCopy {
	if v {
		return c.int(1)
	}
	return c.int(0)
}

func (c *pgCopy) null() *pgCopy {
	c.buf = append(c.buf, '\\', 'N', '\t')
	return c
}

// instant adds a time as the columns hold it (ms), or NULL.
func (c *pgCopy) instant(t *time.Time) *pgCopy {
	if t == nil {
		return c.null()
	}
	return c.int(ms(*t))
}

func (c *pgCopy) end() {
	c.buf[len(c.buf)-1] = '\n'
	c.rows++
}

// send sends the rows by COPY on conn (the connection of the load's
// transaction, so they are in it); no rows, no statement.
func (c *pgCopy) send(ctx context.Context, conn *sql.Conn) error {
	if c.rows == 0 {
		return nil
	}
	err := onPgx(conn, func(pc *pgx.Conn) error {
		_, err := pc.PgConn().CopyFrom(ctx, bytes.NewReader(c.buf), c.head)
		return err
	})
	c.buf, c.rows = c.buf[:0], 0
	return err
}

// stream sends by COPY on conn the rows next adds, one at a time, made as
// the server reads them (next says false when there are no more). next
// runs on pgx's goroutine that feeds the COPY, never after stream returns.
func (c *pgCopy) stream(ctx context.Context, conn *sql.Conn, next func() bool) error {
	r := &copyReader{c: c, next: next, more: true}
	err := onPgx(conn, func(pc *pgx.Conn) error {
		_, err := pc.PgConn().CopyFrom(ctx, r, c.head)
		return err
	})
	// pgx may return (a lost connection) before its goroutine ends: a read
	// under way ends first, and no more rows are made.
	r.mu.Lock()
	r.more, r.done = false, true
	c.buf, c.rows = c.buf[:0], 0
	r.mu.Unlock()
	return err
}

// copyReader reads a pgCopy's rows, made as they are read: the buffer
// holds about one read's worth.
type copyReader struct {
	mu   sync.Mutex
	c    *pgCopy
	next func() bool
	more bool
	done bool
	off  int
}

func (r *copyReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return 0, io.EOF
	}
	for r.more && len(r.c.buf)-r.off < len(p) {
		r.more = r.next()
	}
	n := copy(p, r.c.buf[r.off:])
	r.off += n
	if r.off == len(r.c.buf) {
		r.c.buf, r.off = r.c.buf[:0], 0
		if !r.more {
			return n, io.EOF
		}
	}
	return n, nil
}

// pgLoad is what a PostgreSQL load's writer keeps from chunk to chunk.
type pgLoad struct {
	conn *sql.Conn // the connection of the load's transaction
	// approval says, for each channel id, whether the channel requires
	// approval (read once per load, under its write lock).
	approval map[int64]bool
	// The COPYs' rows, their buffers kept from chunk to chunk.
	posts, variants, media, deliveries, events *pgCopy
}

func (pg *pgLoad) channelApproval(ctx context.Context, conn *sql.Conn) (map[int64]bool, error) {
	if pg.approval != nil {
		return pg.approval, nil
	}
	approval := map[int64]bool{}
	err := onPgx(conn, func(pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, `SELECT id, require_approval FROM channels`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, req int64
			if err := rows.Scan(&id, &req); err != nil {
				return err
			}
			approval[id] = req != 0
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	pg.approval = approval
	return approval, nil
}

// channelNamesJSON is the JSON list of chans' names, as RunList.JSON
// writes it (and so as the event's detail has it on SQLite).
func channelNamesJSON(chans []*calendar.Channel) string {
	b := []byte{'['}
	for i, c := range chans {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := json.Marshal(c.Name)
		b = append(b, name...)
	}
	return string(append(b, ']'))
}

// pgJSONString is s as a JSON string the way PostgreSQL's to_json writes
// text: only the quote, the backslash and control characters escaped.
func pgJSONString(s string) string {
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		default:
			if c < ' ' {
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			} else {
				b = append(b, c)
			}
		}
	}
	return string(append(b, '"'))
}

func jsonList(l []string) string {
	if len(l) == 0 {
		return "[]"
	}
	return jsonText(l)
}

// batch is a multi-row INSERT: rows are gathered and sent max at a time
// through one prepared statement, which costs far less per row than one
// statement each.
type batch struct {
	ctx    context.Context
	tx     *sql.Tx
	prefix string
	tuple  string
	per    int
	max    int
	args   []any
	full   *sql.Stmt
	// returning, when set, ends the statement (" RETURNING …"), and rows
	// reads what each batch returns.
	returning string
	rows      func(*sql.Rows) error
}

func newBatch(ctx context.Context, tx *sql.Tx, prefix, tuple string, per, max int) *batch {
	return &batch{ctx: ctx, tx: tx, prefix: prefix, tuple: tuple, per: per, max: max, args: make([]any, 0, per*max)}
}

func (b *batch) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < b.per*b.max {
		return nil
	}
	if b.full == nil {
		st, err := b.tx.PrepareContext(b.ctx, b.sql(b.max))
		if err != nil {
			return err
		}
		b.full = st
	}
	err := b.exec(b.full, b.args)
	b.args = b.args[:0]
	return err
}

// exec runs st (or, when st is nil, the statement for len(args) values).
func (b *batch) exec(st *sql.Stmt, args []any) error {
	if b.rows == nil {
		var err error
		if st != nil {
			_, err = st.ExecContext(b.ctx, args...)
		} else {
			_, err = b.tx.ExecContext(b.ctx, b.sql(len(args)/b.per), args...)
		}
		return err
	}
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(b.ctx, args...)
	} else {
		rows, err = b.tx.QueryContext(b.ctx, b.sql(len(args)/b.per), args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	return b.rows(rows)
}

func (b *batch) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	err := b.exec(nil, b.args)
	b.args = b.args[:0]
	return err
}

func (b *batch) sql(rows int) string {
	var sb strings.Builder
	sb.Grow(len(b.prefix) + rows*(len(b.tuple)+1))
	sb.WriteString(b.prefix)
	for i := 0; i < rows; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(b.tuple)
	}
	sb.WriteString(b.returning)
	return sb.String()
}

func (b *batch) close() {
	if b.full != nil {
		b.full.Close()
	}
}
