package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

const postCols = `p.id, p.slug, p.title, p.body, p.link, p.excerpt, COALESCE(c.name,''), p.author, p.tags, p.thread,
	p.status, p.publish_at, p.queued, p.approved_at, p.approved_by, p.published_at, p.source, p.content_hash,
	p.version, p.created_at, p.updated_at, p.auto_thread,
	COALESCE(cat.name,''), p.max_repeats, p.min_gap_ms, p.expires_at, COALESCE((SELECT o.slug FROM posts o WHERE o.id = p.recycled_from),'')`

const postFrom = ` FROM posts p LEFT JOIN campaigns c ON c.id = p.campaign_id LEFT JOIN categories cat ON cat.id = p.category_id`

func scanPost(sc interface{ Scan(...any) error }) (calendar.Post, error) {
	var p calendar.Post
	var tags, thread string
	var publishAt, approvedAt, publishedAt, expiresAt sql.NullInt64
	var created, updated, minGap int64
	err := sc.Scan(&p.ID, &p.Slug, &p.Title, &p.Body, &p.Link, &p.Excerpt, &p.Campaign, &p.Author, &tags, &thread,
		&p.Status, &publishAt, &p.Queued, &approvedAt, &p.ApprovedBy, &publishedAt, &p.Source, &p.ContentHash,
		&p.Version, &created, &updated, &p.AutoThread,
		&p.Category, &p.MaxRepeats, &minGap, &expiresAt, &p.RecycledFrom)
	if err != nil {
		return p, err
	}
	p.MinGap = time.Duration(minGap) * time.Millisecond
	p.ExpiresAt = fromNullMS(expiresAt)
	_ = json.Unmarshal([]byte(tags), &p.Tags)
	_ = json.Unmarshal([]byte(thread), &p.Thread)
	if p.Tags == nil {
		p.Tags = []string{}
	}
	p.PublishAt, p.ApprovedAt, p.PublishedAt = fromNullMS(publishAt), fromNullMS(approvedAt), fromNullMS(publishedAt)
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	return p, nil
}

// Post finds a post by id or slug (REF), with its channels, variants, media,
// deliveries and notes.
func (s *Store) Post(ctx context.Context, ref string) (calendar.Post, error) {
	p, err := s.postRow(ctx, s.db, ref)
	if err != nil {
		return p, err
	}
	posts := []calendar.Post{p}
	if err := s.loadChildren(ctx, posts, true); err != nil {
		return p, err
	}
	return posts[0], nil
}

// PostsByID reads the posts of ids, with their children, in one query per
// kind (the daemon reads a claim's posts so: once for the claim).
func (s *Store) PostsByID(ctx context.Context, ids []int64) ([]calendar.Post, error) {
	var out []calendar.Post
	const chunk = 2000 // SQLite caps the number of bound variables
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		in, args := s.dia.in(part)
		posts, err := s.postRows(ctx, `SELECT `+postCols+postFrom+` WHERE p.id`+in+` ORDER BY p.id`, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, posts...)
	}
	return out, s.loadChildren(ctx, out, true)
}

// postRows reads the posts a query of postCols returns (without children).
func (s *Store) postRows(ctx context.Context, q string, args ...any) ([]calendar.Post, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanPost)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) postRow(ctx context.Context, q queryer, ref string) (calendar.Post, error) {
	var row *sql.Row
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		row = q.QueryRowContext(ctx, `SELECT `+postCols+postFrom+` WHERE p.id = ? OR p.slug = ? ORDER BY p.id = ? DESC LIMIT 1`, id, ref, id)
	} else {
		row = q.QueryRowContext(ctx, `SELECT `+postCols+postFrom+` WHERE p.slug = ?`, ref)
	}
	p, err := scanPost(row)
	if errors.Is(err, sql.ErrNoRows) {
		return p, calendar.NotFound("post", ref)
	}
	return p, err
}

// Posts lists posts by publish time (unscheduled drafts first), then id.
func (s *Store) Posts(ctx context.Context, f calendar.PostFilter) ([]calendar.Post, error) {
	var where []string
	var args []any
	if len(f.Status) > 0 {
		where = append(where, "p.status IN ("+placeholders(len(f.Status))+")")
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	if f.Campaign != "" {
		where = append(where, "c.name = ?")
		args = append(args, f.Campaign)
	}
	if f.Channel != "" {
		where = append(where, "EXISTS (SELECT 1 FROM deliveries d JOIN channels ch ON ch.id = d.channel_id WHERE d.post_id = p.id AND ch.name = ?)")
		args = append(args, f.Channel)
	}
	if f.Tag != "" {
		where = append(where, s.dia.tagFilter("p.tags"))
		args = append(args, f.Tag)
	}
	if f.From != nil {
		where = append(where, "p.publish_at >= ?")
		args = append(args, ms(*f.From))
	}
	if f.To != nil {
		where = append(where, "p.publish_at < ?")
		args = append(args, ms(*f.To))
	}
	q := `SELECT ` + postCols + postFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY p.publish_at, p.id"
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
		if f.Offset > 0 {
			q += " OFFSET " + strconv.Itoa(f.Offset)
		}
	}
	out, err := s.postRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return out, s.loadChildren(ctx, out, !f.Light)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// loadChildren fills deliveries (and with all, variants, media, notes) for
// posts, in one query per kind for each chunk of posts (SQLite caps the
// number of bound variables).
func (s *Store) loadChildren(ctx context.Context, posts []calendar.Post, all bool) error {
	const chunk = 2000
	for len(posts) > chunk {
		if err := s.loadChildrenChunk(ctx, posts[:chunk], all); err != nil {
			return err
		}
		posts = posts[chunk:]
	}
	return s.loadChildrenChunk(ctx, posts, all)
}

func (s *Store) loadChildrenChunk(ctx context.Context, posts []calendar.Post, all bool) error {
	if len(posts) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(posts))
	ids := make([]int64, len(posts))
	for i := range posts {
		idx[posts[i].ID] = i
		ids[i] = posts[i].ID
		posts[i].Channels = []string{}
		posts[i].Variants = map[string]string{}
		posts[i].Media = []calendar.Media{}
		posts[i].Deliveries = []calendar.Delivery{}
	}
	in, args := s.dia.in(ids)
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.post_id`+in+` ORDER BY ch.name`, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			rows.Close()
			return err
		}
		p := &posts[idx[d.PostID]]
		p.Deliveries = append(p.Deliveries, d)
		p.Channels = append(p.Channels, d.Channel)
	}
	rows.Close()
	if !all {
		return rows.Err()
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return s.loadPostExtras(ctx, posts, idx, in, args)
}

// Kinds of row of loadPostExtras' query.
const (
	extraPart = iota
	extraVariant
	extraMedia
	extraNote
)

// loadPostExtras adds to posts (whose deliveries are read) their deliveries'
// thread parts, their variants, media and notes, all in one query: on
// PostgreSQL each statement is a round trip to the server, and a page of
// posts seldom has many of any. Rows come by kind, post, then the order of
// each (a part's delivery and index, a medium's position, a note's id).
func (s *Store) loadPostExtras(ctx context.Context, posts []calendar.Post, idx map[int64]int, in string, ids []any) error {
	args := make([]any, 0, 4*len(ids))
	for range 4 {
		args = append(args, ids...)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+strconv.Itoa(extraPart)+`, d.post_id, dp.delivery_id, dp.idx, dp.published_at, dp.remote_id, dp.remote_url, dp.ref
			FROM delivery_parts dp JOIN deliveries d ON d.id = dp.delivery_id WHERE d.post_id`+in+`
		UNION ALL SELECT `+strconv.Itoa(extraVariant)+`, v.post_id, 0, 0, NULL, ch.name, v.body, ''
			FROM post_variants v JOIN channels ch ON ch.id = v.channel_id WHERE v.post_id`+in+`
		UNION ALL SELECT `+strconv.Itoa(extraMedia)+`, post_id, position, 0, NULL, path, alt, '' FROM post_media WHERE post_id`+in+`
		UNION ALL SELECT `+strconv.Itoa(extraNote)+`, post_id, id, at, NULL, author, text, '' FROM post_notes WHERE post_id`+in+`
		ORDER BY 1, 2, 3, 4`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	parts := map[int64][]calendar.DeliveryPart{}
	for rows.Next() {
		var kind int
		var postID, n1, n2 int64
		var n3 sql.NullInt64
		var s1, s2, s3 string
		if err := rows.Scan(&kind, &postID, &n1, &n2, &n3, &s1, &s2, &s3); err != nil {
			return err
		}
		p := &posts[idx[postID]]
		switch kind {
		case extraPart:
			parts[n1] = append(parts[n1], calendar.DeliveryPart{Index: int(n2), RemoteID: s1, RemoteURL: s2, Ref: s3, PublishedAt: fromNullMS(n3)})
		case extraVariant:
			p.Variants[s1] = s2
		case extraMedia:
			p.Media = append(p.Media, calendar.Media{Path: s1, Alt: s2})
		case extraNote:
			p.Notes = append(p.Notes, calendar.Note{ID: n1, At: fromMS(n2), Author: s1, Text: s2})
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(parts) > 0 {
		for i := range posts {
			for j := range posts[i].Deliveries {
				posts[i].Deliveries[j].Parts = parts[posts[i].Deliveries[j].ID]
			}
		}
	}
	return nil
}

// CreatePost adds a post and one pending delivery per channel. A post given a
// PublishAt is scheduled (or sent to review when a channel requires approval);
// without one it is a draft.
func (s *Store) CreatePost(ctx context.Context, p *calendar.Post) error {
	return s.txCreate(ctx, func(tx *sql.Tx) error { return s.createPostTx(ctx, tx, p) })
}

func (s *Store) createPostTx(ctx context.Context, tx *sql.Tx, p *calendar.Post) error {
	return s.createPostFromTx(ctx, tx, p, 0)
}

// createPostFromTx creates p; recycledFrom is the id of the evergreen
// original a fill copies (0: none).
func (s *Store) createPostFromTx(ctx context.Context, tx *sql.Tx, p *calendar.Post, recycledFrom int64) error {
	calendar.NormalizePost(p)
	if err := calendar.CheckPost(p); err != nil {
		return err
	}
	chans, err := s.resolveChannels(ctx, tx, p)
	if err != nil {
		return err
	}
	if p.Slug == "" {
		p.Slug, err = s.freeSlug(ctx, tx, calendar.Slugify(calendar.FirstNonEmpty(p.Title, firstLine(p.Body), "post")))
		if err != nil {
			return err
		}
	} else if err := calendar.ValidSlug(p.Slug); err != nil {
		return err
	}
	campaignID, err := s.campaignID(ctx, tx, p.Campaign)
	if err != nil {
		return err
	}
	categoryID, err := s.categoryID(ctx, tx, p.Category)
	if err != nil {
		return err
	}
	if err := calendar.CheckEvergreenLimits(p); err != nil {
		return err
	}
	p.Status = calendar.InitialStatus(p.Status, p.PublishAt)
	if err := calendar.CheckNewStatus(p); err != nil {
		return err
	}
	if err := calendar.NeedsChannel(p, len(chans)); err != nil {
		return err
	}
	if p.Author == "" {
		p.Author = s.Actor
	}
	now := s.now()
	err = tx.QueryRowContext(ctx, `INSERT INTO posts (slug, title, body, link, excerpt, campaign_id, author, tags, thread,
		status, publish_at, queued, approved_at, approved_by, published_at, source, content_hash, version, created_at, updated_at, auto_thread,
		category_id, recycled_from, max_repeats, min_gap_ms, expires_at)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,1,?,?,?,?,?,?,?,?) RETURNING id`,
		p.Slug, p.Title, p.Body, p.Link, p.Excerpt, campaignID, p.Author, jsonText(calendar.NonNilList(p.Tags)), jsonText(calendar.NonNilList(p.Thread)),
		p.Status, msPtr(p.PublishAt), p.Queued, msPtr(p.ApprovedAt), p.ApprovedBy, msPtr(p.PublishedAt), p.Source, p.ContentHash, ms(now), ms(now), p.AutoThread,
		categoryID, nullID(recycledFrom), p.MaxRepeats, p.MinGap.Milliseconds(), msPtr(p.ExpiresAt)).Scan(&p.ID)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("slug %q is already used by another post: %w", p.Slug, calendar.ErrConflict)
		}
		return err
	}
	p.Version, p.CreatedAt, p.UpdatedAt = 1, now, now
	if err := s.writeChildrenTx(ctx, tx, p, chans); err != nil {
		return err
	}
	if err := s.settleStatusTx(ctx, tx, p, chans); err != nil {
		return err
	}
	if err := s.checkRulesTx(ctx, tx, p, chans); err != nil {
		return err
	}
	return s.event(ctx, tx, calendar.Event{Kind: "post.created", PostID: p.ID, Detail: map[string]any{"slug": p.Slug, "status": p.Status, "channels": p.Channels}})
}

// UpdatePost writes p's content, channels and time. It is refused with
// ErrConflict when the post changed since p.Version was read: an edit made on
// a stale copy never overwrites another.
func (s *Store) UpdatePost(ctx context.Context, p *calendar.Post) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.updatePostTx(ctx, tx, p, "post.edited") })
}

func (s *Store) updatePostTx(ctx context.Context, tx *sql.Tx, p *calendar.Post, kind string) error {
	calendar.NormalizePost(p)
	if err := calendar.CheckPost(p); err != nil {
		return err
	}
	old, err := s.postRow(ctx, tx, strconv.FormatInt(p.ID, 10))
	if err != nil {
		return err
	}
	// Compared in the form p is in: a post stored before the fields were
	// normalized has not changed by being written in that form.
	calendar.NormalizePost(&old)
	if old.Version != p.Version {
		return fmt.Errorf("post %s was changed (version %d) since this copy was read (version %d); reload and edit again: %w", old.Slug, old.Version, p.Version, calendar.ErrConflict)
	}
	if kind == "post.edited" {
		// A delivery already claimed publishes what it read: an edit now
		// would show a text that is not the one going out.
		busy, err := queryNames(ctx, tx, `SELECT ch.name FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
			WHERE d.post_id=? AND d.status='publishing' ORDER BY ch.name`, p.ID)
		if err != nil {
			return err
		}
		if len(busy) > 0 {
			return fmt.Errorf("post %s is already being published on %s; your edit was not applied: %w", old.Slug, strings.Join(busy, ", "), calendar.ErrConflict)
		}
		// Published everywhere while the edit was being written: the text
		// that went out is the old one, and saying "updated" would mislead.
		// Its time and status too: it went out when it went out (a move is
		// refused alike), and only its deliveries say it is published.
		if old.Status == calendar.StatusPublished && (p.Title != old.Title || p.Body != old.Body || p.Link != old.Link ||
			p.Excerpt != old.Excerpt || jsonText(calendar.NonNilList(p.Thread)) != jsonText(calendar.NonNilList(old.Thread)) ||
			!sameInstant(p.PublishAt, old.PublishAt) || p.Status != old.Status) {
			live, err := queryNames(ctx, tx, `SELECT ch.name FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
				WHERE d.post_id=? AND d.status='published' ORDER BY ch.name`, p.ID)
			if err != nil {
				return err
			}
			return fmt.Errorf("post %s is already published on %s; your edit was not applied: %w", old.Slug, strings.Join(live, ", "), calendar.ErrConflict)
		}
	}
	if p.Slug != old.Slug {
		if err := calendar.ValidSlug(p.Slug); err != nil {
			return err
		}
	}
	chans, err := s.resolveChannels(ctx, tx, p)
	if err != nil {
		return err
	}
	if err := calendar.NeedsChannel(p, len(chans)); err != nil {
		return err
	}
	campaignID, err := s.campaignID(ctx, tx, p.Campaign)
	if err != nil {
		return err
	}
	categoryID, err := s.categoryID(ctx, tx, p.Category)
	if err != nil {
		return err
	}
	if err := calendar.CheckEvergreenLimits(p); err != nil {
		return err
	}
	// Changing what an approved post says sends it back to review: all that
	// a channel receives, its variant and the media included.
	if old.ApprovedAt != nil && p.ApprovedAt != nil {
		changed := p.Title != old.Title || p.Body != old.Body || p.Link != old.Link || p.Excerpt != old.Excerpt || p.AutoThread != old.AutoThread ||
			jsonText(calendar.NonNilList(p.Thread)) != jsonText(calendar.NonNilList(old.Thread))
		if !changed {
			olds := []calendar.Post{old}
			if err := s.loadChildrenTx(ctx, tx, olds); err != nil {
				return err
			}
			calendar.NormalizePost(&olds[0])
			changed = jsonText(calendar.NonNil(p.Variants)) != jsonText(calendar.NonNil(olds[0].Variants)) || jsonText(nonNilMedia(p.Media)) != jsonText(nonNilMedia(olds[0].Media))
		}
		if changed {
			p.ApprovedAt, p.ApprovedBy = nil, ""
		}
	}
	now := s.now()
	res, err := tx.ExecContext(ctx, `UPDATE posts SET slug=?, title=?, body=?, link=?, excerpt=?, campaign_id=?, tags=?, thread=?,
		status=?, publish_at=?, queued=?, approved_at=?, approved_by=?, source=?, content_hash=?, version=version+1, updated_at=?, auto_thread=?,
		category_id=?, max_repeats=?, min_gap_ms=?, expires_at=?
		WHERE id=? AND version=?`,
		p.Slug, p.Title, p.Body, p.Link, p.Excerpt, campaignID, jsonText(calendar.NonNilList(p.Tags)), jsonText(calendar.NonNilList(p.Thread)),
		p.Status, msPtr(p.PublishAt), p.Queued, msPtr(p.ApprovedAt), p.ApprovedBy, p.Source, p.ContentHash, ms(now), p.AutoThread,
		categoryID, p.MaxRepeats, p.MinGap.Milliseconds(), msPtr(p.ExpiresAt), p.ID, p.Version)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("slug %q is already used by another post: %w", p.Slug, calendar.ErrConflict)
		}
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("post %s was changed since this copy was read; reload and edit again: %w", old.Slug, calendar.ErrConflict)
	}
	p.Version++
	p.UpdatedAt = now
	if calendar.Revives(old.Status, p.Status) {
		if err := s.reviveTx(ctx, tx, p.ID); err != nil {
			return err
		}
	}
	if err := s.writeChildrenTx(ctx, tx, p, chans); err != nil {
		return err
	}
	if err := s.settleStatusTx(ctx, tx, p, chans); err != nil {
		return err
	}
	if err := s.checkRulesTx(ctx, tx, p, chans); err != nil {
		return err
	}
	detail := map[string]any{"version": p.Version, "status": p.Status}
	if kind == "post.approved" {
		// Four eyes: the history says who wrote what who approved.
		detail["author"], detail["approved_by"] = old.Author, p.ApprovedBy
	}
	return s.event(ctx, tx, calendar.Event{Kind: kind, PostID: p.ID, Detail: detail})
}

func queryNames(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// reviveTx puts a post's stopped deliveries (canceled, failed, missed) back
// to pending, untimed, for a post put back in the workflow: they run again
// (settleStatusTx or the queue times them), or "scheduled" would promise what
// nothing runs. Held ones wait for a person.
func (s *Store) reviveTx(ctx context.Context, tx *sql.Tx, postID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status='pending', attempts=0, last_error='', run_at=NULL,
		lease_owner='', lease_expires_at=NULL, updated_at=? WHERE post_id=? AND status IN ('canceled','failed','missed')`, ms(s.now()), postID)
	return err
}

func nonNilMedia(m []calendar.Media) []calendar.Media {
	if m == nil {
		return []calendar.Media{}
	}
	return m
}

// sameInstant reports whether two optional instants are the same.
func sameInstant(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func (s *Store) resolveChannels(ctx context.Context, q queryer, p *calendar.Post) (map[string]calendar.Channel, error) {
	chans := map[string]calendar.Channel{}
	verr := &calendar.ValidationError{}
	for _, name := range p.Channels {
		c, err := scanChannel(q.QueryRowContext(ctx, `SELECT `+channelCols+` FROM channels WHERE name = ?`, name))
		if errors.Is(err, sql.ErrNoRows) {
			verr.Add(calendar.FieldError{Field: "channels", Message: calendar.UnknownChannelMessage(name, s.channelNames(ctx, q))})
			continue
		}
		if err != nil {
			return nil, err
		}
		chans[name] = c
	}
	for name := range p.Variants {
		if _, ok := chans[name]; !ok {
			verr.Add(calendar.FieldError{Field: "variants", Message: fmt.Sprintf("variant for %q, which is not one of the post's channels", name)})
		}
	}
	return chans, verr.Err()
}

// writeChildrenTx replaces variants and media, and adds or removes deliveries
// so there is one per channel. Deliveries already published, publishing or
// held are never removed: they record what happened.
func (s *Store) writeChildrenTx(ctx context.Context, tx *sql.Tx, p *calendar.Post, chans map[string]calendar.Channel) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM post_variants WHERE post_id=?`, p.ID); err != nil {
		return err
	}
	for name, body := range p.Variants {
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_variants (post_id, channel_id, body) VALUES (?,?,?)`, p.ID, chans[name].ID, body); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM post_media WHERE post_id=?`, p.ID); err != nil {
		return err
	}
	for i, m := range p.Media {
		if _, err := tx.ExecContext(ctx, `INSERT INTO post_media (post_id, position, path, alt) VALUES (?,?,?,?)`, p.ID, i, m.Path, m.Alt); err != nil {
			return err
		}
	}
	keep := make([]any, 0, len(chans)+1)
	keep = append(keep, p.ID)
	for _, c := range chans {
		keep = append(keep, c.ID)
	}
	q := `DELETE FROM deliveries WHERE post_id=? AND status IN ('pending','canceled','missed','failed')`
	if len(chans) > 0 {
		q += ` AND channel_id NOT IN (` + placeholders(len(chans)) + `)`
	}
	if _, err := tx.ExecContext(ctx, q, keep...); err != nil {
		return err
	}
	now := ms(s.now())
	for _, c := range chans {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deliveries (post_id, channel_id, status, idempotency_key, updated_at)
			VALUES (?,?,'pending',?,?) ON CONFLICT(post_id, channel_id) DO NOTHING`, p.ID, c.ID, newKey(), now); err != nil {
			return err
		}
	}
	return nil
}

// newKey is a delivery's idempotency key: random, fixed for its lifetime, so
// every attempt of one delivery carries the same key.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// settleStatusTx puts a post's status and its deliveries' timing in line with
// its time, its approval and its channels. It is the one place that decides
// what the daemon may claim: a delivery is runnable (run_at set) only when its
// post is scheduled and, on a channel that requires approval, approved.
func (s *Store) settleStatusTx(ctx context.Context, tx *sql.Tx, p *calendar.Post, chans map[string]calendar.Channel) error {
	ruleGated := s.ruleGate(p, chans) != ""
	needsApproval := ruleGated
	for _, c := range chans {
		needsApproval = needsApproval || c.RequireApproval
	}
	p.Status = calendar.SettleStatus(p.Status, p.PublishAt, p.ApprovedAt != nil, needsApproval)
	if _, err := tx.ExecContext(ctx, `UPDATE posts SET status=? WHERE id=?`, p.Status, p.ID); err != nil {
		return err
	}
	var due any
	if p.PublishAt != nil {
		due = ms(*p.PublishAt)
	}
	switch p.Status {
	case calendar.StatusCanceled:
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status='canceled', run_at=NULL, updated_at=? WHERE post_id=? AND status='pending'`, ms(s.now()), p.ID); err != nil {
			return err
		}
		// Live on some channels, nothing left in flight: it is partial, as
		// refreshPostTx would say (it says so when a call in flight ends).
		var published, open int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status='published'), count(*) FILTER (WHERE status IN ('publishing','held'))
			FROM deliveries WHERE post_id=?`, p.ID).Scan(&published, &open); err != nil {
			return err
		}
		if published == 0 || open > 0 {
			return nil
		}
		p.Status = calendar.StatusPartial
		_, err := tx.ExecContext(ctx, `UPDATE posts SET status=? WHERE id=?`, p.Status, p.ID)
		return err
	case calendar.StatusScheduled, calendar.StatusPartial, calendar.StatusFailed:
		// Queued posts keep each delivery's own slot time; others take the post's time.
		// A new time runs at that time, whatever an earlier retry had planned.
		if !p.Queued {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at=?, run_at=?, updated_at=? WHERE post_id=? AND status='pending' AND (due_at IS DISTINCT FROM ?)`, due, due, ms(s.now()), p.ID, due); err != nil {
				return err
			}
		}
		// Runnable where no approval is missing. While the due time is unchanged,
		// a later run_at (a retry's backoff, a `post retry` now) is kept: an edit
		// of the text must not send a retried delivery back to its old time.
		// An editorial rule (require_approval) gates every channel of the post.
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET run_at = CASE
				WHEN (? OR (SELECT require_approval FROM channels WHERE id = deliveries.channel_id) = 1) AND ? = 0 THEN NULL
				WHEN run_at IS NULL OR run_at < due_at THEN due_at
				ELSE run_at END
			WHERE post_id=? AND status='pending'`, ruleGated, p.ApprovedAt != nil, p.ID)
		return err
	default:
		if !p.Queued {
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at=? WHERE post_id=? AND status='pending'`, due, p.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET run_at=NULL WHERE post_id=? AND status='pending'`, p.ID)
		return err
	}
}

// resettleChannelTx settles again every post with a delivery still to run
// on a channel whose approval rule changed: the gate applies at once to what
// is already scheduled, and lifting it frees what waited only for it.
// It says how many posts it moved to review and back to scheduled.
func (s *Store) resettleChannelTx(ctx context.Context, tx *sql.Tx, channelID int64) (calendar.ApprovalMoves, error) {
	var mv calendar.ApprovalMoves
	ids, err := queryIDs(ctx, tx, `SELECT DISTINCT post_id FROM deliveries WHERE channel_id=? AND status='pending'`, channelID)
	if err != nil {
		return mv, err
	}
	for _, id := range ids {
		ch, err := s.resettlePostTx(ctx, tx, id)
		if err != nil {
			return mv, err
		}
		switch {
		case ch.From == ch.To:
		case ch.To == calendar.StatusReview:
			mv.ToReview = append(mv.ToReview, ch.Slug)
		case ch.To == calendar.StatusScheduled:
			mv.ToScheduled = append(mv.ToScheduled, ch.Slug)
		}
	}
	return mv, nil
}

// resettlePostTx settles one post again on its channels as they are now.
func (s *Store) resettlePostTx(ctx context.Context, tx *sql.Tx, id int64) (calendar.StatusChange, error) {
	p, err := s.postRow(ctx, tx, strconv.FormatInt(id, 10))
	if err != nil {
		return calendar.StatusChange{}, err
	}
	posts := []calendar.Post{p}
	if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
		return calendar.StatusChange{}, err
	}
	chans, err := s.resolveChannels(ctx, tx, &posts[0])
	if err != nil {
		return calendar.StatusChange{}, err
	}
	if err := s.settleStatusTx(ctx, tx, &posts[0], chans); err != nil {
		return calendar.StatusChange{}, err
	}
	return calendar.StatusChange{Slug: p.Slug, From: p.Status, To: posts[0].Status}, nil
}

// SchedulePost gives a post a time (or, with queue, each channel its next
// free slot) and makes it scheduled.
func (s *Store) SchedulePost(ctx context.Context, ref string, at *time.Time, queue bool) (calendar.Post, error) {
	return s.schedule(ctx, ref, at, queue, nil)
}

// PublishNow re-times a post to at (now) for `post publish --now`, in one
// transaction with the checks CanPublishNow makes: a refused post keeps its
// time, and no edit can slip between the check and the change.
func (s *Store) PublishNow(ctx context.Context, ref string, at time.Time) (calendar.Post, error) {
	return s.schedule(ctx, ref, &at, false, func(tx *sql.Tx, p *calendar.Post) error {
		chans, err := s.resolveChannels(ctx, tx, p)
		if err != nil {
			return err
		}
		gated := ""
		for _, name := range p.Channels {
			if chans[name].RequireApproval {
				gated = name
				break
			}
		}
		if rule := s.ruleGate(p, chans); rule != "" && gated == "" && p.ApprovedAt == nil {
			return fmt.Errorf("post %s is %s: rule %s requires approval first (`crieur post approve %s`): %w",
				p.Slug, calendar.StatusWords(p.Status), rule, p.Slug, calendar.ErrConflict)
		}
		return calendar.CanPublishNow(*p, gated)
	})
}

func (s *Store) schedule(ctx context.Context, ref string, at *time.Time, queue bool, check func(*sql.Tx, *calendar.Post) error) (calendar.Post, error) {
	if err := calendar.CheckInstant("at", at); err != nil {
		return calendar.Post{}, err
	}
	var out calendar.Post
	err := s.tx(ctx, func(tx *sql.Tx) error {
		p, err := s.postRow(ctx, tx, ref)
		if err != nil {
			return err
		}
		if err := calendar.Editable(p); err != nil {
			return err
		}
		posts := []calendar.Post{p}
		if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
			return err
		}
		p = posts[0]
		if len(p.Channels) == 0 {
			return calendar.Invalid("channels", "post %s has no channel: add one with `crieur post edit %s`", p.Slug, p.Slug)
		}
		if check != nil {
			if err := check(tx, &p); err != nil {
				return err
			}
		}
		if calendar.Revives(p.Status, calendar.StatusScheduled) {
			// Before the queue, which gives slots to pending deliveries only.
			if err := s.reviveTx(ctx, tx, p.ID); err != nil {
				return err
			}
		}
		p.Status = calendar.StatusScheduled
		if queue {
			first, err := s.queueTx(ctx, tx, &p)
			if err != nil {
				return err
			}
			p.PublishAt, p.Queued = &first, true
		} else {
			p.PublishAt, p.Queued = at, false
		}
		if err := s.updatePostTx(ctx, tx, &p, "post.scheduled"); err != nil {
			return err
		}
		out = p
		return nil
	})
	if err != nil {
		return out, err
	}
	return s.Post(ctx, strconv.FormatInt(out.ID, 10))
}

// loadChildrenTx is loadChildren inside a transaction (channels and variants
// only, which is what an update rewrites).
func (s *Store) loadChildrenTx(ctx context.Context, tx *sql.Tx, posts []calendar.Post) error {
	for i := range posts {
		p := &posts[i]
		p.Channels, p.Variants, p.Media = []string{}, map[string]string{}, []calendar.Media{}
		rows, err := tx.QueryContext(ctx, `SELECT ch.name FROM deliveries d JOIN channels ch ON ch.id=d.channel_id WHERE d.post_id=? ORDER BY ch.name`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			p.Channels = append(p.Channels, n)
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT ch.name, v.body FROM post_variants v JOIN channels ch ON ch.id=v.channel_id WHERE v.post_id=?`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var n, b string
			if err := rows.Scan(&n, &b); err != nil {
				rows.Close()
				return err
			}
			p.Variants[n] = b
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT path, alt FROM post_media WHERE post_id=? ORDER BY position`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var m calendar.Media
			if err := rows.Scan(&m.Path, &m.Alt); err != nil {
				rows.Close()
				return err
			}
			p.Media = append(p.Media, m)
		}
		rows.Close()
	}
	return nil
}

// CancelPost stops a post: its pending deliveries are canceled at once, so a
// running daemon cannot claim them any more.
func (s *Store) CancelPost(ctx context.Context, ref string) (calendar.Post, error) {
	return s.transition(ctx, ref, "post.canceled", calendar.Cancel)
}

// transition loads a post, lets change alter it, and writes it back.
func (s *Store) transition(ctx context.Context, ref, kind string, change func(*calendar.Post) error) (calendar.Post, error) {
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = s.transitionTx(ctx, tx, ref, kind, change)
		return err
	})
	if err != nil {
		return calendar.Post{}, err
	}
	return s.Post(ctx, strconv.FormatInt(id, 10))
}

// transitionTx is transition inside the caller's transaction; it returns the post's id.
func (s *Store) transitionTx(ctx context.Context, tx *sql.Tx, ref, kind string, change func(*calendar.Post) error) (int64, error) {
	p, err := s.postRow(ctx, tx, ref)
	if err != nil {
		return 0, err
	}
	posts := []calendar.Post{p}
	if err := s.loadChildrenTx(ctx, tx, posts); err != nil {
		return 0, err
	}
	p = posts[0]
	if err := change(&p); err != nil {
		return 0, err
	}
	return p.ID, s.updatePostTx(ctx, tx, &p, kind)
}

// DeletePost removes a post and its pending deliveries. A post with a delivery
// in flight or published is refused: its record must stay (cancel it instead).
func (s *Store) DeletePost(ctx context.Context, ref string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		p, err := s.postRow(ctx, tx, ref)
		if err != nil {
			return err
		}
		var live int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE post_id=? AND status IN ('publishing','published','held')`, p.ID).Scan(&live); err != nil {
			return err
		}
		if live > 0 && p.Status == calendar.StatusPublished {
			return fmt.Errorf("post %s is published: a published post stays in the calendar, with its history: %w", p.Slug, calendar.ErrConflict)
		}
		if live > 0 {
			return fmt.Errorf("post %s has %s published or in flight; its record stays (use `crieur post cancel`): %w", p.Slug, calendar.Count(live, "delivery", "deliveries"), calendar.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM posts WHERE id=?`, p.ID); err != nil {
			return err
		}
		return s.event(ctx, tx, calendar.Event{Kind: "post.deleted", PostID: p.ID, Detail: map[string]any{"slug": p.Slug}})
	})
}

func (s *Store) freeSlug(ctx context.Context, q queryer, base string) (string, error) {
	slug := base
	for i := 2; ; i++ {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM posts WHERE slug = ?`, slug).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return slug, nil
		}
		slug = fmt.Sprintf("%s-%d", base, i)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// readVariantsAndMedia adds their variants and media (in order) to the
// posts whose ids are args (in is their IN list); post finds a post by id.
func readVariantsAndMedia(ctx context.Context, q queryer, in string, args []any, post func(id int64) *calendar.Post) error {
	rows, err := q.QueryContext(ctx, `SELECT v.post_id, ch.name, v.body FROM post_variants v JOIN channels ch ON ch.id = v.channel_id WHERE v.post_id IN `+in, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		var ch, body string
		if err := rows.Scan(&id, &ch, &body); err != nil {
			rows.Close()
			return err
		}
		post(id).Variants[ch] = body
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = q.QueryContext(ctx, `SELECT post_id, path, alt FROM post_media WHERE post_id IN `+in+` ORDER BY post_id, position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m calendar.Media
		if err := rows.Scan(&id, &m.Path, &m.Alt); err != nil {
			return err
		}
		p := post(id)
		p.Media = append(p.Media, m)
	}
	return rows.Err()
}

// channelNames are the calendar's channel names, for a "did you mean" on
// an unknown one (a message only: a failed read gives none).
func (s *Store) channelNames(ctx context.Context, q queryer) []string {
	rows, err := q.QueryContext(ctx, `SELECT name FROM channels ORDER BY name`)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, n)
		}
	}
	return names
}
