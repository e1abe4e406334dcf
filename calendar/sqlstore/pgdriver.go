package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL store reaches the server through pgx's database/sql driver,
// wrapped so that the statements shared with SQLite run unchanged: their ?
// placeholders become $1, $2… and Go bools (SQLite's 0/1 flags) are sent as
// integers, the type of the flag columns on both engines. SQLite's
// connections never pass through here.

// pgConnector makes the wrapped connections of one pool.
type pgConnector struct {
	inner driver.Connector
	// plain connects without the session settings in the start-up
	// message, and sets them once connected: a pooler such as PgBouncer
	// refuses a start-up parameter it does not know ("unsupported startup
	// parameter"), and once one has, every connection goes that way.
	plain  driver.Connector
	pooled *atomic.Bool
	// untyped: statements go unprepared (pgx's exec mode or simple
	// protocol), so the server learns a parameter's type from the
	// statement, not from a description pgx asked for first.
	untyped bool
}

func newPGConnector(cfg *pgx.ConnConfig) pgConnector {
	m := cfg.DefaultQueryExecMode
	plain := cfg.Copy()
	var set strings.Builder
	keys := make([]string, 0, len(pgSessionSettings))
	for k := range cfg.RuntimeParams {
		if _, ok := pgSessionSettings[k]; ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		delete(plain.RuntimeParams, k)
		fmt.Fprintf(&set, "SET %s = %s;", pgx.Identifier{k}.Sanitize(), quoteLiteral(cfg.RuntimeParams[k]))
	}
	after := plain.AfterConnect
	plain.AfterConnect = func(ctx context.Context, pc *pgconn.PgConn) error {
		if after != nil {
			if err := after(ctx, pc); err != nil {
				return err
			}
		}
		if set.Len() == 0 {
			return nil
		}
		return pc.Exec(ctx, set.String()).Close()
	}
	return pgConnector{
		inner:   stdlib.GetConnector(*cfg),
		plain:   stdlib.GetConnector(*plain),
		pooled:  new(atomic.Bool),
		untyped: m == pgx.QueryExecModeExec || m == pgx.QueryExecModeSimpleProtocol,
	}
}

// quoteLiteral is v as an SQL string literal.
func quoteLiteral(v string) string {
	return "'" + strings.ReplaceAll(v, "'", "''") + "'"
}

// refusedStartupParameter reports whether err is a server (or a pooler)
// refusing a start-up parameter it does not know.
func refusedStartupParameter(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "08P01" && strings.Contains(pe.Message, "startup parameter")
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	inner := c.inner
	if c.pooled.Load() {
		inner = c.plain
	}
	dc, err := inner.Connect(ctx)
	if err != nil && !c.pooled.Load() && refusedStartupParameter(err) {
		c.pooled.Store(true)
		dc, err = c.plain.Connect(ctx)
	}
	if err != nil {
		return nil, err
	}
	return &pgConn{Conn: dc.(*stdlib.Conn), opened: time.Now(), untyped: c.untyped}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is one pgx connection; what it does not override it forwards.
type pgConn struct {
	*stdlib.Conn
	opened  time.Time
	untyped bool // see pgConnector
}

// ResetSession is called each time the pool hands the connection out again.
// pgx pings the server there when the connection has not been handed out
// for a second, and so on its first reuse however new it is: a round trip
// in every short command, for a connection opened milliseconds before. A
// connection opened less than a second ago is treated as one used then.
func (c *pgConn) ResetSession(ctx context.Context) error {
	if pc := c.Conn.Conn(); time.Since(c.opened) < time.Second && !pc.IsClosed() && pc.PgConn().TxStatus() == 'I' {
		return nil
	}
	return c.Conn.ResetSession(ctx)
}

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue lets a bool go to an integer column as 0 or 1 (the flag
// columns are integers, as on SQLite) and still to a boolean one (goose's).
// Unprepared, it is sent as the text "0" or "1" of no stated type, which
// the server reads as the column's type, integer or boolean.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if b, ok := nv.Value.(bool); ok {
		switch {
		case !c.untyped:
			nv.Value = pgFlag(b)
		case b:
			nv.Value = "1"
		default:
			nv.Value = "0"
		}
		return nil
	}
	return c.Conn.CheckNamedValue(nv)
}

// pgFlag is a bool pgx encodes into an integer parameter as 0 or 1.
type pgFlag bool

func (f pgFlag) Int64Value() (pgtype.Int8, error) {
	n := int64(0)
	if f {
		n = 1
	}
	return pgtype.Int8{Int64: n, Valid: true}, nil
}

func (f pgFlag) BoolValue() (pgtype.Bool, error) { return pgtype.Bool{Bool: bool(f), Valid: true}, nil }

// rebind rewrites the ? placeholders of query as $1, $2…, leaving alone
// what is inside string literals, quoted identifiers, dollar-quoted bodies
// and comments. A query without ? is returned as it is.
func rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled: an escaped quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
			continue
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			end := len(query)
			if j >= 0 {
				end = i + j
			}
			b.WriteString(query[i:end])
			i = end - 1
			continue
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
			continue
		case c == '$':
			// $tag$ … $tag$ (a dollar-quoted string); $1 is left as it is.
			if k := strings.IndexByte(query[i+1:], '$'); k >= 0 && isDollarTag(query[i+1:i+1+k]) {
				tag := query[i : i+k+2]
				j := strings.Index(query[i+len(tag):], tag)
				end := len(query)
				if j >= 0 {
					end = i + len(tag) + j + len(tag)
				}
				b.WriteString(query[i:end])
				i = end - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isDollarTag(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// pgCode is the SQLSTATE of a PostgreSQL error, "" for any other error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgxConnOf is the pgx connection under a database/sql driver connection
// of the PostgreSQL store (or a test's wrapper of one, which promotes
// pgxConn). Any other connection is an error, not a panic.
func pgxConnOf(dc any) (*pgx.Conn, error) {
	pc, ok := dc.(interface{ pgxConn() *pgx.Conn })
	if !ok {
		return nil, errors.New("sqlstore: not a connection of the PostgreSQL store")
	}
	return pc.pgxConn(), nil
}

func (c *pgConn) pgxConn() *pgx.Conn { return c.Conn.Conn() }

// onPgx runs fn on the pgx connection under conn, a connection of the
// PostgreSQL store.
func onPgx(conn *sql.Conn, fn func(*pgx.Conn) error) error {
	return conn.Raw(func(dc any) error {
		pc, err := pgxConnOf(dc)
		if err != nil {
			return err
		}
		return fn(pc)
	})
}

// withPgx runs fn on the pgx connection of one of the pool's connections.
func (s *Store) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return onPgx(conn, fn)
}
