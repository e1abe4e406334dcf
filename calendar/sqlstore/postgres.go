package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	calendar "github.com/crieur/crieur/calendar"
)

// ErrUnknownScheme is returned by OpenURL for a URL whose scheme is neither
// PostgreSQL's nor SQLite's: a mistyped --db must not become a file.
var ErrUnknownScheme = errors.New("unknown database URL scheme")

// schemeRE is what makes a target a URL rather than a file path (compiled
// on first use: every command pays for what packages build at start-up).
var schemeRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*)://`) })

// OpenURL opens the calendar target names: postgres:// or postgresql:// is
// a PostgreSQL database (with Create, it and its tables are made if
// missing);
// sqlite:PATH, file:PATH or a plain path is a SQLite file (Open). Any other
// scheme:// is refused with ErrUnknownScheme.
func OpenURL(ctx context.Context, target string, opt Options) (*Store, error) {
	if m := schemeRE().FindStringSubmatch(target); m != nil {
		switch strings.ToLower(m[1]) {
		case "postgres", "postgresql":
			return openPostgres(ctx, target, opt)
		case "sqlite", "file":
			u, err := url.Parse(target)
			if err != nil || u.Path == "" {
				return nil, fmt.Errorf("%q: a %s URL names a file, as %s:///path/to/calendar.db", target, m[1], m[1])
			}
			return Open(ctx, u.Path, opt)
		default:
			return nil, fmt.Errorf("%w %q in %s: crieur stores a calendar in PostgreSQL (postgres://user@host/db) or in a SQLite file (a path, or sqlite:PATH)",
				ErrUnknownScheme, m[1], RedactURL(target))
		}
	}
	for _, prefix := range []string{"sqlite:", "file:"} {
		if len(target) > len(prefix) && strings.EqualFold(target[:len(prefix)], prefix) {
			return Open(ctx, target[len(prefix):], opt)
		}
	}
	return Open(ctx, target, opt)
}

// IsPostgresURL reports whether target names a PostgreSQL database.
func IsPostgresURL(target string) bool {
	m := schemeRE().FindStringSubmatch(target)
	return m != nil && (strings.EqualFold(m[1], "postgres") || strings.EqualFold(m[1], "postgresql"))
}

// RedactURL is target with any password replaced by xxxxx, fit to print.
func RedactURL(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		// Not parseable: keep only what cannot hold a secret.
		if m := schemeRE().FindStringSubmatch(target); m != nil {
			return m[0] + "…"
		}
		return target
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// redactedError keeps a password out of an error's text while errors.Is and
// errors.As still see what it wraps.
type redactedError struct {
	err      error
	password string
}

func (e redactedError) Error() string {
	return strings.ReplaceAll(e.err.Error(), e.password, "xxxxx")
}

func (e redactedError) Unwrap() error { return e.err }

// urlPassword is the password a PostgreSQL URL carries, "" when none.
func urlPassword(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return p
	}
	return u.Query().Get("password")
}

func redact(err error, password string) error {
	if err == nil || password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return redactedError{err: err, password: password}
}

// pgWriteLock is the advisory lock every write transaction takes first.
// Ordinary writes take it exclusive: they queue as SQLite's BEGIN IMMEDIATE
// makes them, which the store's read-then-write transactions rely on. The
// per-delivery hot path (claims, outcomes, thread parts: txDelivery,
// txClaim) takes it shared, so several daemons publish at once, kept apart
// by row locks, and never beside an exclusive writer; so does a new post
// (txCreate), with pgCreateLock besides. (The bytes of "crieur"+1.)
const pgWriteLock int64 = 0x637269657572_01

// pgClaimLock is the advisory lock a claim takes (after pgWriteLock shared)
// when some channel has a rate limit: such claims run one at a time among
// themselves, so two never both see room under a channel's limit, while
// outcomes run beside them.
const pgClaimLock int64 = 0x637269657572_03

// pgMigrationLock is the advisory lock under which migrations run, so two
// processes starting at once migrate once.
const pgMigrationLock int64 = 0x637269657572_02

// pgCreateLock is the advisory lock a writer that only adds a post (and its
// children) takes exclusive, after pgWriteLock shared (lockCreate): such
// writers run one at a time among themselves and never beside an exclusive
// writer, as before, but no longer stall the daemons' claims and outcomes,
// whose rows they never touch.
const pgCreateLock int64 = 0x637269657572_04

// pgSessionSettings are every connection's settings, sent with its
// start-up message (or, through a pooler that refuses them there, by SET
// once connected: pgConnector). No JIT: crieur's statements are short, and
// a bulk INSERT … SELECT over jsonb_array_elements (whose rows the planner
// guesses far too high) spent 4× its run compiling (a load's 2,000-post
// chunk: 3.0 s with JIT, 0.7 s without). No parallel workers either:
// starting them cost the month view's query (6,480 rows of 1,000,000
// posts) 4–10× its 40 ms.
var pgSessionSettings = map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0"}

func openPostgres(ctx context.Context, target string, opt Options) (*Store, error) {
	return openPostgresVia(ctx, target, opt, nil)
}

// openPostgresVia is openPostgres with the store's connections made through
// wrap (nil: as they are): tests count the statements a store sends.
func openPostgresVia(ctx context.Context, target string, opt Options, wrap func(driver.Connector) driver.Connector) (*Store, error) {
	shown, password := RedactURL(target), urlPassword(target)
	cfg, err := pgx.ParseConfig(target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", shown, redact(err, password))
	}
	for k, v := range pgSessionSettings {
		cfg.RuntimeParams[k] = v
	}
	// A command runs each of its statements once: sent unprepared, in one
	// round trip (pgx's exec mode), each costs half the round trips of a
	// prepared one, and its new connection's statement cache would only
	// be thrown away. The daemon keeps the cache: it runs the same
	// statements all day. A default_query_exec_mode in the URL wins.
	if opt.ShortLived && !urlSetsExecMode(target) {
		cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	}
	var connector driver.Connector = newPGConnector(cfg)
	if wrap != nil {
		connector = wrap(connector)
	}
	db := sql.OpenDB(connector)
	// Writers queue on one advisory lock; a few more connections serve the
	// reads (and the claims) beside them.
	db.SetMaxOpenConns(8)
	// As many kept as may be open: a busy daemon returning its ninth use of
	// the minute would otherwise close a connection and open a new one (a
	// server process, a login) the next moment. Idle a minute, they close.
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	s := &Store{db: db, path: shown, dsn: target, dia: dialect{pg: true}, Actor: calendar.DefaultActor(), Now: time.Now}
	s.cred.keys = opt.Keys
	if opt.Create {
		if err := createMissingDatabase(ctx, db, cfg); err != nil {
			db.Close()
			return nil, openError(err, "creating the database of", shown, cfg.User, password, cfg.Password != "")
		}
	}
	if err := s.migratePostgres(ctx, opt.Create, opt.ShortLived); err != nil {
		db.Close()
		if errors.Is(err, ErrNoDatabase) {
			return nil, err
		}
		return nil, openError(err, "opening", shown, cfg.User, password, cfg.Password != "")
	}
	return s, nil
}

// urlSetsExecMode reports whether a PostgreSQL URL chooses pgx's query
// mode itself (default_query_exec_mode=…).
func urlSetsExecMode(target string) bool {
	u, err := url.Parse(target)
	return err == nil && u.Query().Has("default_query_exec_mode")
}

// createMissingDatabase creates the database cfg names when the server
// says it does not exist (`crieur init` on a server where the role may
// create databases), through the server's maintenance database.
func createMissingDatabase(ctx context.Context, db *sql.DB, cfg *pgx.ConnConfig) error {
	err := db.PingContext(ctx)
	if err == nil || pgCode(err) != "3D000" { // 3D000: no such database
		return err
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize()); err != nil && pgCode(err) != "42P04" { // 42P04: created meanwhile
		return err
	}
	return nil
}

// postgresSchemaVersion counts the embedded PostgreSQL migrations.
func postgresSchemaVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations/postgres")
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			n++
		}
	}
	return n, nil
}

// pgSchemaCheck counts the applied migrations: an up-to-date database is
// told by it alone.
const pgSchemaCheck = `SELECT count(DISTINCT version_id) FROM goose_db_version WHERE version_id > 0 AND is_applied`

// migratePostgres brings the schema up to date under an advisory lock. An
// up-to-date database is told by one query (the count of applied versions)
// without taking the lock, as PRAGMA user_version does on SQLite. With
// withZone (a command's process), that query also reads the calendar's
// zone, which every command asks for next (CalendarZone): one round trip
// and one statement planned by a new server process instead of two.
func (s *Store) migratePostgres(ctx context.Context, create, withZone bool) error {
	want, err := postgresSchemaVersion()
	if err != nil {
		return err
	}
	var have int64
	err = errPGNoZoneRead
	if withZone {
		var zone sql.NullString
		err = s.db.QueryRowContext(ctx, `SELECT (`+pgSchemaCheck+`), (SELECT value FROM state WHERE key = ?)`, calendar.StateZone).Scan(&have, &zone)
		if err == nil && have == want {
			s.openZone.Store(&zone.String)
			return nil
		}
	}
	if err != nil {
		// Without the zone: a calendar being made or migrated may not have
		// the state table yet, and what is missing is told as before.
		err = s.db.QueryRowContext(ctx, pgSchemaCheck).Scan(&have)
	}
	switch {
	case err == nil && have == want:
		return nil
	case err == nil && have > want:
		return fmt.Errorf("database schema %d is newer than this crieur (%d): upgrade crieur", have, want)
	case err != nil && pgCode(err) != "42P01": // anything but "no such table"
		return err
	case err != nil && !create:
		return fmt.Errorf("%w at %s (run `crieur init` first to create its tables)", ErrNoDatabase, s.path)
	}
	sub, err := fs.Sub(migrations, "migrations/postgres")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(pgMigrationLock))
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, s.db, sub, goose.WithAllowOutofOrder(true), goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}

// errPGNoZoneRead: migratePostgres did not read the zone with its check.
var errPGNoZoneRead = errors.New("zone not read")

// lockWrites takes the write lock for the rest of tx (PostgreSQL only).
func (s *Store) lockWrites(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, pgWriteLock)
	return err
}

// pgTxRetries bounds how often s.tx runs a transaction again after
// PostgreSQL aborted it for a serialization failure or a deadlock.
const pgTxRetries = 5

// retryable reports whether PostgreSQL aborted a transaction in a way that
// running it again may cure (SQLSTATE 40001 serialization_failure, 40P01
// deadlock_detected): nothing of it was written.
func retryable(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}

// connLost reports whether err says the connection to the server went away.
func connLost(err error) bool {
	if err == nil {
		return false
	}
	c := pgCode(err)
	if strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03" {
		return true
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		pgconn.SafeToRetry(err) || strings.Contains(err.Error(), "conn closed")
}

// lockDelivery takes the write lock shared for the rest of tx (PostgreSQL
// only): the per-delivery hot path (outcomes, thread parts, claims) runs
// beside its kind, which row locks keep apart, but never beside an
// exclusive writer.
//
// In the same statement, the rest of tx plans its prepared statements once
// (generic plans, plan_cache_mode for this transaction only): the hot
// path's statements find rows by key, or read the runnable index in order
// up to a LIMIT, whose generic plans are the custom ones (planning them at
// each call cost more server time than running them). A rarer path whose
// plan depends on its values (the missed scan, rate limits) sets it back
// (planEachCall).
//
// Those statements find their rows by key, so the same statement keeps the
// planner off whole-table reads and hash joins for the transaction: a
// generic plan counts a LIMIT $n as a tenth of the table, and on a calendar
// of a few thousand deliveries it joined a claim's picked rows, and an
// outcome batch's rows and their posts, by reading the deliveries or posts
// table whole into a hash, at every call (TestPostgresHotPathReadsByKey).
// Tiny tables (channels, blackouts, state) are still read whole: there is
// no other way to read them.
func (s *Store) lockDelivery(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared(?), set_config('plan_cache_mode', 'force_generic_plan', true),
		set_config('enable_hashjoin', 'off', true), set_config('enable_seqscan', 'off', true)`, pgWriteLock)
	return err
}

// planEachCall has the rest of tx plan each statement for its values again
// (PostgreSQL's default, which lockDelivery changed for the hot path).
func (s *Store) planEachCall(ctx context.Context, tx *sql.Tx) error {
	if !s.dia.pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT set_config('plan_cache_mode', 'auto', true)`)
	return err
}

// lockCreate takes the write lock shared and the create lock exclusive for
// the rest of tx (PostgreSQL only), in one round trip (the select list is
// evaluated left to right): a new post is written beside claims and
// outcomes, one at a time among its kind, never beside an exclusive writer.
//
// Why that is safe for CreatePost: it writes only rows of its own new post
// (the post, its variants, media and deliveries, an event); the rows it
// reads to decide them are channels, campaigns and categories, which change
// under the exclusive lock only, and slugs, which only writers of posts
// change (exclusive, or one at a time under the create lock), so each read
// holds for the whole transaction, as under the exclusive lock. The one
// read a claim or an outcome may change meanwhile is the calendar rules'
// count of a channel's other posts around the new one (one statement per
// channel): a neighbour whose claim or outcome commits at that moment is
// counted as it was just before or just after it, as if the post had been
// written on that side of it. The new deliveries are invisible to claims
// until the post commits.
func (s *Store) lockCreate(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared(?), pg_advisory_xact_lock(?)`, pgWriteLock, pgCreateLock)
	return err
}

// lockRated takes the claim lock exclusive for the rest of a claim's tx
// (after lockDelivery), when some channel has a rate limit: claims counting
// a channel's budget run one at a time (beside outcomes), so two never both
// see room under its limit. Without a limit, the rows a claim takes (FOR
// UPDATE … SKIP LOCKED) keep claims apart, and they run side by side.
// Channels change under the exclusive lock only, so the answer holds for
// the whole claim. The rate limits' statements are planned for their
// values (see planEachCall), in the same round trip.
func (s *Store) lockRated(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?), set_config('plan_cache_mode', 'auto', true)`, pgClaimLock)
	return err
}

// txPostgres is tx on PostgreSQL: the write lock first, then fn, run again a
// bounded number of times when the server aborted it for a serialization
// failure or a deadlock.
func (s *Store) txPostgres(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.txPostgresLocked(ctx, s.lockWrites, fn)
}

// txPostgresLocked is txPostgres with lock taken first instead of the
// exclusive write lock.
func (s *Store) txPostgresLocked(ctx context.Context, lock func(context.Context, *sql.Tx) error, fn func(*sql.Tx) error) error {
	for attempt := 0; ; attempt++ {
		committing := false
		err := func() error {
			t, err := s.db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			if err := lock(ctx, t); err != nil {
				_ = t.Rollback()
				return err
			}
			if err := fn(t); err != nil {
				_ = t.Rollback()
				return err
			}
			committing = true
			return t.Commit()
		}()
		if err == nil {
			return nil
		}
		if retryable(err) && attempt < pgTxRetries && ctx.Err() == nil {
			time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
			continue
		}
		if connLost(err) && ctx.Err() == nil {
			if committing {
				return fmt.Errorf("the connection to PostgreSQL was lost while committing: the change may or may not have been written, check before repeating it: %w", err)
			}
			return fmt.Errorf("the connection to PostgreSQL was lost: nothing of this change was written: %w", err)
		}
		return err
	}
}

// pgWatch is the PostgreSQL store's ChangeWatch: a connection of its own
// LISTENs on crieur_calendar, which the tables' triggers notify at each
// commit that changed posts, deliveries, channels, slots, blackouts or state.
type pgWatch struct {
	changed atomic.Bool
	signal  chan struct{} // calendar.ChangeSignal: one pending wake at most
	cancel  context.CancelFunc
	done    chan struct{}
	conn    *pgx.Conn // the first connection, made by Watch
}

const pgNotifyChannel = "crieur_calendar"

// quietPayload starts a notification of a change that made nothing due (a
// daemon's claim or outcome): Changed reports it, Signal does not fire
// (migration 01400).
const quietPayload = "quiet:"

// listen connects and LISTENs.
func (s *Store) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, s.dsn)
	if err != nil {
		return nil, redact(err, urlPassword(s.dsn))
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgNotifyChannel); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return conn, nil
}

func (s *Store) watchPostgres(ctx context.Context) (calendar.ChangeWatch, error) {
	conn, err := s.listen(ctx)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &pgWatch{cancel: cancel, done: make(chan struct{}), conn: conn, signal: make(chan struct{}, 1)}
	go w.run(wctx, s)
	return w, nil
}

// run waits for notifications; a lost connection is made again (and, since
// a notification may have been missed meanwhile, counts as a change).
func (w *pgWatch) run(ctx context.Context, s *Store) {
	defer close(w.done)
	conn := w.conn
	for {
		if conn != nil {
			n, err := conn.WaitForNotification(ctx)
			if err == nil {
				if strings.HasPrefix(n.Payload, quietPayload) {
					w.changed.Store(true) // a change, but nothing became due
				} else {
					w.note()
				}
				continue
			}
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
			conn = nil
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
		if c, err := s.listen(ctx); err == nil {
			conn = c
			w.note()
		}
	}
}

// note records a change and signals it.
func (w *pgWatch) note() {
	w.changed.Store(true)
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

// Signal receives when a notification of something that may have become
// due came (calendar.ChangeSignal).
func (w *pgWatch) Signal() <-chan struct{} { return w.signal }

// Changed reports, without waiting, whether a notification came since the
// last call.
func (w *pgWatch) Changed(context.Context) (bool, error) {
	return w.changed.Swap(false), nil
}

// Close stops listening.
func (w *pgWatch) Close() error {
	w.cancel()
	<-w.done
	return nil
}
