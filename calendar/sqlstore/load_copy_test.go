package sqlstore

import (
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// copyCase is a load of more than a chunk whose posts vary in status and
// channels (long runs of posts on the same channels, then a channel set
// changing at every post), a channel requiring approval among them.
func copyCase() *calendar.LoadSet {
	sets := [][]string{{"acme-log"}, {"acme-log", "acme-review"}, {"acme-paris", "acme-log", "acme-review"}, nil}
	statuses := []string{calendar.StatusScheduled, calendar.StatusDraft, calendar.StatusCanceled}
	set := &calendar.LoadSet{}
	n := calendar.LoadChunk + 300
	for i := 0; i < n; i++ {
		chans := sets[(i/500)%len(sets)]
		if i >= n-40 {
			chans = sets[i%len(sets)]
		}
		status := statuses[(i/7)%len(statuses)]
		if len(chans) == 0 {
			status = calendar.StatusDraft // a post without channels is a draft
		}
		it := calendar.LoadItem{File: "big.yaml", Line: i + 1, Slug: fmt.Sprintf("p-%04d", i), Body: fmt.Sprintf("Post %d", i),
			Channels: chans, Status: status}
		if i%5 != 0 || status != calendar.StatusDraft {
			it.At = t0.Add(time.Duration(i+1) * time.Hour).Format(time.RFC3339)
		}
		set.Items = append(set.Items, it)
	}
	return set
}

// loadedRows is what a load writes of deliveries and events, by post slug
// and channel name (ids differ between engines), sorted; and the
// deliveries' idempotency keys.
func loadedRows(t *testing.T, s *Store) (deliveries, events []string, keys []string) {
	t.Helper()
	query := func(q string, row func(vals []any)) {
		eachRow(t, s, q, func(_ []string, vals []any) { row(vals) })
	}
	query(`SELECT p.slug, c.name, p.status, d.status, COALESCE(d.due_at, -1), COALESCE(d.run_at, -1), d.attempts, d.lease_owner,
		COALESCE(d.lease_expires_at, -1), d.remote_id, d.remote_url, COALESCE(d.published_at, -1), d.last_error, d.updated_at, d.idempotency_key
		FROM deliveries d JOIN posts p ON p.id = d.post_id JOIN channels c ON c.id = d.channel_id`, func(v []any) {
		deliveries = append(deliveries, rowText(v[:len(v)-1]))
		keys = append(keys, v[len(v)-1].(string))
	})
	query(`SELECT e.at, e.actor, e.kind, COALESCE(p.slug, ''), COALESCE(e.delivery_id, -1), COALESCE(e.channel_id, -1), e.detail
		FROM events e LEFT JOIN posts p ON p.id = e.post_id`, func(v []any) {
		events = append(events, rowText(v))
	})
	sort.Strings(deliveries)
	sort.Strings(events)
	return deliveries, events, keys
}

// rowText is a row's values, each as %v writes it, between '|'.
func rowText(vals []any) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = fmt.Sprintf("%v", v)
	}
	return strings.Join(s, "|")
}

// checkKeys fails unless every key is made as newKey makes one (16 random
// bytes in lower-case hex) and no two are the same.
func checkKeys(t *testing.T, engine string, keys []string) {
	t.Helper()
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		b, err := hex.DecodeString(k)
		if err != nil || len(b) != 16 || k != strings.ToLower(k) {
			t.Fatalf("%s: idempotency key %q is not 16 bytes in lower-case hex, as newKey makes them", engine, k)
		}
		if seen[k] {
			t.Fatalf("%s: idempotency key %q given twice", engine, k)
		}
		seen[k] = true
	}
}

// A load on PostgreSQL, whose deliveries and events go in by COPY made in
// Go, writes the very rows SQLite's statements derive from the posts: the
// same deliveries (status, times, approval) and the same events (detail
// byte for byte), the keys made by the same formula.
func TestLoadWritesTheSameDeliveriesAndEventsOnBothEngines(t *testing.T) {
	got := map[string][3][]string{}
	for _, engine := range engines {
		s := loadStoreOn(t, engine)
		res := mustLoad(t, s, copyCase(), calendar.LoadOptions{Zone: time.UTC})
		if res.Created != calendar.LoadChunk+300 {
			t.Fatalf("%s: %s", engine, counts(res))
		}
		d, e, k := loadedRows(t, s)
		checkKeys(t, engine, k)
		got[engine] = [3][]string{d, e, k}
		// A second load changes nothing, keys included.
		if res := mustLoad(t, s, copyCase(), calendar.LoadOptions{Zone: time.UTC}); res.Unchanged != calendar.LoadChunk+300 {
			t.Fatalf("%s: second load: %s", engine, counts(res))
		}
		d2, e2, k2 := loadedRows(t, s)
		if strings.Join(d2, "\n") != strings.Join(d, "\n") || strings.Join(e2, "\n") != strings.Join(e, "\n") || strings.Join(k2, " ") != strings.Join(k, " ") {
			t.Errorf("%s: a second load of the same posts changed deliveries or events", engine)
		}
	}
	sq, pg := got["sqlite"], got["postgres"]
	want := 0
	for _, it := range copyCase().Items {
		want += len(it.Channels)
	}
	if len(sq[0]) != want || len(pg[0]) != want {
		t.Fatalf("sqlite wrote %d deliveries, postgres %d; the case writes %d", len(sq[0]), len(pg[0]), want)
	}
	for i, what := range []string{"deliveries", "events"} {
		a, b := sq[i], pg[i]
		if len(a) != len(b) {
			t.Errorf("%s: sqlite wrote %d, postgres %d", what, len(a), len(b))
		}
		for j := 0; j < min(len(a), len(b)); j++ {
			if a[j] != b[j] {
				t.Errorf("%s differ: sqlite %q, postgres %q", what, a[j], b[j])
				break
			}
		}
	}
	shared := map[string]bool{}
	for _, k := range sq[2] {
		shared[k] = true
	}
	for _, k := range pg[2] {
		if shared[k] {
			t.Fatalf("key %s made on both engines: keys are not random", k)
		}
	}
}

// pgJSONString writes a string as PostgreSQL's to_json does (the
// statement the COPY of events replaced made the detail with it).
func TestPGJSONStringIsToJSON(t *testing.T) {
	s := newEngineStore(t, "postgres", t0)
	for _, v := range []string{"", "p-1", `a"b`, `a\b`, "tab\there", "nl\ncr\r", "\b\f", "\x01\x1f\x7f", "<a&b>", "é🎉\u2028", "a/b.c_d"} {
		var want string
		if err := s.db.QueryRow(`SELECT to_json(CAST(? AS text))::text`, v).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got := pgJSONString(v); got != want {
			t.Errorf("pgJSONString(%q) = %s, PostgreSQL's to_json %s", v, got, want)
		}
	}
}
