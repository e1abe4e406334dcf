package sqlstore

import (
	"context"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// Each daemon's heartbeat is a row of its own; a beat updates its row and
// prunes the rows of daemons silent for more than a day.
func TestDaemonRowsAreKeptPerOwnerAndPruned(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	beat := func(owner string, at time.Time, stopped bool) {
		t.Helper()
		d := calendar.DaemonRow{Owner: owner, Host: "h", PID: 7, Started: c0.Add(-48 * time.Hour), Beat: at, Jobs: `[{"name":"heartbeat"}]`}
		if stopped {
			d.Stopped = &at
		}
		if err := s.BeatDaemon(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	owners := func() []string {
		t.Helper()
		rows, err := s.Daemons(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, r.Owner)
		}
		return out
	}
	beat("old", c0.Add(-24*time.Hour-30*time.Second), true)
	beat("a", c0.Add(-time.Minute), false)
	beat("b", c0.Add(-2*time.Minute), false)
	if got := owners(); len(got) != 3 {
		t.Fatalf("daemons %v, want old, a, b (nothing pruned yet: the newest beat is what counts)", got)
	}
	beat("a", c0, true)
	got := owners()
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("daemons %v, want [a b]: latest first, old pruned", got)
	}
	rows, _ := s.Daemons(ctx)
	if rows[0].Stopped == nil || !rows[0].Beat.Equal(c0) || rows[0].Jobs != `[{"name":"heartbeat"}]` || rows[1].Stopped != nil {
		t.Errorf("rows %+v", rows)
	}
}
