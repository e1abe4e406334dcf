package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// One daemon leads a group of jobs at a time: the lease row is taken when
// free, renewed by its holder, refused to another while it runs, taken over
// once it has expired (not at the instant it expires), given up by Resign;
// of several handles racing for a free or expired row exactly one wins.
func testLeaders(t *testing.T, h Harness) {
	const name = calendar.LeaderMaintenance
	ttl := 15 * time.Second
	lead := func(t *testing.T, s Store, holder string, now time.Time) bool {
		t.Helper()
		ok, err := s.Lead(t.Context(), name, holder, now, ttl)
		if err != nil {
			t.Fatalf("Lead %s at %s: %v", holder, now.Format(time.TimeOnly), err)
		}
		return ok
	}
	leader := func(t *testing.T, s Store) calendar.Leadership {
		t.Helper()
		l, ok, err := s.Leader(t.Context(), name)
		if err != nil || !ok {
			t.Fatalf("Leader: %+v, %v, %v", l, ok, err)
		}
		return l
	}
	t.Run("take-renew-expire", func(t *testing.T) {
		e := newEnv(t, h)
		if _, ok, err := e.s.Leader(e.ctx, name); err != nil || ok {
			t.Fatalf("a new calendar has a leader (%v, %v)", ok, err)
		}
		if !lead(t, e.s, "a", T0) {
			t.Fatal("a could not take a free lease")
		}
		if l := leader(t, e.s); l.Holder != "a" || !l.Since.Equal(T0) || !l.Until.Equal(T0.Add(ttl)) {
			t.Errorf("after a took it: %+v", l)
		}
		if lead(t, e.s, "b", T0.Add(time.Second)) {
			t.Error("b took the lease a holds")
		}
		if !lead(t, e.s, "a", T0.Add(5*time.Second)) {
			t.Error("a could not renew its own lease")
		}
		if l := leader(t, e.s); l.Holder != "a" || !l.Since.Equal(T0) || !l.Until.Equal(T0.Add(5*time.Second+ttl)) {
			t.Errorf("after a renewed it: %+v (since must stay the first take)", l)
		}
		expiry := T0.Add(5*time.Second + ttl)
		if lead(t, e.s, "b", expiry) {
			t.Error("b took the lease at the instant it expires (expired means before now)")
		}
		if !lead(t, e.s, "b", expiry.Add(time.Millisecond)) {
			t.Fatal("b could not take the lease a let expire")
		}
		if l := leader(t, e.s); l.Holder != "b" || !l.Since.Equal(expiry.Add(time.Millisecond)) {
			t.Errorf("after b took it over: %+v", l)
		}
		if lead(t, e.s, "a", expiry.Add(2*time.Millisecond)) {
			t.Error("a, which lost the lease, renewed it over b")
		}
	})
	t.Run("resign", func(t *testing.T) {
		e := newEnv(t, h)
		lead(t, e.s, "a", T0)
		if err := e.s.Resign(e.ctx, name, "b"); err != nil {
			t.Fatal(err)
		}
		if l := leader(t, e.s); l.Holder != "a" {
			t.Errorf("b's resignation removed a's lease: %+v", l)
		}
		if err := e.s.Resign(e.ctx, name, "a"); err != nil {
			t.Fatal(err)
		}
		if !lead(t, e.s, "b", T0.Add(time.Second)) {
			t.Error("b could not take the lease a gave up")
		}
	})
	t.Run("race", func(t *testing.T) {
		e := newEnv(t, h)
		stores := []Store{e.s}
		if h.OpenSecond != nil {
			stores = append(stores, e.second(), e.second())
		}
		for round, now := range []time.Time{T0, T0.Add(ttl + time.Second)} { // free, then expired
			var mu sync.Mutex
			won := []string{}
			var wg sync.WaitGroup
			for i := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					holder := string(rune('a'+i)) + "-" + string(rune('0'+round))
					ok, err := stores[i%len(stores)].Lead(t.Context(), name, holder, now, ttl)
					if err != nil {
						t.Errorf("Lead %s: %v", holder, err)
						return
					}
					if ok {
						mu.Lock()
						won = append(won, holder)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(won) != 1 {
				t.Fatalf("round %d: %d holders won the lease, want 1: %v", round, len(won), won)
			}
			if l := leader(t, e.s); l.Holder != won[0] {
				t.Errorf("round %d: %s won but the row names %s", round, won[0], l.Holder)
			}
		}
	})
}
