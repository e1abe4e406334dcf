package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the embedded default engine, pure Go

	calendar "github.com/crieur/crieur/calendar"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Store is the calendar kept in one SQLite database or in PostgreSQL.
type Store struct {
	db *sql.DB
	// path is the SQLite file, or the PostgreSQL URL without its password.
	path string
	// dsn is the PostgreSQL URL as given (with its password): never shown.
	dsn string
	dia dialect
	// Actor is who the events written through this store are attributed to.
	Actor string
	// Now is the clock; tests inject theirs.
	Now func() time.Time
	// Zone is the calendar's zone (config tz): a slot of a channel without
	// its own zone is read in it. Nil means UTC, never the machine's zone.
	Zone *time.Location
	// Rules are the editorial rules every post written to go out is held
	// to (rules.go); nil: none. RuleWarning is told each warning they give.
	Rules       calendar.EditorialRules
	RuleWarning func(slug string, f calendar.Finding)
	// cred holds the key source and the per-channel locks (credentials.go).
	cred credState
	// openZone is the calendar's zone as read with the schema check when
	// a command's process opened the store (PostgreSQL: migratePostgres);
	// the first CalendarZone answers from it, and any write of the state
	// forgets it.
	openZone atomic.Pointer[string]
}

// calendarZone is Zone, or UTC when none is set.
func (s *Store) calendarZone() *time.Location {
	if s.Zone == nil {
		return time.UTC
	}
	return s.Zone
}

// SlotZone is the zone a channel's slots are read in: its own, else the
// calendar's (UTC when none is set). The queue and every view of a slot use it.
func (s *Store) SlotZone(c calendar.Channel) *time.Location {
	return c.Zone(s.calendarZone())
}

var _ calendar.Store = (*Store)(nil)

// UseClock makes the store stamp what it writes with now.
func (s *Store) UseClock(now func() time.Time) { s.Now = now }

// Clock is the store's time now.
func (s *Store) Clock() time.Time { return s.Now() }

// Options tune Open.
type Options struct {
	// ReadOnly opens without creating or migrating (for commands that only read).
	Create bool
	// Keys gives the key that seals stored secrets, asked for only when one
	// is sealed or opened (nil: CRIEUR_KEY alone; see credentials.go).
	Keys calendar.KeySource
	// ShortLived says the process runs a few statements and exits (a
	// command, not the daemon). On PostgreSQL each statement then goes to
	// the server in one round trip, unprepared, instead of being prepared
	// first and then run: two round trips each on a new connection, for a
	// prepared statement no one runs again. SQLite ignores it.
	ShortLived bool
}

// ErrNoDatabase is returned when the database does not exist and Create is false.
var ErrNoDatabase = errors.New("no calendar database")

// Open opens (and with Create, creates and migrates) the database at path.
// The file and its secrets file are created 0600: they hold a brand's plans.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("no database path")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if !opt.Create {
			return nil, fmt.Errorf("%w at %s (run `crieur init` first, or pass --db)", ErrNoDatabase, path)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if f != nil {
			f.Close()
		}
	}
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, err
	}
	// One writer at a time is SQLite's rule; a small pool lets reads run beside it.
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4) // kept, not closed and reopened between bursts
	db.SetConnMaxIdleTime(time.Minute)
	s := &Store{db: db, path: path, Actor: calendar.DefaultActor(), Now: time.Now}
	s.cred.keys = opt.Keys
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, err)
	}
	if err := s.importSecretsFile(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// dsn turns on WAL (readers never block the writer), a generous busy timeout
// (a CLI command and the daemon share the file without SQLITE_BUSY reaching a
// person), foreign keys, and BEGIN IMMEDIATE for transactions so two writers
// queue instead of failing on a lock upgrade. Reads map the file (up to
// 1 GiB) instead of copying each page into SQLite's cache: a fresh process
// reading 10,000 rows of a large calendar spends less on page copies and
// new memory (report --campaign on 1,000,000 posts: about 8 % faster).
// The hazard of a mapped database is another process truncating the file;
// crieur never does (no VACUUM, no shrinking auto_vacuum).
func dsn(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(15000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "mmap_size(1073741824)")
	q.Add("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// schemaVersion counts the embedded migrations; PRAGMA user_version mirrors
// it so that an up-to-date database opens without consulting goose
// (start-up speed). A count, not the newest number, so that a migration
// added below the newest one (parallel work numbers them in ranges) is
// still noticed and applied.
func schemaVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations/sqlite")
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

func (s *Store) migrate(ctx context.Context) error {
	want, err := schemaVersion()
	if err != nil {
		return err
	}
	var have int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return err
	}
	if have == want {
		return nil
	}
	if have > want {
		return fmt.Errorf("database schema %d is newer than this crieur (%d): upgrade crieur", have, want)
	}
	sub, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, "PRAGMA user_version = "+strconv.FormatInt(want, 10))
	return err
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is the database file, or the PostgreSQL URL with its password
// replaced by xxxxx.
func (s *Store) Path() string { return s.path }

// DB exposes the handle to the scheduler's and tests' store-level helpers in this package only.
func (s *Store) now() time.Time { return s.Now().UTC() }

// tx runs fn in one write transaction. Writers queue: SQLite's BEGIN
// IMMEDIATE, PostgreSQL's advisory write lock (txPostgres, which may run fn
// again after a serialization failure or a deadlock: fn must set, not
// accumulate, what it leaves outside).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.dia.pg {
		return s.txPostgres(ctx, fn)
	}
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		_ = t.Rollback()
		return err
	}
	return t.Commit()
}

// txDelivery is tx for the per-delivery hot path (an outcome, a thread
// part): on SQLite the same; on PostgreSQL it takes the write lock shared,
// so many run at once but never beside an ordinary (exclusive) writer, and
// each locks the rows it settles (lockRowsTx). Retried as tx is.
func (s *Store) txDelivery(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.dia.pg {
		return s.txPostgresLocked(ctx, s.lockDelivery, fn)
	}
	return s.tx(ctx, fn)
}

// txClaim is tx for a claim: on PostgreSQL the write lock shared (beside
// outcomes and other claims: the rows a claim takes are locked FOR UPDATE …
// SKIP LOCKED); the claim itself takes the claim lock exclusive when a
// channel has a rate limit (lockRated).
func (s *Store) txClaim(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.dia.pg {
		return s.txPostgresLocked(ctx, s.lockDelivery, fn)
	}
	return s.tx(ctx, fn)
}

// txCreate is tx for a writer that only adds a post: on SQLite the same; on
// PostgreSQL the write lock shared and the create lock exclusive
// (lockCreate), so a busy writer does not hold the daemons' claims and
// outcomes back between its transactions. Retried as tx is.
func (s *Store) txCreate(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.dia.pg {
		return s.txPostgresLocked(ctx, s.lockCreate, fn)
	}
	return s.tx(ctx, fn)
}

// Millisecond instants are how times are kept in the database.
func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// Analyze refreshes the planner's statistics of the calendar's tables
// (ANALYZE, on either engine), as PostgreSQL's autovacuum does within a
// minute or so of a large change: until then a fresh table's plans are
// guesses (a claim among thousands due reads and sorts them all).
func (s *Store) Analyze(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `ANALYZE`)
	return err
}

// hotTables are the tables every claim and outcome uses, with the most
// indexes to learn (all fourteen tables the daemons touch cost their start
// a quarter of a second more, for no further gain).
var hotTables = []string{"deliveries", "posts", "channels", "events"}

// warmCatalog has c's server process learn the hot tables and their
// indexes (planning a statement on each, in one round trip): a new
// process reads them from the catalogs at its first statements on them,
// and a daemon's first deliveries after its start waited 100–250 ms so
// (their statements planned on cold caches, one connection after another).
func warmCatalog(ctx context.Context, c *sql.Conn, q string) error {
	return c.Raw(func(dc any) error {
		pc, err := pgxConnOf(dc)
		if err != nil {
			return err
		}
		return pc.PgConn().Exec(ctx, q).Close()
	})
}

// warmCatalogSQL is warmCatalog's statements, one on each hot table.
func warmCatalogSQL() string {
	var q strings.Builder
	for _, t := range hotTables {
		fmt.Fprintf(&q, "EXPLAIN SELECT 1 FROM %s WHERE ctid = '(0,0)';", t)
	}
	return q.String()
}

// Warm opens up to n of the pool's connections at once, so that a daemon's
// first claims and outcomes do not each wait for a connection to be made
// (on PostgreSQL a server process and a login, tens of milliseconds on a
// busy machine). They are opened side by side: one after the other, ten
// took half a second of a daemon's start on a busy machine.
func (s *Store) Warm(ctx context.Context, n int) error {
	// Never more than the pool may open: the ones held here would wait for
	// one of themselves.
	if max := s.db.Stats().MaxOpenConnections; max > 0 && n > max {
		n = max
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	warm := ""
	if s.dia.pg {
		warm = warmCatalogSQL()
	}
	conns := make([]*sql.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := s.db.Conn(ctx)
			if err == nil {
				conns[i] = c
				err = c.PingContext(ctx)
			}
			if err == nil && warm != "" {
				err = warmCatalog(ctx, c, warm)
			}
			errs[i] = err
		})
	}
	// Each is held until all are open, so that none is opened twice.
	wg.Wait()
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	return errors.Join(errs...)
}
