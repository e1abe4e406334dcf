package sqlstore

import (
	"context"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/testsvc"
)

// A short-lived process (a command) sends its statements to PostgreSQL
// unprepared, one round trip each, and still migrates, writes and reads a
// calendar; a long-lived one (the daemon) keeps pgx's statement cache; a
// URL's own default_query_exec_mode wins over both.
func TestPostgresShortLivedSendsStatementsUnprepared(t *testing.T) {
	for _, tc := range []struct {
		name         string
		shortLived   bool
		query        string // added to the URL
		wantPrepared bool
	}{
		{name: "daemon", wantPrepared: true},
		{name: "command", shortLived: true},
		{name: "command, URL's mode", shortLived: true, query: "default_query_exec_mode=cache_statement", wantPrepared: true},
		{name: "daemon, URL's mode", query: "default_query_exec_mode=exec"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			url := testsvc.Postgres(t) // empty: opening migrates it in this mode
			if tc.query != "" {
				sep := "?"
				if strings.Contains(url, "?") {
					sep = "&"
				}
				url += sep + tc.query
			}
			s, err := OpenURL(ctx, url, Options{Create: true, ShortLived: tc.shortLived})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			s.Now = func() time.Time { return c0 }
			// One connection: the statements below and the count of its
			// prepared statements run on the same session.
			s.db.SetMaxOpenConns(1)
			claimChannel(t, s, "a", nil)
			at := c0.Add(time.Hour)
			p := &calendar.Post{Slug: "hello", Title: "Hello", Body: "hello", Channels: []string{"a"}, PublishAt: &at, Tags: []string{"t"}}
			if err := s.CreatePost(ctx, p); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddNote(ctx, "hello", "a note"); err != nil {
				t.Fatal(err)
			}
			posts, err := s.Posts(ctx, calendar.PostFilter{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			if len(posts) != 1 || posts[0].Slug != "hello" || len(posts[0].Deliveries) != 1 || len(posts[0].Notes) != 1 || len(posts[0].Tags) != 1 {
				t.Fatalf("posts read back: %+v", posts)
			}
			entries, err := s.Entries(ctx, calendar.ViewFilter{From: c0, To: c0.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Slug != "hello" || entries[0].Channel != "a" || !entries[0].At.Equal(at) {
				t.Fatalf("entries read back: %+v", entries)
			}
			var prepared int
			if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM pg_prepared_statements`).Scan(&prepared); err != nil {
				t.Fatal(err)
			}
			if got := prepared > 0; got != tc.wantPrepared {
				t.Errorf("%d statements prepared on the store's connection; want prepared: %v", prepared, tc.wantPrepared)
			}
		})
	}
}
