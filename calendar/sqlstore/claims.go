package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// approvedGate is the approval gate as the claim applies it (d: the delivery, ch:
// its channel): a delivery on a channel that requires approval is runnable
// only for an approved post. The settle step keeps run_at NULL for those too;
// this makes the claim refuse them whatever their run_at says.
const approvedGate = `(ch.require_approval = 0 OR EXISTS (SELECT 1 FROM posts ap WHERE ap.id = d.post_id AND ap.approved_at IS NOT NULL))`

// notBlackedOut is a SQL condition for a claim query: true when no blackout
// covers the delivery aliased d at the instant bound to its two placeholders
// (pass the claim's "now" twice). A delivery it excludes stays pending with its
// run_at, so it becomes claimable the moment the blackout ends.
const notBlackedOut = `NOT EXISTS (SELECT 1 FROM blackouts b WHERE (b.channel_id IS NULL OR b.channel_id = d.channel_id) AND b.starts_at <= ? AND b.ends_at > ?)`

// beforeClaimWrite, when set (tests only), runs in a claim's transaction
// between choosing rows and taking them: it stands for another claimer
// changing a row meanwhile, which a store without a file lock allows.
var beforeClaimWrite func(ctx context.Context, tx *sql.Tx, ids []int64) error

// ClaimDue claims runnable, due deliveries of unpaused channels (nothing while
// the kill switch is on), oldest first. In the same transaction, deliveries
// later than their channel's max lateness become 'missed', and those over a
// channel's rate limit get a later run_at (so the next wake is not a spin).
// With o.Drop, what a drop blackout holds is canceled first (DropBlackedOut).
func (s *Store) ClaimDue(ctx context.Context, o calendar.ClaimOptions) (calendar.ClaimResult, error) {
	var res calendar.ClaimResult
	if o.Limit < 0 || o.Limit == 0 && o.Ahead <= 0 {
		return res, nil
	}
	dropped := -1 // not yet dropped
	for {
		res, err := s.claimDue(ctx, o, dropped < 0)
		if errors.Is(err, errDropFirst) {
			// Something is to be dropped: the claim (which took nothing)
			// gives way to the drop's exclusive transaction, then runs again.
			if dropped, err = s.DropBlackedOut(ctx, o.Now); err != nil {
				return res, err
			}
			continue
		}
		res.Dropped = max(dropped, 0)
		return res, err
	}
}

// errDropFirst ends a claim's transaction when a drop blackout holds
// deliveries to cancel first.
var errDropFirst = errors.New("deliveries to drop first")

// claimFlags is what a claim reads first, in one statement.
const claimFlags = `SELECT (SELECT count(*) FROM state WHERE key = ?),
	(SELECT min(max_lateness_ms) FROM channels WHERE max_lateness_ms > 0),
	(SELECT min(run_at) FROM deliveries WHERE status='pending' AND run_at IS NOT NULL),
	EXISTS (SELECT 1 FROM channels WHERE rate_per_minute > 0 OR rate_per_day > 0),
	EXISTS (SELECT 1 FROM blackouts b JOIN deliveries d ON (b.channel_id IS NULL OR b.channel_id = d.channel_id)
		WHERE b.drop_posts = 1 AND b.starts_at <= ? AND d.status = 'pending' AND d.run_at IS NOT NULL
		AND d.run_at <= ? AND d.run_at >= b.starts_at AND d.run_at < b.ends_at)`

func (s *Store) claimDue(ctx context.Context, o calendar.ClaimOptions, mayDrop bool) (calendar.ClaimResult, error) {
	var res calendar.ClaimResult
	now := ms(o.Now)
	err := s.txClaim(ctx, func(tx *sql.Tx) error {
		res = calendar.ClaimResult{}
		// The kill switch, the smallest max lateness of a channel (only
		// what is later than it can be missed), the oldest runnable
		// delivery's time (while even the oldest is within the smallest
		// max lateness, nothing can be missed, and the claim does not
		// look), whether a channel has a rate limit, and whether a drop
		// blackout holds deliveries to cancel, in one round trip.
		var paused int
		var least, oldest sql.NullInt64
		var limited, toDrop bool
		read := func() error {
			return tx.QueryRowContext(ctx, claimFlags, calendar.StatePauseAll, now, now).Scan(&paused, &least, &oldest, &limited, &toDrop)
		}
		if err := read(); err != nil {
			return err
		}
		if limited && s.dia.pg {
			// Claims counting a channel's budget run one at a time
			// (lockRated), and read again once they hold the lock.
			if err := s.lockRated(ctx, tx); err != nil {
				return err
			}
			if err := read(); err != nil {
				return err
			}
		}
		if o.Drop && mayDrop && toDrop {
			return errDropFirst
		}
		if paused > 0 {
			return nil
		}
		if least.Valid && oldest.Valid && oldest.Int64 < now-least.Int64 {
			missed, err := s.markMissedTx(ctx, tx, now, least, o.PostID, o.SkipChannels, calendar.DaemonActor(o.Owner))
			if err != nil {
				return err
			}
			res.Missed = missed
		}
		// The lease (and the rate windows' claim time) run from the moment of
		// the claim, not from o.Now: `publish --due` keeps the instant it
		// started at, and a lease counted from it could expire mid-call.
		at := o.Now
		if wall := s.now(); wall.After(at) {
			at = wall
		}
		if s.dia.pg && !limited && beforeClaimWrite == nil {
			// No budget to count: the rows are chosen, taken and their
			// attempts recorded in one statement.
			claimed, err := s.claimOneStatement(ctx, tx, o, now, at)
			res.Claimed = claimed
			return err
		}
		ids, chans, spent, err := s.pickTx(ctx, tx, o, now)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			res.Deferred, err = s.deferTx(ctx, tx, spent, now)
			return err
		}
		if beforeClaimWrite != nil {
			if err := beforeClaimWrite(ctx, tx, ids); err != nil {
				return err
			}
		}
		// One statement takes the rows and returns those it took, as they
		// now are: a row that left 'pending', or holds a live lease, since
		// it was picked is not this owner's and is not returned (on a store
		// without SQLite's file lock, another claimer may have taken it
		// meanwhile).
		args := []any{o.Owner, ms(at.Add(o.Lease)), ms(at), now, ms(at)}
		for _, id := range ids {
			args = append(args, id)
		}
		claimed, err := takeRows(ctx, tx, `UPDATE deliveries SET status='publishing', lease_owner=?, lease_expires_at=?,
			attempts=attempts+1, claimed_at=?, updated_at=? WHERE status='pending'
			AND (lease_owner = '' OR lease_expires_at IS NULL OR lease_expires_at < ?)
			AND id IN (`+placeholders(len(ids))+`) RETURNING `+takenCols, chans, args...)
		if err != nil {
			return err
		}
		if res.Deferred, err = s.deferTx(ctx, tx, spent, now); err != nil {
			return err
		}
		evs := make([]calendar.Event, len(claimed))
		for i, d := range claimed {
			evs[i] = attemptEvent(d, o.Owner, now)
		}
		res.Claimed = claimed
		return s.events(ctx, tx, evs)
	})
	return res, err
}

// skipCond is a claim's condition leaving the deliveries (aliased d) of the
// channels skip alone, and its arguments: nothing when skip is empty, so that
// the usual claim's statements stay as they are.
func (s *Store) skipCond(skip []int64) (string, []any) {
	if len(skip) == 0 {
		return "", nil
	}
	notIn, args := s.dia.notIn(skip)
	return ` AND d.channel_id` + notIn, args
}

// attemptEvent is the event of a claimed delivery's attempt. (The claim of
// one statement writes the same detail in SQL: claimOneStatement.)
func attemptEvent(d calendar.Delivery, owner string, now int64) calendar.Event {
	late := int64(0)
	if d.RunAt != nil {
		late = now - ms(*d.RunAt)
	}
	return calendar.Event{Kind: "delivery.attempt", Actor: calendar.DaemonActor(owner), PostID: d.PostID, DeliveryID: d.ID, ChannelID: d.ChannelID,
		Detail: map[string]any{"attempt": d.Attempts, "owner": owner, "late_ms": late}}
}

// claimOneStatement is a claim on PostgreSQL when no channel has a rate
// limit: one statement picks the due rows (oldest first, those another
// claimer holds skipped), takes them, inserts their attempts' events and
// returns them. What it takes is what pickTx and the claim's UPDATE would
// take: the first o.Limit, and, with o.Ahead, up to o.Ahead more while
// o.Leave remain after them.
func (s *Store) claimOneStatement(ctx context.Context, tx *sql.Tx, o calendar.ClaimOptions, now int64, at time.Time) ([]calendar.Delivery, error) {
	ahead, leave := max(o.Ahead, 0), max(o.Leave, 0)
	if ahead == 0 {
		leave = 0
	}
	owner, err := json.Marshal(o.Owner)
	if err != nil {
		return nil, err
	}
	cond := ``
	args := []any{now, now, now}
	if o.PostID != 0 {
		cond = ` AND d.post_id = ?`
		args = append(args, o.PostID)
	}
	skip, skipArgs := s.skipCond(o.SkipChannels)
	cond += skip
	args = append(args, skipArgs...)
	args = append(args, o.Limit+ahead+leave, // the rows locked
		o.Limit, ahead, o.Limit, leave, // how many of them are taken
		o.Owner, ms(at.Add(o.Lease)), ms(at), now, ms(at), // the claim
		ms(s.now()), calendar.DaemonActor(o.Owner), now, string(owner)) // the events
	q := `WITH cand AS (
		SELECT d.id, d.run_at FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND ch.paused = 0 AND ` + approvedGate + ` AND ` + notBlackedOut + cond + `
		ORDER BY d.run_at, d.id LIMIT ? FOR UPDATE OF d SKIP LOCKED
	), pick AS (
		SELECT id FROM (SELECT id, row_number() OVER (ORDER BY run_at, id) AS n, count(*) OVER () AS total FROM cand) c
		WHERE n <= CAST(? AS BIGINT) + GREATEST(0, LEAST(CAST(? AS BIGINT), total - CAST(? AS BIGINT) - CAST(? AS BIGINT)))
	), taken AS (
		UPDATE deliveries d SET status='publishing', lease_owner=?, lease_expires_at=?, attempts=d.attempts+1, claimed_at=?, updated_at=?
		FROM pick, channels ch WHERE d.id = pick.id AND ch.id = d.channel_id AND d.status='pending'
		AND (d.lease_owner = '' OR d.lease_expires_at IS NULL OR d.lease_expires_at < ?)
		RETURNING d.id, d.post_id, d.channel_id, ch.name, ch.network, d.status, d.due_at, d.run_at, d.attempts,
		d.lease_owner, d.lease_expires_at, d.idempotency_key, d.remote_id, d.remote_url, d.published_at, d.last_error
	), ev AS (
		INSERT INTO events (at, actor, kind, post_id, delivery_id, channel_id, detail)
		SELECT ?, ?, 'delivery.attempt', post_id, id, channel_id,
			'{"attempt":' || attempts || ',"late_ms":' || (CAST(? AS BIGINT) - run_at) || ',"owner":' || CAST(? AS TEXT) || '}'
		FROM taken ORDER BY run_at, id
	)
	SELECT * FROM taken ORDER BY run_at, id`
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanDelivery)
}

const missedReason = "later than the channel's max lateness"

// markMissedTx turns runnable deliveries later than their channel's max
// lateness (a positive one; zero means no limit) into 'missed'.
// least is the smallest max lateness of a channel: only what is later than
// it can be missed, a bound that keeps this scan to the late end of the
// index, not all that is due. The deliveries of the channels skip are left
// alone: a claimer that skips a channel leaves them to one that takes it.
func (s *Store) markMissedTx(ctx context.Context, tx *sql.Tx, now int64, least sql.NullInt64, postID int64, skip []int64, actor string) ([]calendar.Delivery, error) {
	if !least.Valid {
		return nil, nil
	}
	if err := s.planEachCall(ctx, tx); err != nil {
		return nil, err
	}
	// Lateness a blackout caused counts from the blackout's end: a post it
	// held publishes when it ends (within the max lateness).
	q := `SELECT d.id FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at < ? AND ch.paused = 0 AND ` + approvedGate + `
		AND ch.max_lateness_ms > 0 AND d.run_at < ? - ch.max_lateness_ms AND ` + notBlackedOut + `
		AND NOT EXISTS (SELECT 1 FROM blackouts b WHERE (b.channel_id IS NULL OR b.channel_id = d.channel_id)
			AND b.starts_at <= d.run_at AND b.ends_at > d.run_at AND b.ends_at >= ? - ch.max_lateness_ms)`
	args := []any{now - least.Int64, now, now, now, now}
	if postID != 0 {
		q += ` AND d.post_id = ?`
		args = append(args, postID)
	}
	cond, skipArgs := s.skipCond(skip)
	q += cond
	args = append(args, skipArgs...)
	q += s.dia.skipLocked("d")
	ids, err := queryIDs(ctx, tx, q, args...)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	out, err := deliveriesByID(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for _, d := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status='missed', run_at=NULL, updated_at=?,
			last_error=? WHERE id=?`, now, missedReason, d.ID); err != nil {
			return nil, err
		}
		late := time.Duration(now-ms(*d.RunAt)) * time.Millisecond
		if err := s.event(ctx, tx, calendar.Event{Kind: "delivery.missed", Actor: actor, PostID: d.PostID, DeliveryID: d.ID, ChannelID: d.ChannelID,
			Detail: map[string]any{"late": late.Round(time.Second).String()}}); err != nil {
			return nil, err
		}
		if err := s.refreshPostTx(ctx, tx, d.PostID, actor); err != nil {
			return nil, err
		}
	}
	for i := range out {
		out[i].Status, out[i].LastError = calendar.DeliveryMissed, missedReason
	}
	return out, nil
}

// takenCols are a claimed delivery's columns as its claim's UPDATE returns
// them (deliveryCols but the channel's name and network, which the pick read).
const takenCols = `id, post_id, channel_id, status, due_at, run_at, attempts,
	lease_owner, lease_expires_at, idempotency_key, remote_id, remote_url, published_at, last_error`

// takeRows runs a claim's UPDATE … RETURNING takenCols and reads the
// deliveries it returns, their channel's name and network from chans (by
// channel id), in the order deliveriesByID gives (run_at, then id).
func takeRows(ctx context.Context, tx *sql.Tx, q string, chans map[int64][2]string, args ...any) ([]calendar.Delivery, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.Delivery
	for rows.Next() {
		d, err := scanDeliveryOf(rows, false)
		if err != nil {
			return nil, err
		}
		d.Channel, d.Network = chans[d.ChannelID][0], chans[d.ChannelID][1]
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.RunAt == nil) != (b.RunAt == nil) {
			return a.RunAt == nil // NULL first, as both engines sort it ascending
		}
		if a.RunAt != nil && !a.RunAt.Equal(*b.RunAt) {
			return a.RunAt.Before(*b.RunAt)
		}
		return a.ID < b.ID
	})
	return out, nil
}

// pickTx chooses which due deliveries to claim, oldest first, within each
// rate-limited channel's budget, and returns their channels' names and
// networks (by id) and the channels whose budget is spent (with their limits).
func (s *Store) pickTx(ctx context.Context, tx *sql.Tx, o calendar.ClaimOptions, now int64) ([]int64, map[int64][2]string, map[int64][2]int, error) {
	q := `SELECT d.id, d.channel_id, ch.rate_per_minute, ch.rate_per_day, ch.name, ch.network FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND ch.paused = 0 AND ` + approvedGate + ` AND ` + notBlackedOut
	args := []any{now, now, now}
	if o.PostID != 0 {
		q += ` AND d.post_id = ?`
		args = append(args, o.PostID)
	}
	// A skipped channel's deliveries are no candidates: neither claimed nor
	// deferred, nor counted in the backlog a claim ahead leaves (Leave).
	skip, skipArgs := s.skipCond(o.SkipChannels)
	q += skip
	args = append(args, skipArgs...)
	// Read a little more than the limit so one throttled channel does not
	// starve the others in this claim (and, for a claim ahead, enough to
	// see that Leave remain).
	q += ` ORDER BY d.run_at, d.id LIMIT ?` + s.dia.skipLocked("d")
	args = append(args, (o.Limit+max(o.Ahead, 0))*4+16+max(o.Leave, 0))
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, nil, err
	}
	type cand struct{ id, ch int64 }
	var cands []cand
	limits := map[int64][2]int{}
	chans := map[int64][2]string{}
	for rows.Next() {
		var c cand
		var perMin, perDay int
		var name, network string
		if err := rows.Scan(&c.id, &c.ch, &perMin, &perDay, &name, &network); err != nil {
			rows.Close()
			return nil, nil, nil, err
		}
		cands = append(cands, c)
		chans[c.ch] = [2]string{name, network}
		if perMin > 0 || perDay > 0 {
			limits[c.ch] = [2]int{perMin, perDay}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, nil, err
	}
	budget := map[int64]int{}
	for ch, lim := range limits {
		b, err := rateBudget(ctx, tx, ch, lim, now)
		if err != nil {
			return nil, nil, nil, err
		}
		budget[ch] = b
	}
	var ids []int64
	exhausted := map[int64]bool{}
	next := len(cands) // the first candidate not looked at
	for i, c := range cands {
		if len(ids) == o.Limit {
			next = i
			break
		}
		if _, limited := limits[c.ch]; limited {
			if budget[c.ch] <= 0 {
				exhausted[c.ch] = true
				continue
			}
			budget[c.ch]--
		}
		ids = append(ids, c.id)
	}
	if o.Ahead > 0 && len(ids) == o.Limit {
		// Claimable beyond the limit (within the rate budgets): the claim
		// takes up to Ahead of them while Leave remain for others.
		var rest []int64
		for _, c := range cands[next:] {
			if _, limited := limits[c.ch]; limited {
				if budget[c.ch] <= 0 {
					continue
				}
				budget[c.ch]--
			}
			rest = append(rest, c.id)
		}
		if n := min(o.Ahead, len(rest)-max(o.Leave, 0)); n > 0 {
			ids = append(ids, rest[:n]...)
		}
	}
	spent := map[int64][2]int{}
	for ch := range exhausted {
		spent[ch] = limits[ch]
	}
	return ids, chans, spent, nil
}

// deferTx moves the due deliveries of channels whose rate budget is spent
// to when their windows next admit a claim (after this claim's are counted).
func (s *Store) deferTx(ctx context.Context, tx *sql.Tx, spent map[int64][2]int, now int64) (int, error) {
	deferred := 0
	for ch, lim := range spent {
		at, err := nextFree(ctx, tx, ch, lim, now)
		if err != nil {
			return 0, err
		}
		r, err := tx.ExecContext(ctx, `UPDATE deliveries SET run_at=?, updated_at=? WHERE channel_id=? AND status='pending'
			AND run_at IS NOT NULL AND run_at <= ?`, at, now, ch, now)
		if err != nil {
			return 0, err
		}
		n, _ := r.RowsAffected()
		deferred += int(n)
	}
	return deferred, nil
}

var rateWindows = [2]time.Duration{time.Minute, 24 * time.Hour}

// rateBudget is how many more claims a channel may have now: its limits
// count claims (in flight or published) in sliding windows of a minute and a day.
func rateBudget(ctx context.Context, tx *sql.Tx, ch int64, lim [2]int, now int64) (int, error) {
	budget := int(^uint(0) >> 1)
	for i, w := range rateWindows {
		if lim[i] <= 0 {
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE channel_id=? AND claimed_at > ?
			AND status IN ('publishing','published')`, ch, now-w.Milliseconds()).Scan(&n); err != nil {
			return 0, err
		}
		budget = min(budget, lim[i]-n)
	}
	return budget, nil
}

// nextFree is when a channel's rate windows next admit a claim: the
// instant the oldest counted claim leaves each full window.
func nextFree(ctx context.Context, tx *sql.Tx, ch int64, lim [2]int, now int64) (int64, error) {
	at := now + 1000
	for i, w := range rateWindows {
		if lim[i] <= 0 {
			continue
		}
		// The claim that must leave the window for one more to fit is the
		// lim-th newest; with fewer in the window, it already fits.
		var oldest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT claimed_at FROM deliveries WHERE channel_id=? AND claimed_at > ?
			AND status IN ('publishing','published') ORDER BY claimed_at DESC LIMIT 1 OFFSET ?`,
			ch, now-w.Milliseconds(), lim[i]-1).Scan(&oldest); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		if oldest.Valid {
			at = max(at, oldest.Int64+w.Milliseconds()+1)
		}
	}
	return at, nil
}

func queryIDs(ctx context.Context, q queryer, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func deliveriesByID(ctx context.Context, q queryer, ids []int64) ([]calendar.Delivery, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.id IN (`+placeholders(len(ids))+`) ORDER BY d.run_at, d.id`, args...)
	if err != nil {
		return nil, err
	}
	return scanRows(rows, scanDelivery)
}

// Delivery returns one delivery by id.
func (s *Store) Delivery(ctx context.Context, id int64) (calendar.Delivery, error) {
	out, err := deliveriesByID(ctx, s.db, []int64{id})
	if err != nil {
		return calendar.Delivery{}, err
	}
	if len(out) == 0 {
		return calendar.Delivery{}, calendar.NotFound("delivery", strconv.FormatInt(id, 10))
	}
	return out[0], nil
}

// ClaimExpired takes over deliveries left 'publishing' by an owner whose
// lease expired (it crashed, or was killed): they are leased to owner, whose
// job is to settle them (RecordOutcome) by what their network makes safe.
// Attempts are not counted again. Each row is taken only if it still holds
// the expired lease it was picked with: a lease renewed or settled meanwhile
// stays with its holder.
func (s *Store) ClaimExpired(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]calendar.Delivery, error) {
	var out []calendar.Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT id, lease_owner FROM deliveries WHERE status='publishing' AND lease_expires_at < ?
			ORDER BY lease_expires_at LIMIT ?`, ms(now), limit)
		if err != nil {
			return err
		}
		var ids []int64
		prev := map[int64]string{}
		for rows.Next() {
			var id int64
			var o string
			if err := rows.Scan(&id, &o); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			prev[id] = o
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		if beforeClaimWrite != nil {
			if err := beforeClaimWrite(ctx, tx, ids); err != nil {
				return err
			}
		}
		var took []int64
		for _, id := range ids {
			r, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner=?, lease_expires_at=?, updated_at=?
				WHERE id=? AND status='publishing' AND lease_owner=? AND lease_expires_at < ?`,
				owner, ms(now.Add(lease)), ms(now), id, prev[id], ms(now))
			if err != nil {
				return err
			}
			if n, err := r.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				took = append(took, id)
			}
		}
		out, err = deliveriesByID(ctx, tx, took)
		if err != nil {
			return err
		}
		for _, d := range out {
			if err := s.event(ctx, tx, calendar.Event{Kind: "delivery.lease_expired", Actor: calendar.DaemonActor(owner), PostID: d.PostID, DeliveryID: d.ID, ChannelID: d.ChannelID,
				Detail: map[string]any{"previous_owner": prev[d.ID], "owner": owner}}); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// ExtendLeases pushes the lease of owner's in-flight deliveries to until:
// a long network call keeps its claim. It returns the ids whose lease owner
// no longer holds (recovered by another process, or settled): their
// outcomes will meet ErrLeaseLost.
func (s *Store) ExtendLeases(ctx context.Context, owner string, ids []int64, until time.Time) (lost []int64, err error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{ms(until), owner}
	for _, id := range ids {
		args = append(args, id)
	}
	kept, err := queryIDs(ctx, s.db, `UPDATE deliveries SET lease_expires_at=`+s.dia.greatest("lease_expires_at", "?")+` WHERE status='publishing' AND lease_owner=? AND id IN (`+
		placeholders(len(ids))+`) RETURNING id`, args...)
	if err != nil {
		return nil, err
	}
	held := make(map[int64]bool, len(kept))
	for _, id := range kept {
		held[id] = true
	}
	for _, id := range ids {
		if !held[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// RecordOutcome writes what became of a delivery claimed by owner, and
// refreshes its post's status. A published outcome is recorded even when the
// lease was lost meanwhile (the network's word is the truth), and flagged as
// a duplicate when another attempt had already recorded one.
func (s *Store) RecordOutcome(ctx context.Context, d calendar.Delivery, owner string, o calendar.Outcome) error {
	errs, err := s.RecordOutcomes(ctx, owner, []calendar.OutcomeRecord{{Delivery: d, Outcome: o}})
	if err != nil {
		return err
	}
	return errs[0]
}

// outcomeRow is what an outcome reads (and, on PostgreSQL, locks) of its
// delivery and post before settling them.
type outcomeRow struct {
	status, holder, postStatus string
	attempts                   int
	postAt                     sql.NullInt64
	queued                     bool
}

// RecordOutcomes records several outcomes, each as RecordOutcome does, in
// one transaction: a daemon's calls that end together share one commit
// (and, on PostgreSQL, one lock read and one insert of their events). errs
// holds each record's own refusal (calendar.ErrLeaseLost, not found), which
// does not stop the others; err is the batch's failure, and then nothing
// was written.
func (s *Store) RecordOutcomes(ctx context.Context, owner string, rs []calendar.OutcomeRecord) (errs []error, err error) {
	if len(rs) == 0 {
		return nil, nil
	}
	outs := make([]calendar.Outcome, len(rs))
	notes := make([]string, len(rs))
	// The hot path runs beside other outcomes and claims (txDelivery), but
	// refused credentials pause the channel: a channel change, exclusive.
	txFn := s.txDelivery
	for i, r := range rs {
		outs[i] = r.Outcome
		notes[i] = outs[i].DropBadRemoteURL()
		if r.Outcome.Kind == calendar.OutcomeAuth {
			txFn = s.tx
		}
	}
	// Rows are settled (and locked) in the order of their posts and ids, so
	// two batches that share posts cannot lock each other out.
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		da, db := rs[order[a]].Delivery, rs[order[b]].Delivery
		if da.PostID != db.PostID {
			return da.PostID < db.PostID
		}
		return da.ID < db.ID
	})
	err = txFn(ctx, func(tx *sql.Tx) error {
		errs = make([]error, len(rs))
		now := ms(s.now())
		// On PostgreSQL the deliveries' and their posts' rows are locked
		// first: another outcome of a post waits, and reads this one's once
		// it is committed (a claim inserting an event of the post does not).
		ids := make([]int64, len(rs))
		for i, r := range rs {
			ids[i] = r.Delivery.ID
		}
		in, args := s.dia.in(ids)
		rows, err := tx.QueryContext(ctx, `SELECT d.id, d.status, d.lease_owner, d.attempts, p.status, p.publish_at, p.queued
			FROM deliveries d JOIN posts p ON p.id = d.post_id WHERE d.id`+in+` ORDER BY p.id, d.id`+s.dia.forNoKeyUpdate(), args...)
		if err != nil {
			return err
		}
		cur := make(map[int64]outcomeRow, len(rs))
		for rows.Next() {
			var id int64
			var c outcomeRow
			if err := rows.Scan(&id, &c.status, &c.holder, &c.attempts, &c.postStatus, &c.postAt, &c.queued); err != nil {
				rows.Close()
				return err
			}
			cur[id] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var evs []calendar.Event
		var posts []int64 // to refresh, in order
		postStatus := map[int64]string{}
		var published []publishedRow // written together, below
		for _, i := range order {
			d := rs[i].Delivery
			c, ok := cur[d.ID]
			if !ok {
				errs[i] = calendar.NotFound("delivery", strconv.FormatInt(d.ID, 10))
				continue
			}
			ev, refresh, err := s.settleOutcomeTx(ctx, tx, d, owner, outs[i], notes[i], c, now, &published)
			if errors.Is(err, calendar.ErrLeaseLost) {
				errs[i] = err
				continue
			}
			if err != nil {
				return err
			}
			evs = append(evs, ev)
			if refresh && (len(posts) == 0 || posts[len(posts)-1] != d.PostID) {
				posts = append(posts, d.PostID)
				postStatus[d.PostID] = c.postStatus
			}
		}
		if s.dia.pg && len(published) <= publishedChunk && len(evs) <= eventsChunk {
			// PostgreSQL: the publications, the deliveries' events and the
			// count of the posts' deliveries in one statement, then the
			// posts and their events in one more.
			tallies, err := s.publishAndCountPG(ctx, tx, published, evs, posts, now)
			if err != nil {
				return err
			}
			changes, postEvs := derivePosts(posts, postStatus, tallies, calendar.DaemonActor(owner))
			return s.writePostsPG(ctx, tx, changes, postEvs)
		}
		if err := setPublishedTx(ctx, tx, published, now); err != nil {
			return err
		}
		// The posts' rows were locked and read with their deliveries (an
		// outcome changes no post's status before this): their statuses
		// are derived in one count, and their events go in with the
		// deliveries'.
		postEvs, err := s.refreshPostsTx(ctx, tx, posts, postStatus, calendar.DaemonActor(owner))
		if err != nil {
			return err
		}
		return s.events(ctx, tx, append(evs, postEvs...))
	})
	return errs, err
}

// publishAndCountPG is, on PostgreSQL, setPublishedTx (at most
// publishedChunk rows), the insert of evs (at most eventsChunk) and the
// count of posts' deliveries by status, in one statement. The statement's
// parts all read the database as it was before it (the post rows are
// locked by then: no other outcome of these posts runs), so the count is
// corrected here by each publication's row as it was (its status then).
func (s *Store) publishAndCountPG(ctx context.Context, tx *sql.Tx, published []publishedRow, evs []calendar.Event, posts []int64, now int64) (map[int64]*postTally, error) {
	var with []string
	var args []any
	if len(published) > 0 {
		q, a := publishedUpdate(published, now, true)
		with = append(with, `u AS (`+q+`)`)
		args = append(args, a...)
	}
	if len(evs) > 0 {
		q, a, err := s.eventsInsert(evs)
		if err != nil {
			return nil, err
		}
		with = append(with, `e AS (`+q+`)`)
		args = append(args, a...)
	}
	q := `SELECT 0, post_id, status, count(*), max(published_at) FROM deliveries WHERE post_id = ANY(?) GROUP BY post_id, status`
	args = append(args, posts)
	if len(published) > 0 {
		q += ` UNION ALL SELECT 1, post_id, status, 1, at FROM u`
	}
	if len(with) > 0 {
		q = `WITH ` + strings.Join(with, ", ") + ` ` + q
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tallies := map[int64]*postTally{}
	type pub struct {
		post int64
		was  string
		at   sql.NullInt64
	}
	var pubs []pub
	for rows.Next() {
		var kind int
		var id int64
		var st string
		var n int
		var at sql.NullInt64
		if err := rows.Scan(&kind, &id, &st, &n, &at); err != nil {
			return nil, err
		}
		if kind == 1 {
			pubs = append(pubs, pub{id, st, at})
			continue
		}
		tallyAdd(tallies, id, st, n, at)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, p := range pubs {
		t := tallies[p.post]
		if t == nil {
			continue // not a post to refresh
		}
		t.counts[p.was]--
		if t.counts[p.was] == 0 {
			delete(t.counts, p.was)
		}
		t.counts[calendar.DeliveryPublished]++
		if p.at.Valid && (!t.lastPublished.Valid || p.at.Int64 > t.lastPublished.Int64) {
			t.lastPublished = p.at
		}
	}
	return tallies, nil
}

// writePostsPG writes posts' new statuses and inserts evs (their events),
// in one statement on PostgreSQL.
func (s *Store) writePostsPG(ctx context.Context, tx *sql.Tx, changes []postChange, evs []calendar.Event) error {
	if len(changes) == 0 || len(changes) > publishedChunk || len(evs) > eventsChunk {
		if err := s.writePosts(ctx, tx, changes); err != nil {
			return err
		}
		return s.events(ctx, tx, evs)
	}
	var args []any
	q := ``
	if len(evs) > 0 {
		e, a, err := s.eventsInsert(evs)
		if err != nil {
			return err
		}
		q, args = `WITH e AS (`+e+`) `, a
	}
	b := []byte(q + `UPDATE posts SET status=v.column2, published_at=COALESCE(v.column3, posts.published_at), version=posts.version+1, updated_at=? FROM (VALUES `)
	args = append(args, ms(s.now()))
	for i, c := range changes {
		if i == 0 {
			b = append(b, "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT))"...)
		} else {
			b = append(b, ",(?,?,?)"...)
		}
		args = append(args, c.id, c.status, c.pubAt)
	}
	b = append(b, `) AS v WHERE posts.id = v.column1`...)
	_, err := tx.ExecContext(ctx, string(b), args...)
	return err
}

// publishedRow is a delivery an outcome batch marks published.
type publishedRow struct {
	id                  int64
	remoteID, remoteURL string
	at                  int64
}

// setPublishedTx marks a batch's published deliveries in one statement:
// published, with their remote id, URL and time, no error, not runnable,
// no lease.
func setPublishedTx(ctx context.Context, tx *sql.Tx, rows []publishedRow, now int64) error {
	for len(rows) > 0 {
		n := min(len(rows), publishedChunk)
		q, args := publishedUpdate(rows[:n], now, false)
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// publishedChunk bounds the rows of one publishedUpdate: 4 variables
// each, well under SQLite's limit.
const publishedChunk = 200

// publishedUpdate is the UPDATE of setPublishedTx for rows (at most
// publishedChunk) and its arguments. With returning (PostgreSQL), it
// returns each row's post, its status before the update and the time
// it was published at.
func publishedUpdate(rows []publishedRow, now int64, returning bool) (string, []any) {
	q := make([]byte, 0, 400+24*len(rows))
	q = append(q, `UPDATE deliveries SET status='published', remote_id=v.column2, remote_url=v.column3, published_at=v.column4,
			last_error='', run_at=NULL, lease_owner='', lease_expires_at=NULL, updated_at=? FROM (VALUES `...)
	args := make([]any, 0, 1+4*len(rows))
	args = append(args, now)
	for i, r := range rows {
		if i == 0 {
			// The first row types the columns (PostgreSQL).
			q = append(q, "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT))"...)
		} else {
			q = append(q, ",(?,?,?,?)"...)
		}
		args = append(args, r.id, r.remoteID, r.remoteURL, r.at)
	}
	q = append(q, `) AS v`...)
	if returning {
		q = append(q, `, deliveries AS was WHERE deliveries.id = v.column1 AND was.id = v.column1
			RETURNING deliveries.post_id, was.status, v.column4 AS at`...)
	} else {
		q = append(q, ` WHERE deliveries.id = v.column1`...)
	}
	return string(q), args
}

// settleOutcomeTx writes one outcome on its delivery, read as c (a
// publication is added to published, for setPublishedTx), and says which
// event records it and whether its post's status is to be refreshed.
func (s *Store) settleOutcomeTx(ctx context.Context, tx *sql.Tx, d calendar.Delivery, owner string, o calendar.Outcome, urlNote string, c outcomeRow, now int64, published *[]publishedRow) (calendar.Event, bool, error) {
	mine := c.status == calendar.DeliveryPublishing && c.holder == owner
	ev := calendar.Event{PostID: d.PostID, DeliveryID: d.ID, ChannelID: d.ChannelID, Actor: calendar.DaemonActor(owner),
		Detail: map[string]any{"attempt": c.attempts}}
	if o.Class != "" {
		ev.Detail["class"] = o.Class
	}
	if o.Error != "" {
		ev.Detail["error"] = o.Error
	}
	if urlNote != "" {
		ev.Detail["note"] = urlNote
	}
	if o.Kind == calendar.OutcomePublished {
		if c.status == calendar.DeliveryPublished {
			ev.Kind = "delivery.duplicate"
			ev.Detail["remote_id"], ev.Detail["remote_url"] = o.RemoteID, o.RemoteURL
			return ev, false, nil
		}
		at := o.PublishedAt
		if at.IsZero() {
			at = s.now()
		}
		// The same delivery twice in a batch: the later outcome wins.
		rows := slices.DeleteFunc(*published, func(r publishedRow) bool { return r.id == d.ID })
		*published = append(rows, publishedRow{id: d.ID, remoteID: o.RemoteID, remoteURL: o.RemoteURL, at: ms(at)})
		ev.Kind = "delivery.published"
		ev.Detail["remote_id"], ev.Detail["remote_url"] = o.RemoteID, o.RemoteURL
		if o.Found {
			ev.Detail["found_by_lookup"] = true
		}
		if !mine {
			ev.Detail["lease_lost"] = true
		}
		return ev, true, nil
	}
	if !mine {
		return ev, false, fmt.Errorf("delivery %d (%s): %w", d.ID, c.status, calendar.ErrLeaseLost)
	}
	set := func(q string, args ...any) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET `+q+`, lease_owner='', lease_expires_at=NULL, updated_at=? WHERE id=?`,
			append(args, now, d.ID)...)
		return err
	}
	// A retry stays runnable only while its post is on the calendar.
	runAt := func(t time.Time) any {
		switch c.postStatus {
		case calendar.StatusScheduled, calendar.StatusPartial, calendar.StatusFailed:
			return ms(t)
		}
		return nil
	}
	var err error
	switch o.Kind {
	case calendar.OutcomeRetry, calendar.OutcomeRecovered, calendar.OutcomeAuth:
		if c.postStatus == calendar.StatusCanceled {
			err = set(`status='canceled', run_at=NULL, last_error=?`, o.Error)
			ev.Kind = "delivery.canceled"
			break
		}
		at := o.RetryAt
		if at.IsZero() {
			at = s.now()
		}
		// The post may have been re-timed while this call ran (settleStatusTx
		// re-times pending deliveries only): it takes the post's time now,
		// and a retry never runs before it.
		var due any
		if !c.queued && c.postAt.Valid {
			due = c.postAt.Int64
			if c.postAt.Int64 > ms(at) {
				at = fromMS(c.postAt.Int64)
			}
		}
		attemptsQ := "attempts"
		if o.Kind == calendar.OutcomeAuth || o.NotTried {
			// Refused credentials are not the post's fault, and a call not
			// made is no attempt: the attempt is given back.
			attemptsQ = s.dia.greatest("attempts-1", "0")
		}
		err = set(`status='pending', run_at=?, due_at=COALESCE(?, due_at), last_error=?, attempts=`+attemptsQ, runAt(at), due, o.Error)
		ev.Kind = "delivery.retry"
		ev.Detail["retry_at"] = at.UTC().Format(time.RFC3339Nano)
		if o.Kind == calendar.OutcomeRecovered {
			ev.Kind = "delivery.recovered"
		}
	case calendar.OutcomeFailed:
		// A thread cut short failed with its first parts live: their id is kept.
		err = set(`status='failed', run_at=NULL, last_error=?, remote_id=COALESCE(NULLIF(?, ''), remote_id),
			remote_url=COALESCE(NULLIF(?, ''), remote_url)`, o.Error, o.RemoteID, o.RemoteURL)
		ev.Kind = "delivery.failed"
		if o.RemoteID != "" {
			ev.Detail["remote_id"], ev.Detail["remote_url"] = o.RemoteID, o.RemoteURL
		}
	case calendar.OutcomeHeld:
		err = set(`status='held', run_at=NULL, last_error=?`, o.Error)
		ev.Kind = "delivery.held"
	default:
		return ev, false, fmt.Errorf("unknown outcome %q", o.Kind)
	}
	if err != nil {
		return ev, false, err
	}
	if o.Kind == calendar.OutcomeAuth {
		if err := s.setChannelPausedTx(ctx, tx, d.ChannelID, true, o.PauseReason); err != nil {
			return ev, false, err
		}
	}
	return ev, true, nil
}

// refreshPostTx derives a post's status from its deliveries once none is left
// to run: all published → published; some → partial; none → failed (all
// canceled keeps the post canceled). A post with deliveries put back to run
// is scheduled again. The version is bumped so a stale edit cannot undo it.
func (s *Store) refreshPostTx(ctx context.Context, tx *sql.Tx, postID int64, actor string) error {
	// The post's row is locked (PostgreSQL) before its deliveries are read:
	// two of them settled at once by outcomes running side by side must not
	// both derive the post's status from reads that miss the other.
	var current string
	if err := tx.QueryRowContext(ctx, `SELECT status FROM posts WHERE id=?`+s.dia.forUpdate(), postID).Scan(&current); err != nil {
		return err
	}
	evs, err := s.refreshPostsTx(ctx, tx, []int64{postID}, map[int64]string{postID: current}, actor)
	if err != nil {
		return err
	}
	return s.events(ctx, tx, evs)
}

// refreshPostsTx is refreshPostTx for several posts whose rows the
// transaction has already locked and read (current: their status): their
// deliveries are counted in one query, and the events of the posts whose
// status changed are returned for the caller to insert.
func (s *Store) refreshPostsTx(ctx context.Context, tx *sql.Tx, ids []int64, current map[int64]string, actor string) ([]calendar.Event, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := tx.QueryContext(ctx, `SELECT post_id, status, count(*), max(published_at) FROM deliveries WHERE post_id IN (`+
		placeholders(len(ids))+`) GROUP BY post_id, status`, args...)
	if err != nil {
		return nil, err
	}
	tallies := map[int64]*postTally{}
	for rows.Next() {
		var id int64
		var st string
		var n int
		var pub sql.NullInt64
		if err := rows.Scan(&id, &st, &n, &pub); err != nil {
			rows.Close()
			return nil, err
		}
		tallyAdd(tallies, id, st, n, pub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	changes, evs := derivePosts(ids, current, tallies, actor)
	return evs, s.writePosts(ctx, tx, changes)
}

// postTally is a post's deliveries counted by status.
type postTally struct {
	counts        map[string]int
	total         int
	lastPublished sql.NullInt64
}

// tallyAdd counts n deliveries of post id in status st (pub: the latest
// publication among them).
func tallyAdd(tallies map[int64]*postTally, id int64, st string, n int, pub sql.NullInt64) {
	t := tallies[id]
	if t == nil {
		t = &postTally{counts: map[string]int{}}
		tallies[id] = t
	}
	t.counts[st] += n
	t.total += n
	if st == calendar.DeliveryPublished {
		t.lastPublished = pub
	}
}

// postChange is a post's status as its deliveries make it, to write.
type postChange struct {
	id     int64
	status string
	pubAt  any // the latest publication, or nil
}

// derivePosts derives the statuses of posts ids (current: as they are) from
// their deliveries' tallies: the posts whose status changes, and their events.
func derivePosts(ids []int64, current map[int64]string, tallies map[int64]*postTally, actor string) ([]postChange, []calendar.Event) {
	var changes []postChange
	var evs []calendar.Event
	for _, id := range ids {
		t := tallies[id]
		if t == nil || t.total == 0 {
			continue
		}
		cur := current[id]
		next := derivedPostStatus(cur, t.counts, t.total)
		if next == cur {
			continue
		}
		var pubAt any
		if next == calendar.StatusPublished || next == calendar.StatusPartial {
			if t.lastPublished.Valid {
				pubAt = t.lastPublished.Int64
			}
		}
		changes = append(changes, postChange{id: id, status: next, pubAt: pubAt})
		evs = append(evs, calendar.Event{Kind: "post." + next, Actor: actor, PostID: id, Detail: map[string]any{"from": cur,
			"deliveries": t.counts}})
	}
	return changes, evs
}

// writePosts writes posts' new statuses, one statement each.
func (s *Store) writePosts(ctx context.Context, tx *sql.Tx, changes []postChange) error {
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET status=?, published_at=COALESCE(?, published_at), version=version+1, updated_at=? WHERE id=?`,
			c.status, c.pubAt, ms(s.now()), c.id); err != nil {
			return err
		}
	}
	return nil
}

// derivedPostStatus is a post's status as its deliveries' counts (total of
// them, at least one) make it, from its current one.
func derivedPostStatus(current string, counts map[string]int, total int) string {
	open := counts[calendar.DeliveryPending] + counts[calendar.DeliveryPublishing] + counts[calendar.DeliveryHeld]
	switch {
	case open > 0:
		if current == calendar.StatusPartial || current == calendar.StatusFailed || current == calendar.StatusPublished {
			return calendar.StatusScheduled
		}
		return current
	case counts[calendar.DeliveryPublished] == total:
		return calendar.StatusPublished
	case counts[calendar.DeliveryPublished] > 0:
		return calendar.StatusPartial
	case counts[calendar.DeliveryCanceled] == total:
		return calendar.StatusCanceled
	default:
		return calendar.StatusFailed
	}
}

// NextWake says when the scheduler next has work after now: run is the
// earliest runnable delivery of an unpaused channel that no blackout holds, or
// the end of a blackout holding some (none while the kill switch is on);
// lease is the earliest lease to expire. Either is nil when there is none.
// The deliveries of the channels skip do not count (those its claims skip,
// ClaimOptions.SkipChannels).
func (s *Store) NextWake(ctx context.Context, now time.Time, skip ...int64) (run, lease *time.Time, err error) {
	// One statement (the daemon asks after every turn of its loop): the
	// partial index gives run_at in order; the first of an unpaused, not
	// blacked-out channel wins.
	n := ms(now)
	var paused int
	var next, end, exp sql.NullInt64
	cond, skipArgs := s.skipCond(skip)
	args := append([]any{calendar.StatePauseAll, n, n, n}, skipArgs...)
	args = append(args, n, n)
	err = s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM state WHERE key = ?),
		(SELECT d.run_at FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
			WHERE d.status='pending' AND d.run_at IS NOT NULL AND ch.paused = 0 AND `+approvedGate+` AND (d.run_at > ? OR `+notBlackedOut+`)`+cond+`
			ORDER BY d.run_at LIMIT 1),
		(SELECT min(ends_at) FROM blackouts WHERE starts_at <= ? AND ends_at > ?),
		(SELECT min(lease_expires_at) FROM deliveries WHERE status='publishing')`,
		args...).Scan(&paused, &next, &end, &exp)
	if err != nil {
		return nil, nil, err
	}
	if paused > 0 {
		return nil, fromNullMS(exp), nil
	}
	if end.Valid && (!next.Valid || end.Int64 < next.Int64) {
		next = end
	}
	return fromNullMS(next), fromNullMS(exp), nil
}

// DueDeliveries lists what a claim at now would consider, without claiming:
// `publish --due --dry-run`. Empty while the kill switch is on.
func (s *Store) DueDeliveries(ctx context.Context, now time.Time, limit int) ([]calendar.DueEntry, error) {
	if p, _, err := s.PausedAll(ctx); err != nil || p {
		return nil, err
	}
	return s.entries(ctx, `d.status='pending' AND d.run_at IS NOT NULL AND d.run_at <= ? AND ch.paused = 0 AND `+approvedGate+` AND `+notBlackedOut,
		"d.run_at, d.id", limit, now, ms(now), ms(now), ms(now))
}

// HeldDeliveries lists deliveries a person must decide on (held), and those
// failed or missed, newest first.
func (s *Store) HeldDeliveries(ctx context.Context, statuses []string, limit int) ([]calendar.DueEntry, error) {
	args := make([]any, len(statuses))
	for i, st := range statuses {
		args[i] = st
	}
	return s.entries(ctx, `d.status IN (`+placeholders(len(statuses))+`)`, "d.updated_at DESC, d.id", limit, s.now(), args...)
}

func (s *Store) entries(ctx context.Context, where, order string, limit int, now time.Time, args ...any) ([]calendar.DueEntry, error) {
	q := `SELECT ` + deliveryCols + `, p.slug, p.title, ch.max_lateness_ms FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		JOIN posts p ON p.id = d.post_id WHERE ` + where + ` ORDER BY ` + order
	if limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []calendar.DueEntry
	for rows.Next() {
		var e calendar.DueEntry
		var due, run, lease, published sql.NullInt64
		var lateMS int64
		err := rows.Scan(&e.ID, &e.PostID, &e.ChannelID, &e.Channel, &e.Network, &e.Status, &due, &run, &e.Attempts,
			&e.LeaseOwner, &lease, &e.IdempotencyKey, &e.RemoteID, &e.RemoteURL, &published, &e.LastError, &e.Slug, &e.Title, &lateMS)
		if err != nil {
			return nil, err
		}
		e.DueAt, e.RunAt, e.LeaseExpiresAt, e.PublishedAt = fromNullMS(due), fromNullMS(run), fromNullMS(lease), fromNullMS(published)
		if e.RunAt != nil {
			e.Late = now.Sub(*e.RunAt)
			e.WouldMiss = lateMS > 0 && e.Late > time.Duration(lateMS)*time.Millisecond
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// RetryDeliveries puts a post's held, failed or missed deliveries (on one
// channel, or all) back to pending, due now, with their attempts reset, where
// CanRetry allows it (force: even a delivery whose first part is live).
func (s *Store) RetryDeliveries(ctx context.Context, ref, channel string, force bool) ([]calendar.Delivery, error) {
	return s.decide(ctx, ref, channel, "delivery.retried", func(tx *sql.Tx, p calendar.Post, d calendar.Delivery) error {
		var gated bool
		if err := tx.QueryRowContext(ctx, `SELECT require_approval FROM channels WHERE id=?`, d.ChannelID).Scan(&gated); err != nil {
			return err
		}
		parts, err := deliveryParts(ctx, tx, `delivery_id = ?`, d.ID)
		if err != nil {
			return err
		}
		d.Parts = parts[d.ID]
		if err := calendar.CanRetry(p, d, gated, force); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET status='pending', run_at=?, attempts=0, last_error='', lease_owner='',
			lease_expires_at=NULL, updated_at=? WHERE id=?`, ms(s.now()), ms(s.now()), d.ID)
		return err
	})
}

// DismissDeliveries cancels a post's held, failed or missed deliveries (on one
// channel, or all): a person decided they are not to be published.
func (s *Store) DismissDeliveries(ctx context.Context, ref, channel string) ([]calendar.Delivery, error) {
	return s.decide(ctx, ref, channel, "delivery.dismissed", func(tx *sql.Tx, _ calendar.Post, d calendar.Delivery) error {
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status='canceled', run_at=NULL, lease_owner='', lease_expires_at=NULL,
			updated_at=? WHERE id=?`, ms(s.now()), d.ID)
		return err
	})
}

func (s *Store) decide(ctx context.Context, ref, channel, kind string, change func(*sql.Tx, calendar.Post, calendar.Delivery) error) ([]calendar.Delivery, error) {
	var ids []int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		ids = nil
		p, err := s.postRow(ctx, tx, ref)
		if err != nil {
			return err
		}
		q := `SELECT d.id FROM deliveries d JOIN channels ch ON ch.id = d.channel_id WHERE d.post_id=? AND d.status IN ('held','failed','missed')`
		args := []any{p.ID}
		if channel != "" {
			q += ` AND ch.name = ?`
			args = append(args, channel)
		}
		found, err := queryIDs(ctx, tx, q, args...)
		if err != nil {
			return err
		}
		if len(found) == 0 {
			where := "any channel"
			if channel != "" {
				where = "channel " + channel
			}
			return fmt.Errorf("post %s has no held, failed or missed delivery on %s: %w", p.Slug, where, calendar.ErrConflict)
		}
		ds, err := deliveriesByID(ctx, tx, found)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := change(tx, p, d); err != nil {
				return err
			}
			if err := s.event(ctx, tx, calendar.Event{Kind: kind, PostID: p.ID, DeliveryID: d.ID, ChannelID: d.ChannelID,
				Detail: map[string]any{"from": d.Status}}); err != nil {
				return err
			}
		}
		ids = found
		return s.refreshPostTx(ctx, tx, p.ID, "")
	})
	if err != nil {
		return nil, err
	}
	return deliveriesByID(ctx, s.db, ids)
}

// DeliverySummary counts deliveries by status and what is overdue at now.
func (s *Store) DeliverySummary(ctx context.Context, now time.Time) (calendar.Summary, error) {
	sum := calendar.Summary{Counts: map[string]int{}}
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM deliveries GROUP BY status`)
	if err != nil {
		return sum, err
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return sum, err
		}
		sum.Counts[st] = n
	}
	rows.Close()
	sum.Inflight = sum.Counts[calendar.DeliveryPublishing]
	if sum.Overdue, err = s.OverdueCount(ctx, now); err != nil {
		return sum, err
	}
	var next sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT d.run_at FROM deliveries d JOIN channels ch ON ch.id = d.channel_id
		WHERE d.status='pending' AND d.run_at IS NOT NULL AND ch.paused = 0 ORDER BY d.run_at LIMIT 1`).Scan(&next); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return sum, err
	}
	sum.NextDue = fromNullMS(next)
	return sum, nil
}

// dataVersionWatch is the SQLite store's ChangeWatch: PRAGMA data_version
// on a connection of its own changes when any other connection commits.
type dataVersionWatch struct {
	db   *sql.DB
	conn *sql.Conn
	stmt *sql.Stmt // prepared once: the daemon asks five times a second
	last int64
}

// Watch watches the store's file for commits by other connections
// (ChangeNotifier); on PostgreSQL it LISTENs (pgWatch).
func (s *Store) Watch(ctx context.Context) (calendar.ChangeWatch, error) {
	if s.dia.pg {
		return s.watchPostgres(ctx)
	}
	db, err := sql.Open("sqlite", dsn(s.path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	w := &dataVersionWatch{db: db, conn: conn}
	if w.stmt, err = conn.PrepareContext(ctx, `PRAGMA data_version`); err != nil {
		w.Close()
		return nil, err
	}
	if _, err := w.Changed(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// Changed reports whether the database changed since the last call.
func (w *dataVersionWatch) Changed(ctx context.Context) (bool, error) {
	var v int64
	if err := w.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		return false, err
	}
	changed := v != w.last
	w.last = v
	return changed, nil
}

// Close releases the watcher's connection.
func (w *dataVersionWatch) Close() error {
	if w.stmt != nil {
		w.stmt.Close()
	}
	w.conn.Close()
	return w.db.Close()
}

// PausedChannels lists the paused channels.
func (s *Store) PausedChannels(ctx context.Context) ([]calendar.Channel, error) {
	all, err := s.Channels(ctx)
	if err != nil {
		return nil, err
	}
	var out []calendar.Channel
	for _, c := range all {
		if c.Paused {
			out = append(out, c)
		}
	}
	return out, nil
}
