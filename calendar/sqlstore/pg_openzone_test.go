package sqlstore

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
	"testing"
	"time"
)

// countingConnector counts the statements sent through its connections.
type countingConnector struct {
	driver.Connector
	sent *atomic.Int64
}

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return countedConn{pgConn: dc.(*pgConn), sent: c.sent}, nil
}

type countedConn struct {
	*pgConn
	sent *atomic.Int64
}

func (c countedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.sent.Add(1)
	return c.pgConn.QueryContext(ctx, query, args)
}

func (c countedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.sent.Add(1)
	return c.pgConn.ExecContext(ctx, query, args)
}

func (c countedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	c.sent.Add(1)
	return c.pgConn.PrepareContext(ctx, query)
}

// A command's process opening a PostgreSQL calendar learns its zone with
// the schema check, in one statement, instead of a second statement
// (every command asks for the zone next); the daemon reads it as before.
// The zone so read answers the first CalendarZone only: a zone written
// since, by this store or another, is read from the database.
func TestPostgresOpenReadsTheZoneWithTheSchemaCheck(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url := PostgresForTest(t)
	open := func(shortLived bool) (*Store, *atomic.Int64) {
		t.Helper()
		sent := new(atomic.Int64)
		s, err := openPostgresVia(ctx, url, Options{ShortLived: shortLived}, func(c driver.Connector) driver.Connector {
			return countingConnector{Connector: c, sent: sent}
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, sent
	}
	zone := func(s *Store) string {
		t.Helper()
		z, err := s.CalendarZone(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return z
	}
	for _, tc := range []struct {
		name       string
		recorded   string // the zone set before opening ("": none)
		shortLived bool
		want       int64 // statements sent by the open and the first CalendarZone
	}{
		{name: "command, no zone recorded", shortLived: true, want: 1},
		{name: "command, a zone recorded", recorded: "Europe/Paris", shortLived: true, want: 1},
		{name: "daemon, a zone recorded", recorded: "America/New_York", want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.recorded != "" {
				w, _ := open(true)
				if _, err := w.SetCalendarZone(ctx, tc.recorded); err != nil {
					t.Fatal(err)
				}
			}
			s, sent := open(tc.shortLived)
			if got := zone(s); got != tc.recorded {
				t.Errorf("zone at open %q, want %q", got, tc.recorded)
			}
			if n := sent.Load(); n != tc.want {
				t.Errorf("opening and reading the zone sent %d statements, want %d", n, tc.want)
			}
			// Another process changes it: read again, not the zone of the open.
			other, _ := open(true)
			if _, err := other.SetCalendarZone(ctx, "Asia/Tokyo"); err != nil {
				t.Fatal(err)
			}
			if got := zone(s); got != "Asia/Tokyo" {
				t.Errorf("zone after another store set it: %q, want Asia/Tokyo", got)
			}
		})
	}
	// This store writes it before reading it: never the zone of the open.
	s, _ := open(true)
	if _, err := s.SetCalendarZone(ctx, "Africa/Abidjan"); err != nil {
		t.Fatal(err)
	}
	if got := zone(s); got != "Africa/Abidjan" {
		t.Errorf("zone after this store set it: %q, want Africa/Abidjan", got)
	}
	s2, _ := open(true)
	if got, err := s2.AdoptCalendarZone(ctx, "Europe/Lisbon"); err != nil || got != "Africa/Abidjan" {
		t.Errorf("adopting a zone over a recorded one: %q, %v; want the recorded Africa/Abidjan", got, err)
	}
	s3, _ := open(true)
	if err := s3.SetState(ctx, "calendar.tz", "Europe/Oslo"); err != nil {
		t.Fatal(err)
	}
	if got := zone(s3); got != "Europe/Oslo" {
		t.Errorf("zone after SetState: %q, want Europe/Oslo", got)
	}
}
