package sqlstore

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// refusingPooler stands in front of the test server as PgBouncer does: a
// start-up message with a parameter it does not know is refused
// ("unsupported startup parameter", 08P01); any other is passed on, and
// the connection's bytes with it. refused counts the refusals.
func refusingPooler(t *testing.T, upstream string) (addr string, refused *atomic.Int64) {
	t.Helper()
	known := map[string]bool{"user": true, "database": true, "application_name": true, "client_encoding": true,
		"datestyle": true, "timezone": true, "standard_conforming_strings": true}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	refused = new(atomic.Int64)
	serve := func(c net.Conn) {
		defer c.Close()
		be := pgproto3.NewBackend(c, c)
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		sm, ok := msg.(*pgproto3.StartupMessage)
		if !ok {
			return // the tests connect without TLS
		}
		for k := range sm.Parameters {
			if !known[k] {
				refused.Add(1)
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: "08P01", Message: "unsupported startup parameter: " + k})
				_ = be.Flush()
				return
			}
		}
		up, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		defer up.Close()
		buf, err := sm.Encode(nil)
		if err != nil {
			return
		}
		if _, err := up.Write(buf); err != nil {
			return
		}
		go func() { _, _ = io.Copy(up, c); up.Close() }()
		_, _ = io.Copy(c, up)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String(), refused
}

// Through a pooler that refuses crieur's session settings in the start-up
// message, the store still opens, and each connection has them all the
// same (set once connected): what arrives at the server is checked. Only
// the first connection is refused: the others go the pooler's way at once.
func TestPostgresThroughAPoolerThatRefusesStartupSettings(t *testing.T) {
	ctx := context.Background()
	target := PostgresForTest(t)
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	addr, refused := refusingPooler(t, u.Host)
	u.Host = addr
	s, err := OpenURL(ctx, u.String(), Options{})
	if err != nil {
		t.Fatalf("opening through the pooler: %v", err)
	}
	defer s.Close()
	if err := s.Warm(ctx, 4); err != nil {
		t.Fatal(err)
	}
	conns := make([]interface{ Close() error }, 0, 3)
	for range 3 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for k, want := range pgSessionSettings {
			var got string
			if err := c.QueryRowContext(ctx, `SELECT current_setting($1)`, k).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s = %q on a connection through the pooler, want %q", k, got, want)
			}
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if n := refused.Load(); n != 1 {
		t.Errorf("the pooler refused %d start-up messages, want 1 (then none)", n)
	}
	if _, err := s.Channels(ctx); err != nil {
		t.Errorf("reading through the pooler: %v", err)
	}
}

// Warm on PostgreSQL also has each server process plan a statement on the
// daemons' hot tables: they must all exist (a renamed table would make
// every warming fail), and the connections stay open for the first calls.
func TestPostgresWarmPlansOnTheHotTables(t *testing.T) {
	ctx := context.Background()
	s := pgStore(t, PostgresForTest(t))
	for _, tb := range hotTables {
		var ok bool
		if err := s.db.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, tb).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Errorf("hot table %q is not in the schema", tb)
		}
	}
	if err := s.Warm(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if st := s.db.Stats(); st.OpenConnections < 3 || st.InUse != 0 {
		t.Errorf("after Warm(3): %d open, %d in use; want ≥ 3 open, none in use", st.OpenConnections, st.InUse)
	}
}
