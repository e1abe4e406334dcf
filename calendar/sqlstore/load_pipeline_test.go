package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/formats"

	calendar "github.com/crieur/crieur/calendar"
)

// pipelineRows are n CSV rows of posts p1…pn on acme-log, every hour.
func pipelineRows(from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "p%d,%s,acme-log,Text %d\n", i, t0.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), i)
	}
	return b.String()
}

// pipelineItems reads CSV rows (no header) as a load's items.
func pipelineItems(t *testing.T, rows string) []calendar.LoadItem {
	t.Helper()
	set := formats.ReadCSV([]byte("slug,at,channels,body\n"+rows), "big.csv", formats.ReadOptions{})
	if len(set.Problems) > 0 {
		t.Fatal(set.Problems)
	}
	return set.Items
}

// The writer writes the first chunk while the source has not given the
// next: read, plan and write overlap. Here the source waits, after its first
// chunk, until the load reports a chunk written (a progress step only the
// writer takes), which a load that reads everything first never does.
func TestLoadFromWritesWhileReading(t *testing.T) {
	s := loadStore(t)
	first := pipelineItems(t, pipelineRows(1, calendar.LoadChunk))
	second := pipelineItems(t, pipelineRows(calendar.LoadChunk+1, 10))
	wrote := make(chan struct{})
	var progress []int
	opt := calendar.LoadOptions{Zone: time.UTC, Progress: func(done, total int) {
		if len(progress) == 0 {
			close(wrote)
		}
		progress = append(progress, done)
	}}
	res, err := s.LoadFrom(context.Background(), calendar.LoadSource{Size: calendar.LoadChunk + 10, Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
		emit(first)
		select {
		case <-wrote:
		case <-time.After(10 * time.Second): // a failure guard, not a wait for a schedule
			return &calendar.LoadSet{Problems: []calendar.FieldError{{File: "big.csv", Message: "the first chunk was not written while the rest was read"}}}
		}
		emit(second)
		return &calendar.LoadSet{}
	}}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != calendar.LoadChunk+10 {
		t.Errorf("got %s", counts(res))
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM posts`).Scan(&n); err != nil || n != calendar.LoadChunk+10 {
		t.Errorf("%d posts written (%v)", n, err)
	}
	if last := progress[len(progress)-1]; last != 2*(calendar.LoadChunk+10) {
		t.Errorf("progress ends at %d of %d", last, 2*(calendar.LoadChunk+10))
	}
}

// A problem in the load's last chunk, after others were written in its
// transaction, still writes nothing, and every problem is reported: the
// reader's, the plan's, the networks' and a slug given twice far apart.
func TestLoadFromLateProblemsWriteNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		last     string
		want     []string
		conflict bool
	}{
		{name: "slug given twice", last: "p7,2026-12-30T09:00:00Z,acme-log,Again\n", conflict: true,
			want: []string{fmt.Sprintf(`big.csv:%d: slug: slug "p7" is given twice in this load (first at big.csv:8)`, 2*calendar.LoadChunk+2)}},
		{name: "every problem", last: "late,2026-13-01 09:00,acme-log,Bad time\nlong,2026-12-30T09:00:00Z,acme-log,refuse me\nnone,2026-12-30T09:00:00Z,acme-nowhere,x\n",
			want: []string{
				fmt.Sprintf("big.csv:%d: at:", 2*calendar.LoadChunk+2),
				fmt.Sprintf("big.csv:%d: body: acme-log: refused", 2*calendar.LoadChunk+3),
				fmt.Sprintf(`big.csv:%d: channels: unknown channel "acme-nowhere"`, 2*calendar.LoadChunk+4),
				"big.csv:1: reader: the reader's own problem",
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadStore(t)
			before := snapshot(t, s)
			rows := pipelineRows(1, 2*calendar.LoadChunk) + tc.last
			opt := calendar.LoadOptions{Zone: time.UTC, Check: func(ch calendar.Channel, p *calendar.Post, _ *calendar.Campaign) []calendar.CheckProblem {
				if p.Body == "refuse me" {
					return []calendar.CheckProblem{{Field: "text", Message: "refused"}}
				}
				return nil
			}}
			res, err := s.LoadFrom(context.Background(), calendar.LoadSource{Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
				set := formats.StreamCSV(strings.NewReader("slug,at,channels,body\n"+rows), "big.csv", formats.ReadOptions{}, calendar.LoadChunk, emit)
				if !tc.conflict {
					set.Problems = append(set.Problems, calendar.FieldError{File: "big.csv", Line: 1, Field: "reader", Message: "the reader's own problem"})
				}
				return set
			}}, opt)
			var ve *calendar.ValidationError
			if errors.Is(err, calendar.ErrConflict) != tc.conflict || errors.As(err, &ve) == tc.conflict {
				t.Fatalf("err = %v (%T), conflict %v", err, err, tc.conflict)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if len(res.Errors) != len(tc.want) || res.Created != 0 {
				t.Errorf("%d errors (want %d), %s", len(res.Errors), len(tc.want), counts(res))
			}
			if after := snapshot(t, s); after != before {
				t.Errorf("a failed load wrote:\n%s", after)
			}
		})
	}
}

// A dry run of a streamed load plans every post and writes nothing.
func TestLoadFromDryRun(t *testing.T) {
	s := loadStore(t)
	before := snapshot(t, s)
	rows := pipelineRows(1, calendar.LoadChunk+5)
	res, err := s.LoadFrom(context.Background(), calendar.LoadSource{Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
		return formats.StreamCSV(strings.NewReader("slug,at,channels,body\n"+rows), "big.csv", formats.ReadOptions{}, calendar.LoadChunk, emit)
	}}, calendar.LoadOptions{Zone: time.UTC, DryRun: true, Plan: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != calendar.LoadChunk+5 || len(res.Plan) != calendar.LoadChunk+5 || res.Plan[calendar.LoadChunk+4].Slug != fmt.Sprintf("p%d", calendar.LoadChunk+5) {
		t.Errorf("%s, %d entries", counts(res), len(res.Plan))
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("a dry run wrote:\n%s", after)
	}
}

// Two loads into one calendar at once (two processes, here two stores on
// the same file) never give two posts one id: the database assigns them,
// and each post's deliveries and history are its own.
func TestConcurrentLoadsGetDistinctIDs(t *testing.T) {
	s := loadStore(t)
	other, err := Open(context.Background(), s.path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Now = s.Now
	rowsOf := func(prefix string) string {
		var b strings.Builder
		b.WriteString("slug,at,channels,body\n")
		for i := 1; i <= calendar.LoadChunk+500; i++ {
			fmt.Fprintf(&b, "%s%d,2026-12-30T09:00:00Z,acme-log,Text %d\n", prefix, i, i)
		}
		return b.String()
	}
	errs := make(chan error, 2)
	for i, st := range []*Store{s, other} {
		rows := rowsOf(fmt.Sprintf("load%d-", i))
		go func() {
			_, err := st.Load(context.Background(), formats.ReadCSV([]byte(rows), "l.csv", formats.ReadOptions{}), calendar.LoadOptions{Zone: time.UTC})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := 2 * (calendar.LoadChunk + 500)
	for q, what := range map[string]string{
		`SELECT count(DISTINCT id) FROM posts`:                                                                                        "posts",
		`SELECT count(*) FROM deliveries d JOIN posts p ON p.id = d.post_id`:                                                          "deliveries of their posts",
		`SELECT count(*) FROM events e JOIN posts p ON p.id = e.post_id WHERE e.kind = 'post.created' AND e.detail->>'slug' = p.slug`: "creations of their posts",
	} {
		var n int
		if err := s.db.QueryRow(q).Scan(&n); err != nil || n != want {
			t.Errorf("%d %s, want %d (%v)", n, what, want, err)
		}
	}
}

// A load stopped halfway (its context ended) returns, never hangs on a
// stage, and writes nothing.
func TestLoadFromStoppedHalfway(t *testing.T) {
	s := loadStore(t)
	before := snapshot(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := pipelineItems(t, pipelineRows(1, calendar.LoadChunk))
	rest := pipelineItems(t, pipelineRows(calendar.LoadChunk+1, 3*calendar.LoadChunk))
	done := make(chan error, 1)
	go func() {
		_, err := s.LoadFrom(ctx, calendar.LoadSource{Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
			emit(first)
			cancel()
			for len(rest) > 0 {
				n := min(calendar.LoadChunk, len(rest))
				emit(rest[:n])
				rest = rest[n:]
			}
			return &calendar.LoadSet{}
		}}, calendar.LoadOptions{Zone: time.UTC, Check: func(calendar.Channel, *calendar.Post, *calendar.Campaign) []calendar.CheckProblem { return nil }})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second): // a failure guard
		t.Fatal("the load did not return once stopped")
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("a stopped load wrote:\n%s", after)
	}
}
