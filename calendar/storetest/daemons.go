package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Each daemon keeps its own heartbeat row, keyed by its owner: several
// daemons on one calendar are each visible, a clean stop is marked, and a
// row silent for longer than calendar.DaemonRowsKept is pruned by the next
// heartbeat of any daemon.
func testDaemons(t *testing.T, h Harness) {
	beat := func(t *testing.T, s Store, d calendar.DaemonRow) {
		t.Helper()
		if err := s.BeatDaemon(t.Context(), d); err != nil {
			t.Fatalf("BeatDaemon %s: %v", d.Owner, err)
		}
	}
	list := func(t *testing.T, s Store) map[string]calendar.DaemonRow {
		t.Helper()
		rows, err := s.Daemons(t.Context())
		wantErr(t, "Daemons", err, nil)
		out := map[string]calendar.DaemonRow{}
		for i, d := range rows {
			if _, dup := out[d.Owner]; dup {
				t.Errorf("daemon %s listed twice", d.Owner)
			}
			out[d.Owner] = d
			if i > 0 && d.Beat.After(rows[i-1].Beat) {
				t.Errorf("daemons not listed latest heartbeat first: %s (%s) after %s (%s)", d.Owner, d.Beat, rows[i-1].Owner, rows[i-1].Beat)
			}
		}
		return out
	}
	same := func(t *testing.T, got, want calendar.DaemonRow) {
		t.Helper()
		if got.Owner != want.Owner || got.Host != want.Host || got.PID != want.PID || !got.Started.Equal(want.Started) ||
			!got.Beat.Equal(want.Beat) || !sameTime(got.Stopped, want.Stopped) || !sameJSON(got.Jobs, want.Jobs) || !sameJSON(got.Report, want.Report) {
			t.Errorf("daemon %s read back\n%+v\nwant\n%+v", want.Owner, got, want)
		}
	}
	a := calendar.DaemonRow{Owner: "host-a:11", Host: "host-a", PID: 11, Started: T0, Beat: T0.Add(time.Second),
		Jobs: `[{"name":"evergreen","every":"1h"}]`, Report: `{"concurrency":4}`}
	b := calendar.DaemonRow{Owner: "host-b:22", Host: "host-b", PID: 22, Started: T0.Add(time.Second), Beat: T0.Add(2 * time.Second),
		Jobs: `[]`, Report: `{"concurrency":1}`}

	t.Run("two-owners", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.s
		if h.OpenSecond != nil {
			other = e.second()
		}
		beat(t, e.s, a)
		beat(t, other, b)
		got := list(t, e.s)
		if len(got) != 2 {
			t.Fatalf("%d daemons listed after two beat, want 2: %v", len(got), got)
		}
		same(t, got[a.Owner], a)
		same(t, got[b.Owner], b)
		// A's next beat updates its own row, and only it.
		a2 := a
		a2.Beat, a2.Report = T0.Add(15*time.Second), `{"concurrency":4,"published":3}`
		beat(t, other, a2)
		got = list(t, e.s)
		if len(got) != 2 {
			t.Fatalf("%d daemons listed after a second beat of one, want 2", len(got))
		}
		same(t, got[a.Owner], a2)
		same(t, got[b.Owner], b)
	})
	t.Run("stopped", func(t *testing.T) {
		e := newEnv(t, h)
		beat(t, e.s, a)
		beat(t, e.s, b)
		stop := a
		stop.Beat = T0.Add(20 * time.Second)
		stop.Stopped = at(stop.Beat)
		beat(t, e.s, stop)
		got := list(t, e.s)
		same(t, got[a.Owner], stop)
		if got[b.Owner].Stopped != nil {
			t.Errorf("a daemon still running is marked stopped at %s", timeText(got[b.Owner].Stopped))
		}
		// Started again under the same owner: running, no longer stopped.
		again := a
		again.Started, again.Beat = T0.Add(time.Minute), T0.Add(time.Minute)
		beat(t, e.s, again)
		same(t, list(t, e.s)[a.Owner], again)
	})
	t.Run("pruned", func(t *testing.T) {
		e := newEnv(t, h)
		old := a // silent for longer than a day when b beats
		stoppedOld := calendar.DaemonRow{Owner: "host-c:33", Host: "host-c", PID: 33, Started: T0, Beat: T0.Add(500 * time.Millisecond), Stopped: at(T0.Add(500 * time.Millisecond))}
		edge := calendar.DaemonRow{Owner: "host-d:44", Host: "host-d", PID: 44, Started: T0, Beat: T0.Add(2 * time.Second)} // silent exactly a day
		beat(t, e.s, old)
		beat(t, e.s, stoppedOld)
		beat(t, e.s, edge)
		late := b
		late.Beat = edge.Beat.Add(calendar.DaemonRowsKept)
		beat(t, e.s, late)
		got := list(t, e.s)
		for _, gone := range []string{old.Owner, stoppedOld.Owner} {
			if _, ok := got[gone]; ok {
				t.Errorf("daemon %s, silent for more than %s, is still listed", gone, calendar.DaemonRowsKept)
			}
		}
		if _, ok := got[edge.Owner]; !ok {
			t.Errorf("daemon %s, silent for exactly %s, was pruned", edge.Owner, calendar.DaemonRowsKept)
		}
		same(t, got[late.Owner], late)
	})
}

// sameJSON says whether two JSON texts hold the same value (a store may
// keep JSON in its own layout).
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	return reflect.DeepEqual(va, vb)
}
