package sqlstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// sqlWatch stands between a store and its PostgreSQL server and writes
// down the text of every statement the store sends (a simple query, or
// the parse of an extended one), whatever sends it: database/sql, pgx, or
// pgx's own statements (a COPY's description of its table).
type sqlWatch struct {
	ln  net.Listener
	mu  sync.Mutex
	on  bool
	sql []string
}

// watchSQL starts a watch in front of the server of target, and returns
// it and target through it.
func watchSQL(t *testing.T, target string) (*sqlWatch, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &sqlWatch{ln: ln}
	server := u.Host
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go w.serve(c, server)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	u.Host = ln.Addr().String()
	q := u.Query()
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	return w, u.String()
}

func (w *sqlWatch) serve(c net.Conn, server string) {
	defer c.Close()
	s, err := net.Dial("tcp", server)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(c, s) }()
	read := func(n int) ([]byte, bool) {
		b := make([]byte, n)
		_, err := io.ReadFull(c, b)
		return b, err == nil
	}
	// The start-up messages have no type byte (an SSL or GSS request,
	// refused, comes before the start-up itself).
	for {
		h, ok := read(8)
		if !ok {
			return
		}
		rest, ok := read(int(binary.BigEndian.Uint32(h[:4])) - 8)
		if !ok {
			return
		}
		if _, err := s.Write(append(h, rest...)); err != nil {
			return
		}
		if code := binary.BigEndian.Uint32(h[4:]); code != 80877103 && code != 80877104 {
			break
		}
	}
	for {
		h, ok := read(5)
		if !ok {
			return
		}
		body, ok := read(int(binary.BigEndian.Uint32(h[1:])) - 4)
		if !ok {
			return
		}
		var text []byte
		switch h[0] {
		case 'Q':
			text, _, _ = bytes.Cut(body, []byte{0})
		case 'P':
			_, after, _ := bytes.Cut(body, []byte{0}) // the statement's name
			text, _, _ = bytes.Cut(after, []byte{0})
		}
		if text != nil {
			w.mu.Lock()
			if w.on {
				w.sql = append(w.sql, strings.Join(strings.Fields(string(text)), " "))
			}
			w.mu.Unlock()
		}
		if _, err := s.Write(append(h, body...)); err != nil {
			return
		}
	}
}

// during returns the statements sent while f ran.
func (w *sqlWatch) during(f func()) []string {
	w.mu.Lock()
	w.on, w.sql = true, nil
	w.mu.Unlock()
	f()
	w.mu.Lock()
	defer w.mu.Unlock()
	w.on = false
	return w.sql
}

// A PostgreSQL load writes each chunk of new posts with the COPYs of its
// rows alone: posts, deliveries and events, each one statement (not preceded by
// a description of its table), and reads back nothing it wrote (the posts'
// ids are reserved beside the writer, one statement a chunk).
func TestPostgresLoadSendsOnlyItsCopiesPerChunk(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w, target := watchSQL(t, PostgresForTest(t))
	// As a command opens it (statements unprepared: each sends its text).
	s, err := OpenURL(ctx, target, Options{Create: true, ShortLived: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Now = func() time.Time { return t0 }
	addChannel(t, s, "acme-log", "", false)
	addChannel(t, s, "acme-paris", "Europe/Paris", false)
	addChannel(t, s, "acme-review", "", true)
	set := copyCase() // two chunks
	var res calendar.LoadResult
	sent := w.during(func() {
		res, err = s.Load(ctx, set, calendar.LoadOptions{Zone: time.UTC})
	})
	if err != nil || res.Created != len(set.Items) {
		t.Fatalf("load: %v, %s", err, counts(res))
	}
	chunks := (len(set.Items) + calendar.LoadChunk - 1) / calendar.LoadChunk
	copies := map[string]int{}
	var lookups, reserves int
	for _, q := range sent {
		switch {
		case strings.HasPrefix(strings.ToUpper(q), "COPY "):
			table, _, _ := strings.Cut(q[len("COPY "):], " ")
			copies[strings.Trim(table, `"`)]++
		case strings.Contains(q, "content_hash, version, status FROM posts WHERE slug"):
			lookups++ // the plan's: which posts the calendar holds
		case strings.Contains(q, "nextval("):
			reserves++
		case strings.Contains(strings.ToLower(q), "from posts where slug"), strings.Contains(strings.ToLower(q), `from "posts"`),
			strings.Contains(strings.ToLower(q), `from "deliveries"`), strings.Contains(strings.ToLower(q), `from "events"`):
			t.Errorf("the load sent %q: it reads back what it writes, or describes a table before its COPY", q)
		}
	}
	for _, table := range []string{"posts", "deliveries", "events"} {
		if copies[table] != chunks {
			t.Errorf("%d COPYs of %s for %d chunks; want one a chunk (all statements: %q)", copies[table], table, chunks, sent)
		}
	}
	if len(copies) != 3 {
		t.Errorf("COPYs sent: %v; want posts, deliveries and events only", copies)
	}
	if lookups != chunks || reserves != chunks {
		t.Errorf("%d look-ups of the load's slugs and %d reservations of ids for %d chunks; want one each a chunk", lookups, reserves, chunks)
	}
	// Every post is there, with its id (the engines' comparison checks
	// the rows column by column).
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM posts p JOIN deliveries d ON d.post_id = p.id AND d.channel_id = (SELECT id FROM channels WHERE name = 'acme-log')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, it := range set.Items {
		if len(it.Channels) > 0 {
			want++
		}
	}
	if n != want {
		t.Errorf("%d posts written with a delivery to acme-log, want %d", n, want)
	}
}

// The rows go to PostgreSQL in COPY's text format: a text holding what
// that format escapes (backslash, tab, newline, carriage return) or what
// it would read as a null or the end of the data comes back as it was
// written, on both engines (texts a load keeps as they are: no space at
// either end).
func TestLoadKeepsTextsCOPYEscapes(t *testing.T) {
	texts := []string{"back\\slash", "tab\there", "new\nline", "cr\rlone\rx", "\\N", "\\.", "\\.\n\\.", "\\x41 \\101", "é🎉\u2028x", "in  spaces\t\tand tabs", "|;,\"'"}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			s := loadStoreOn(t, engine)
			set := &calendar.LoadSet{}
			for i, v := range texts {
				set.Items = append(set.Items, calendar.LoadItem{File: "t.yaml", Line: i + 1, Slug: fmt.Sprintf("t-%d", i), Title: v, Body: "body " + v,
					Excerpt: v, Tags: []string{v, "x"}, Channels: []string{"acme-log", "acme-paris"}, Variants: map[string]string{"acme-paris": "variant " + v},
					At: t0.Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339)})
			}
			if res := mustLoad(t, s, set, calendar.LoadOptions{Zone: time.UTC}); res.Created != len(texts) {
				t.Fatalf("%s", counts(res))
			}
			for i, v := range texts {
				p, err := s.Post(context.Background(), fmt.Sprintf("t-%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if p.Title != v || p.Body != "body "+v || p.Excerpt != v || len(p.Tags) != 2 || p.Tags[0] != v || p.Variants["acme-paris"] != "variant "+v {
					t.Errorf("text %q came back as title %q, body %q, excerpt %q, tags %q, variant %q", v, p.Title, p.Body, p.Excerpt, p.Tags, p.Variants["acme-paris"])
				}
			}
			// Loaded again: unchanged (the hash of what was written is the file's).
			if res := mustLoad(t, s, set, calendar.LoadOptions{Zone: time.UTC}); res.Unchanged != len(texts) {
				t.Errorf("second load: %s", counts(res))
			}
		})
	}
}
