package calendar

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// apply writes a checked plan in one transaction. New posts go in by batched
// multi-row inserts with ids assigned here (the transaction holds the write
// lock from its start), writing exactly the rows CreatePost would; updates go
// through updatePostTx, so versions are bumped and deliveries re-timed the
// way every edit does it, and the daemon sees the change at its next claim.
func (s *Store) apply(ctx context.Context, pl *plan, opt LoadOptions, beforeCommit func() error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// A larger page cache keeps the indexes of a big load in memory; the
	// connection goes back to the pool with the default restored.
	if _, err := conn.ExecContext(ctx, `PRAGMA cache_size = -8192`); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA cache_size = -2000`) //nolint:errcheck // best effort
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	err = s.applyTx(ctx, tx, pl, opt)
	if err == nil {
		err = beforeCommit()
	}
	if err != nil {
		_ = tx.Rollback()
		if isUnique(err) {
			return fmt.Errorf("a post with one of the load's slugs was created while it ran; run it again: %w", ErrConflict)
		}
		return err
	}
	return tx.Commit()
}

func (s *Store) applyTx(ctx context.Context, tx *sql.Tx, pl *plan, opt LoadOptions) error {
	if err := s.writeCampaigns(ctx, tx, pl); err != nil {
		return err
	}
	var creates, updates []*plannedPost
	for _, pp := range pl.posts {
		switch pp.action {
		case ActionCreate:
			creates = append(creates, pp)
		case ActionUpdate:
			updates = append(updates, pp)
		}
	}
	total := 2 * len(pl.posts)
	done := len(pl.posts)
	progress := func(n int) {
		done += n
		if opt.Progress != nil {
			opt.Progress(done, total)
		}
	}
	if err := s.createMany(ctx, tx, pl, creates, progress); err != nil {
		return err
	}
	for _, pp := range creates {
		if pp.post.hasExtras() {
			if err := s.applyExtrasTx(ctx, tx, pp.id, &pp.post, true); err != nil {
				return err
			}
		}
	}
	for _, pp := range updates {
		p := *pp.old
		n := pp.post.asPost(pp.source())
		p.Title, p.Body, p.Link, p.Excerpt, p.Campaign = n.Title, n.Body, n.Link, n.Excerpt, n.Campaign
		p.Tags, p.Channels, p.Variants, p.Media, p.Thread, p.AutoThread = n.Tags, n.Channels, n.Variants, n.Media, n.Thread, n.AutoThread
		p.PublishAt, p.Queued, p.Source = n.PublishAt, len(pp.post.Times) > 0, n.Source
		if statusClass(p.Status) != statusClass(n.Status) {
			p.Status = n.Status
		}
		p.ContentHash = storedHash(pp.hash, p.Version+1)
		if err := s.updatePostTx(ctx, tx, &p, "post.loaded"); err != nil {
			return err
		}
		if p.Queued {
			if err := s.applyExtrasTx(ctx, tx, p.ID, &pp.post, false); err != nil {
				return err
			}
		}
		progress(1)
	}
	for _, pp := range pl.posts {
		if pp.refresh {
			if _, err := tx.ExecContext(ctx, `UPDATE posts SET content_hash=? WHERE id=? AND version=?`, storedHash(pp.hash, pp.version), pp.id, pp.version); err != nil {
				return err
			}
		}
	}
	progress(len(pl.posts) - len(creates) - len(updates))
	return nil
}

func (s *Store) writeCampaigns(ctx context.Context, tx *sql.Tx, pl *plan) error {
	now := ms(s.now())
	for _, pc := range pl.campaigns {
		c := &pc.c
		switch pc.action {
		case ActionCreate:
			res, err := tx.ExecContext(ctx, `INSERT INTO campaigns (name, starts_on, ends_on, utm, color, created_at, updated_at) VALUES (?,?,?,?,?,?,?)`,
				c.Name, c.StartsOn, c.EndsOn, jsonText(nonNil(c.UTM)), c.Color, now, now)
			if err != nil {
				if isUnique(err) {
					return &ConflictError{Problems: []FieldError{{File: pc.file, Line: pc.line, Field: "campaign", Message: "campaign " + strconv.Quote(c.Name) + " was created while the load ran; run it again"}}}
				}
				return err
			}
			c.ID, _ = res.LastInsertId()
			if err := s.event(ctx, tx, Event{Kind: "campaign.added", Detail: map[string]any{"name": c.Name}}); err != nil {
				return err
			}
		case ActionUpdate:
			if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET starts_on=?, ends_on=?, utm=?, color=?, updated_at=? WHERE id=?`,
				c.StartsOn, c.EndsOn, jsonText(nonNil(c.UTM)), c.Color, now, c.ID); err != nil {
				return err
			}
			if err := s.event(ctx, tx, Event{Kind: "campaign.edited", Detail: map[string]any{"name": c.Name, "changes": pc.changes}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// newPostStatus is the status settleStatusTx gives a post just created.
func newPostStatus(p *loadPost, chans []*Channel) string {
	needsApproval := false
	for _, c := range chans {
		needsApproval = needsApproval || c.RequireApproval
	}
	return SettleStatus(p.Status, p.PublishAt, false, needsApproval)
}

// createMany inserts new posts with their variants, media, deliveries and
// events. Posts go in by batched multi-row inserts; deliveries and events are
// derived inside SQLite from the posts just written, one statement each, for
// runs of consecutive posts on the same channels (a big load is mostly one
// run), so no per-row values cross into the database for them.
func (s *Store) createMany(ctx context.Context, tx *sql.Tx, pl *plan, creates []*plannedPost, progress func(int)) error {
	if len(creates) == 0 {
		return nil
	}
	var maxID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM posts`).Scan(&maxID); err != nil {
		return err
	}
	now := strconv.FormatInt(ms(s.now()), 10)
	posts := newBatch(ctx, tx, `INSERT INTO posts (id, slug, title, body, link, excerpt, campaign_id, author, tags, thread,
		status, publish_at, source, content_hash, auto_thread, queued, approved_by, version, created_at, updated_at) VALUES `,
		`(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,'',1,`+now+`,`+now+`)`, 15, 200)
	variants := newBatch(ctx, tx, `INSERT INTO post_variants (post_id, channel_id, body) VALUES `, `(?,?,?)`, 3, 300)
	media := newBatch(ctx, tx, `INSERT INTO post_media (post_id, position, path, alt) VALUES `, `(?,?,?,?)`, 4, 300)
	defer func() {
		for _, b := range []*batch{posts, variants, media} {
			b.close()
		}
	}()
	var runs runList
	for i, pp := range creates {
		p := &pp.post
		id := maxID + int64(i) + 1
		pp.id = id
		status := newPostStatus(p, pp.chans)
		var campaignID any
		if p.Campaign != "" {
			campaignID = pl.byName[p.Campaign].c.ID
		}
		if err := posts.add(id, p.Slug, p.Title, p.Body, p.Link, p.Excerpt, campaignID, s.Actor,
			jsonList(p.Tags), jsonList(p.Thread), status, msPtr(p.PublishAt), pp.source(), storedHash(pp.hash, 1), p.AutoThread); err != nil {
			return err
		}
		for _, c := range pp.chans {
			if v, ok := p.Variants[c.Name]; ok {
				if err := variants.add(id, c.ID, v); err != nil {
					return err
				}
			}
		}
		for j, m := range p.Media {
			if err := media.add(id, j, m.Path, m.Alt); err != nil {
				return err
			}
		}
		runs.add(id, pp.chans)
		if i%1000 == 999 {
			progress(500)
		}
	}
	for _, b := range []*batch{posts, variants, media} {
		if err := b.flush(); err != nil {
			return err
		}
	}
	runJSON := runs.json()
	// What settleStatusTx decides for a new post, per channel: canceled posts'
	// deliveries are canceled; a scheduled post's are runnable at its time
	// unless the channel wants approval; others wait without a run time.
	if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (post_id, channel_id, status, due_at, run_at, idempotency_key, updated_at)
		SELECT p.id, ch.id,
			CASE WHEN p.status = 'canceled' THEN 'canceled' ELSE 'pending' END,
			CASE WHEN p.status = 'canceled' THEN NULL ELSE p.publish_at END,
			CASE WHEN p.status = 'scheduled' AND ch.require_approval = 0 THEN p.publish_at END,
			lower(hex(randomblob(16))), `+now+`
		FROM json_each(?) r
		JOIN posts p ON p.id BETWEEN r.value->>0 AND r.value->>1
		JOIN json_each(r.value->2) rc
		JOIN channels ch ON ch.id = rc.value`, runJSON); err != nil {
		return err
	}
	progress(len(creates) / 4)
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (at, actor, kind, post_id, detail)
		SELECT `+now+`, ?, 'post.created', p.id, json_object('channels', json(r.value->3), 'slug', p.slug, 'status', p.status)
		FROM json_each(?) r
		JOIN posts p ON p.id BETWEEN r.value->>0 AND r.value->>1`, s.Actor, runJSON); err != nil {
		return err
	}
	progress(len(creates) - len(creates)/4 - 500*(len(creates)/1000))
	return nil
}

// runList groups consecutive new posts on the same channels.
type runList struct {
	runs []postRun
}

type postRun struct {
	lo, hi int64
	chans  []*Channel
}

func (l *runList) add(id int64, chans []*Channel) {
	if n := len(l.runs); n > 0 && l.runs[n-1].hi == id-1 && sameChannels(l.runs[n-1].chans, chans) {
		l.runs[n-1].hi = id
		return
	}
	l.runs = append(l.runs, postRun{lo: id, hi: id, chans: chans})
}

func sameChannels(a, b []*Channel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// json is [[first id, last id, [channel ids], [channel names]], …].
func (l *runList) json() string {
	var b []byte
	b = append(b, '[')
	for i, r := range l.runs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, r.lo, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.hi, 10)
		b = append(b, ",["...)
		for j, c := range r.chans {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, c.ID, 10)
		}
		b = append(b, "],["...)
		for j, c := range r.chans {
			if j > 0 {
				b = append(b, ',')
			}
			name, _ := json.Marshal(c.Name)
			b = append(b, name...)
		}
		b = append(b, "]]"...)
	}
	b = append(b, ']')
	return string(b)
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
	_, err := b.full.ExecContext(b.ctx, b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batch) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	_, err := b.tx.ExecContext(b.ctx, b.sql(len(b.args)/b.per), b.args...)
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
	return sb.String()
}

func (b *batch) close() {
	if b.full != nil {
		b.full.Close()
	}
}
