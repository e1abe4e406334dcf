package storetest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

func testDeliveryTransitions(t *testing.T, h Harness) {
	retryAt := T0.Add(5 * time.Minute)
	tests := []struct {
		name     string
		owner    string // who records the outcome; "me" claimed it
		before   func(e *env)
		outcome  calendar.Outcome
		refused  error
		delivery string // the delivery's status read back
		post     string // the post's status read back
		check    func(t *testing.T, e *env, d calendar.Delivery)
	}{
		{name: "published", outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", RemoteURL: "https://example.com/r1", PublishedAt: T0.Add(time.Second)},
			delivery: calendar.DeliveryPublished, post: calendar.StatusPublished, check: func(t *testing.T, e *env, d calendar.Delivery) {
				if d.RemoteID != "r1" || d.RemoteURL != "https://example.com/r1" || !sameTime(d.PublishedAt, at(T0.Add(time.Second))) || d.LeaseOwner != "" || d.RunAt != nil {
					t.Errorf("published delivery %+v", d)
				}
				if p := e.get("p"); !sameTime(p.PublishedAt, at(T0.Add(time.Second))) {
					t.Errorf("post published at %s", timeText(p.PublishedAt))
				}
			}},
		{name: "retry", outcome: calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: retryAt, Error: "502 from the network"},
			delivery: calendar.DeliveryPending, post: calendar.StatusScheduled, check: func(t *testing.T, e *env, d calendar.Delivery) {
				if !sameTime(d.RunAt, &retryAt) || d.Attempts != 1 || d.LastError != "502 from the network" || d.LeaseOwner != "" {
					t.Errorf("retried delivery %+v", d)
				}
				if r := e.claim("me", retryAt.Add(-time.Second), 10); len(r.Claimed) != 0 {
					t.Errorf("a retry ran before its time")
				}
				r := e.claim("me", retryAt, 10)
				if len(r.Claimed) != 1 || e.delivery(d.ID).Attempts != 2 {
					t.Errorf("a retry at its time: claimed %v, attempts %d", ids(r.Claimed), e.delivery(d.ID).Attempts)
				}
			}},
		{name: "failed", outcome: calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "invalid"},
			delivery: calendar.DeliveryFailed, post: calendar.StatusFailed, check: stopped},
		{name: "held", outcome: calendar.Outcome{Kind: calendar.OutcomeHeld, Error: "timeout, may have reached"},
			delivery: calendar.DeliveryHeld, post: calendar.StatusScheduled, check: stopped},
		{name: "not-tried", outcome: calendar.Outcome{Kind: calendar.OutcomeRetry, NotTried: true, RetryAt: retryAt, Error: "no key here"},
			delivery: calendar.DeliveryPending, post: calendar.StatusScheduled, check: func(t *testing.T, e *env, d calendar.Delivery) {
				if d.Attempts != 0 || !sameTime(d.RunAt, &retryAt) || d.LastError != "no key here" {
					t.Errorf("a call not tried: %+v (the attempt is given back, it runs again at its time)", d)
				}
				if c, _ := e.s.Channel(e.ctx, "plain"); c.Paused {
					t.Errorf("the channel was paused for a call this process could not try")
				}
			}},
		{name: "auth", outcome: calendar.Outcome{Kind: calendar.OutcomeAuth, Error: "401", PauseReason: "log in again"},
			delivery: calendar.DeliveryPending, post: calendar.StatusScheduled, check: func(t *testing.T, e *env, d calendar.Delivery) {
				if d.Attempts != 0 || d.RunAt == nil {
					t.Errorf("after refused credentials: %+v (the attempt is given back, it runs again)", d)
				}
				c, _ := e.s.Channel(e.ctx, "plain")
				if !c.Paused || c.PauseReason != "log in again" {
					t.Errorf("channel after refused credentials: paused %v, reason %q", c.Paused, c.PauseReason)
				}
				if r := e.claim("me", T0.Add(time.Hour), 10); len(r.Claimed) != 0 {
					t.Errorf("claimed %v on a channel paused for its credentials", ids(r.Claimed))
				}
			}},
		{name: "recovered", outcome: calendar.Outcome{Kind: calendar.OutcomeRecovered},
			delivery: calendar.DeliveryPending, post: calendar.StatusScheduled, check: func(t *testing.T, e *env, d calendar.Delivery) {
				if r := e.claim("me", T0, 10); len(r.Claimed) != 1 {
					t.Errorf("a recovered delivery is not claimable at once")
				}
			}},
		{name: "canceled-while-in-flight", before: func(e *env) {
			e.must("CancelPost", func() error { _, err := e.s.CancelPost(e.ctx, "p"); return err })
		}, outcome: calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: retryAt}, delivery: calendar.DeliveryCanceled, post: calendar.StatusCanceled, check: stopped},
		// The network's word is the truth: a publication is recorded whoever
		// reports it (its lease may have been lost meanwhile).
		{name: "published-by-another-owner", owner: "slow", outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r9"},
			delivery: calendar.DeliveryPublished, post: calendar.StatusPublished},
		{name: "retry-by-non-owner", owner: "intruder", outcome: calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: retryAt}, refused: calendar.ErrLeaseLost},
		{name: "failed-by-non-owner", owner: "intruder", outcome: calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "x"}, refused: calendar.ErrLeaseLost},
		{name: "held-by-non-owner", owner: "intruder", outcome: calendar.Outcome{Kind: calendar.OutcomeHeld}, refused: calendar.ErrLeaseLost},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, h)
			e.channel("plain", nil)
			e.post("p", calendar.StatusScheduled, at(T0), "plain")
			d := e.claimOne("me", "p", "plain")
			if tt.before != nil {
				tt.before(e)
			}
			owner := tt.owner
			if owner == "" {
				owner = "me"
			}
			before := e.get("p")
			err := e.s.RecordOutcome(e.ctx, d, owner, tt.outcome)
			if tt.refused != nil {
				wantErr(t, "RecordOutcome by "+owner, err, tt.refused)
				if after := e.get("p"); postState(after) != postState(before) {
					t.Errorf("a refused outcome changed the post:\n%s\nvs\n%s", postState(before), postState(after))
				}
				return
			}
			wantErr(t, "RecordOutcome", err, nil)
			got := e.delivery(d.ID)
			if got.Status != tt.delivery {
				t.Fatalf("delivery %s, want %s: %+v", got.Status, tt.delivery, got)
			}
			if p := e.get("p"); p.Status != tt.post {
				t.Errorf("post %s, want %s", p.Status, tt.post)
			}
			if tt.check != nil {
				tt.check(t, e, got)
			}
		})
	}
	t.Run("outcome-of-unclaimed", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("plain", nil)
		p := e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "plain")
		before := postState(p)
		err := e.s.RecordOutcome(e.ctx, p.Deliveries[0], "me", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "x"})
		wantErr(t, "RecordOutcome of a pending delivery", err, calendar.ErrLeaseLost)
		if after := postState(e.get("p")); after != before {
			t.Errorf("changed:\n%s\nvs\n%s", before, after)
		}
	})
}

// stopped: the delivery is off the calendar; nothing claims it later.
func stopped(t *testing.T, e *env, d calendar.Delivery) {
	t.Helper()
	if d.RunAt != nil || d.LeaseOwner != "" {
		t.Errorf("a stopped delivery keeps run %s, owner %q", timeText(d.RunAt), d.LeaseOwner)
	}
	if r := e.claim("me", T0.Add(1000*time.Hour), 10); len(r.Claimed) != 0 {
		t.Errorf("claimed %v, a stopped delivery", ids(r.Claimed))
	}
}

func testClaims(t *testing.T, h Harness) {
	t.Run("due-with-lease", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.post("due", calendar.StatusScheduled, at(T0.Add(-time.Minute)), "a")
		e.post("later", calendar.StatusScheduled, at(T0.Add(time.Minute)), "a")
		e.post("draft", calendar.StatusDraft, at(T0.Add(-time.Minute)), "a")
		r, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "me", Now: T0, Lease: 3 * time.Minute, Limit: 10})
		wantErr(t, "ClaimDue", err, nil)
		want := e.deliveryOn("due", "a")
		if len(r.Claimed) != 1 || r.Claimed[0].ID != want.ID {
			t.Fatalf("claimed %v, want only %d", ids(r.Claimed), want.ID)
		}
		got := e.delivery(want.ID)
		if got.Status != calendar.DeliveryPublishing || got.LeaseOwner != "me" || !sameTime(got.LeaseExpiresAt, at(T0.Add(3*time.Minute))) || got.Attempts != 1 {
			t.Errorf("claimed delivery read back %+v", got)
		}
		if r.Claimed[0].LeaseOwner != "me" || r.Claimed[0].Status != calendar.DeliveryPublishing {
			t.Errorf("ClaimDue returned %+v", r.Claimed[0])
		}
		for _, slug := range []string{"later", "draft"} {
			if d := e.deliveryOn(slug, "a"); d.Status != calendar.DeliveryPending || d.LeaseOwner != "" || d.Attempts != 0 {
				t.Errorf("%s touched by the claim: %+v", slug, d)
			}
		}
		if again := e.claim("other", T0, 10); len(again.Claimed) != 0 {
			t.Errorf("claimed again: %v", ids(again.Claimed))
		}
		// The later one at its time.
		if r := e.claim("other", T0.Add(time.Minute), 10); len(r.Claimed) != 1 || r.Claimed[0].ID != e.deliveryOn("later", "a").ID {
			t.Errorf("at its time, claimed %v", ids(r.Claimed))
		}
	})
	t.Run("limit-oldest-first", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		var want []int64
		for i := range 5 {
			p := e.post(fmt.Sprintf("p%d", i), calendar.StatusScheduled, at(T0.Add(-time.Duration(5-i)*time.Minute)), "a")
			want = append(want, p.Deliveries[0].ID)
		}
		r := e.claim("me", T0, 2)
		if got := ids(r.Claimed); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("claimed %v, want the two oldest %v", got, want[:2])
		}
		n := 0
		for _, id := range want {
			if e.delivery(id).Status == calendar.DeliveryPublishing {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%d deliveries publishing after a claim of 2", n)
		}
	})
	t.Run("ahead-from-backlog", func(t *testing.T) {
		// A claim ahead takes up to Ahead more than Limit, oldest first,
		// only while Leave due deliveries remain after them, and never past
		// a channel's rate limit.
		tests := []struct {
			name                string
			due, perMinute      int
			limit, ahead, leave int
			want                int
		}{
			{name: "backlog", due: 10, limit: 2, ahead: 3, leave: 4, want: 5},
			{name: "leaves-enough", due: 10, limit: 2, ahead: 3, leave: 7, want: 3},
			{name: "small-backlog", due: 3, limit: 2, ahead: 3, leave: 0, want: 3},
			{name: "no-backlog-left", due: 10, limit: 2, ahead: 3, leave: 10, want: 2},
			{name: "fewer-due-than-limit", due: 1, limit: 2, ahead: 3, leave: 0, want: 1},
			{name: "rate-limit", due: 10, perMinute: 4, limit: 2, ahead: 5, leave: 0, want: 4},
			// Limit 0: only a claim ahead (a daemon topping up its queue
			// while every slot is busy).
			{name: "only-ahead", due: 10, limit: 0, ahead: 3, leave: 4, want: 3},
			{name: "only-ahead-no-backlog", due: 10, limit: 0, ahead: 3, leave: 10, want: 0},
			{name: "only-ahead-rate-limit", due: 10, perMinute: 2, limit: 0, ahead: 5, leave: 0, want: 2},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnv(t, h)
				e.channel("a", func(c *calendar.Channel) { c.RatePerMinute = tc.perMinute })
				var want []int64
				for i := range tc.due {
					p := e.post(fmt.Sprintf("p%d", i), calendar.StatusScheduled, at(T0.Add(-time.Duration(tc.due-i)*time.Minute)), "a")
					want = append(want, p.Deliveries[0].ID)
				}
				r, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "me", Now: T0, Lease: time.Minute, Limit: tc.limit, Ahead: tc.ahead, Leave: tc.leave})
				wantErr(t, "ClaimDue", err, nil)
				if got := ids(r.Claimed); fmt.Sprint(got) != fmt.Sprint(want[:tc.want]) {
					t.Errorf("claimed %v, want the %d oldest %v", got, tc.want, want[:tc.want])
				}
				n := 0
				for _, id := range want {
					if d := e.delivery(id); d.Status == calendar.DeliveryPublishing && d.LeaseOwner == "me" {
						n++
					}
				}
				if n != tc.want {
					t.Errorf("%d deliveries leased after the claim, want %d", n, tc.want)
				}
			})
		}
	})
	t.Run("two-claimers-race", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.second()
		e.channel("a", nil)
		e.channel("b", nil)
		const posts = 40
		all := map[int64]bool{}
		for i := range posts {
			p := e.post(fmt.Sprintf("p%03d", i), calendar.StatusScheduled, at(T0.Add(-time.Duration(i)*time.Second)), "a", "b")
			for _, d := range p.Deliveries {
				all[d.ID] = true
			}
		}
		var mu sync.Mutex
		owners := map[int64]string{}
		var wg sync.WaitGroup
		for w, st := range []Store{e.s, other, e.s, other} {
			owner := fmt.Sprintf("daemon-%d", w)
			wg.Go(func() {
				for round := 0; ; round++ {
					if round > 2*posts*2 {
						t.Errorf("%s: still claiming after %d rounds", owner, round)
						return
					}
					r, err := st.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: owner, Now: T0, Lease: time.Minute, Limit: 3})
					if err != nil {
						t.Errorf("%s: ClaimDue: %v", owner, err)
						return
					}
					if len(r.Claimed) == 0 {
						return
					}
					mu.Lock()
					for _, d := range r.Claimed {
						if prev, dup := owners[d.ID]; dup {
							t.Errorf("delivery %d claimed by %s and by %s", d.ID, prev, owner)
						}
						owners[d.ID] = owner
						if d.LeaseOwner != owner || d.Status != calendar.DeliveryPublishing {
							t.Errorf("%s was handed delivery %d leased to %q (%s)", owner, d.ID, d.LeaseOwner, d.Status)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(owners) != len(all) {
			t.Errorf("claimed %d of %d deliveries", len(owners), len(all))
		}
		for id := range all {
			d := e.delivery(id)
			if d.Status != calendar.DeliveryPublishing || d.LeaseOwner != owners[id] || d.Attempts != 1 {
				t.Errorf("delivery %d read back %s, owner %q, attempts %d; it was handed to %q", id, d.Status, d.LeaseOwner, d.Attempts, owners[id])
			}
		}
		// Each owner records its own; another owner's record is refused.
		for id, owner := range owners {
			d := e.delivery(id)
			err := other.RecordOutcome(e.ctx, d, owner+"-not", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: T0})
			wantErr(t, "RecordOutcome by a non-owner", err, calendar.ErrLeaseLost)
			if got := e.delivery(id); got.Status != calendar.DeliveryPublishing || got.LeaseOwner != owner {
				t.Errorf("a refused outcome changed delivery %d: %+v", id, got)
			}
			st := e.s
			if id%2 == 0 {
				st = other
			}
			if err := st.RecordOutcome(e.ctx, d, owner, calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: fmt.Sprint("r", id)}); err != nil {
				t.Fatalf("RecordOutcome by its owner: %v", err)
			}
		}
		posts2, err := e.s.Posts(e.ctx, calendar.PostFilter{})
		wantErr(t, "Posts", err, nil)
		for _, p := range posts2 {
			if p.Status != calendar.StatusPublished {
				t.Errorf("post %s is %s after all its deliveries published", p.Slug, p.Status)
			}
		}
	})
}

func testLeases(t *testing.T, h Harness) {
	t.Run("expiry-and-recovery", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a")
		d := e.claimOne("crashed", "p", "a") // a one-minute lease
		got, err := e.s.ClaimExpired(e.ctx, "rescuer", T0.Add(30*time.Second), time.Minute, 10)
		wantErr(t, "ClaimExpired", err, nil)
		if len(got) != 0 {
			t.Fatalf("a live lease was taken over: %v", ids(got))
		}
		if r := e.delivery(d.ID); r.LeaseOwner != "crashed" {
			t.Fatalf("owner %q before expiry", r.LeaseOwner)
		}
		late := T0.Add(time.Minute + time.Millisecond)
		got, err = e.s.ClaimExpired(e.ctx, "rescuer", late, time.Minute, 10)
		wantErr(t, "ClaimExpired", err, nil)
		if len(got) != 1 || got[0].ID != d.ID || got[0].LeaseOwner != "rescuer" {
			t.Fatalf("expired lease recovered as %+v", got)
		}
		r := e.delivery(d.ID)
		if r.Status != calendar.DeliveryPublishing || r.LeaseOwner != "rescuer" || !sameTime(r.LeaseExpiresAt, at(late.Add(time.Minute))) || r.Attempts != 1 {
			t.Errorf("recovered delivery read back %+v", r)
		}
		if again, _ := e.s.ClaimExpired(e.ctx, "third", late, time.Minute, 10); len(again) != 0 {
			t.Errorf("a recovered lease was taken again: %v", ids(again))
		}
		wantErr(t, "the crashed owner's outcome", e.s.RecordOutcome(e.ctx, d, "crashed", calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: late}), calendar.ErrLeaseLost)
		if r := e.delivery(d.ID); r.LeaseOwner != "rescuer" || r.Status != calendar.DeliveryPublishing {
			t.Errorf("after a refused outcome: %+v", r)
		}
		e.outcome(d, "rescuer", calendar.Outcome{Kind: calendar.OutcomeRecovered})
		if r := e.delivery(d.ID); r.Status != calendar.DeliveryPending || r.LeaseOwner != "" {
			t.Errorf("after recovery: %+v", r)
		}
	})
	t.Run("extend", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "a")
		d := e.claimOne("me", "p", "a")
		lost, err := e.s.ExtendLeases(e.ctx, "someone-else", []int64{d.ID}, T0.Add(time.Hour))
		wantErr(t, "ExtendLeases by another owner", err, nil)
		if len(lost) != 1 || lost[0] != d.ID {
			t.Errorf("another owner's extension reports lost %v, want [%d]", lost, d.ID)
		}
		if r := e.delivery(d.ID); !sameTime(r.LeaseExpiresAt, at(T0.Add(time.Minute))) {
			t.Errorf("another owner extended the lease to %s", timeText(r.LeaseExpiresAt))
		}
		until := T0.Add(10 * time.Minute)
		lost, err = e.s.ExtendLeases(e.ctx, "me", []int64{d.ID}, until)
		wantErr(t, "ExtendLeases", err, nil)
		if len(lost) != 0 {
			t.Errorf("the owner's own extension reports lost %v", lost)
		}
		if r := e.delivery(d.ID); !sameTime(r.LeaseExpiresAt, &until) || r.LeaseOwner != "me" {
			t.Errorf("extended lease read back %+v", r)
		}
		if got, _ := e.s.ClaimExpired(e.ctx, "rescuer", T0.Add(2*time.Minute), time.Minute, 10); len(got) != 0 {
			t.Errorf("an extended lease was taken over: %v", ids(got))
		}
		if got, _ := e.s.ClaimExpired(e.ctx, "rescuer", until.Add(time.Millisecond), time.Minute, 10); len(got) != 1 {
			t.Errorf("the extended lease, once expired, was not recovered")
		}
	})
	t.Run("two-rescuers-race", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.second()
		e.channel("a", nil)
		const n = 20
		for i := range n {
			e.post(fmt.Sprintf("p%02d", i), calendar.StatusScheduled, at(T0), "a")
		}
		if r := e.claim("crashed", T0, n); len(r.Claimed) != n {
			t.Fatalf("claimed %d of %d", len(r.Claimed), n)
		}
		late := T0.Add(2 * time.Minute)
		var mu sync.Mutex
		owners := map[int64]string{}
		var wg sync.WaitGroup
		for w, st := range []Store{e.s, other, e.s, other} {
			owner := fmt.Sprintf("rescuer-%d", w)
			wg.Go(func() {
				for round := 0; ; round++ {
					if round > 2*n {
						t.Errorf("%s: still recovering after %d rounds", owner, round)
						return
					}
					got, err := st.ClaimExpired(e.ctx, owner, late, time.Minute, 3)
					if err != nil {
						t.Errorf("%s: %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						if prev, dup := owners[d.ID]; dup {
							t.Errorf("delivery %d recovered by %s and by %s", d.ID, prev, owner)
						}
						owners[d.ID] = owner
						if d.LeaseOwner != owner {
							t.Errorf("%s was handed delivery %d leased to %q", owner, d.ID, d.LeaseOwner)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(owners) != n {
			t.Errorf("recovered %d of %d", len(owners), n)
		}
		for id, owner := range owners {
			if d := e.delivery(id); d.LeaseOwner != owner {
				t.Errorf("delivery %d read back leased to %q, handed to %q", id, d.LeaseOwner, owner)
			}
		}
	})
}

// What one handle writes, a claim through another sees at once: no stale
// copy publishes a canceled, re-timed or paused post.
func testCrossHandle(t *testing.T, h Harness) {
	e := newEnv(t, h)
	other := e.second()
	e.channel("a", nil)
	e.channel("b", nil)
	e.post("canceled", calendar.StatusScheduled, at(T0), "a")
	e.post("moved", calendar.StatusScheduled, at(T0), "a")
	e.post("paused", calendar.StatusScheduled, at(T0), "b")
	if _, err := other.CancelPost(e.ctx, "canceled"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.MovePost(e.ctx, "moved", T0.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "SetChannelPaused", other.SetChannelPaused(e.ctx, "b", true, "x"), nil)
	if r := e.claim("daemon", T0, 10); len(r.Claimed) != 0 {
		t.Errorf("claimed %v that another handle canceled, moved or paused", ids(r.Claimed))
	}
	if r := e.claim("daemon", T0.Add(time.Hour), 10); len(r.Claimed) != 1 || r.Claimed[0].ID != e.deliveryOn("moved", "a").ID {
		t.Errorf("at the new time, claimed %v", ids(r.Claimed))
	}
}

// Outcomes recorded together (a daemon's calls that end at once share one
// commit) settle each delivery as one by one would, refuse only the records
// that are refused, and derive each post's status once from all of them.
func testOutcomeBatch(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("a", nil)
	e.channel("b", nil)
	e.channel("c", nil)
	e.post("both", calendar.StatusScheduled, at(T0), "a", "b")
	e.post("half", calendar.StatusScheduled, at(T0), "a", "b")
	e.post("lost", calendar.StatusScheduled, at(T0), "c")
	// "lost/c" is claimed on a short lease, which runs out: another owner
	// takes it over before its outcome is recorded.
	lost := e.get("lost")
	short, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "me", Now: T0, Lease: time.Second, Limit: 10, PostID: lost.ID})
	if err != nil || len(short.Claimed) != 1 {
		t.Fatalf("claim of lost: %v %v", err, ids(short.Claimed))
	}
	r, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "me", Now: T0, Lease: time.Hour, Limit: 10})
	if err != nil || len(r.Claimed) != 4 {
		t.Fatalf("claimed %v (%v), want 4", ids(r.Claimed), err)
	}
	by := map[string]calendar.Delivery{"lost/c": short.Claimed[0]}
	for _, d := range r.Claimed {
		by[e.get(strconv.FormatInt(d.PostID, 10)).Slug+"/"+d.Channel] = d
	}
	if taken, err := e.s.ClaimExpired(e.ctx, "other", T0.Add(time.Minute), time.Minute, 10); err != nil || len(taken) != 1 || taken[0].ID != by["lost/c"].ID {
		t.Fatalf("take-over of lost/c: %v %v", err, ids(taken))
	}
	gone := calendar.Delivery{ID: 1 << 40, PostID: by["both/a"].PostID, ChannelID: by["both/a"].ChannelID}
	recs := []calendar.OutcomeRecord{
		{Delivery: by["half/b"], Outcome: calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "invalid"}},
		{Delivery: by["both/a"], Outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", PublishedAt: T0.Add(time.Second)}},
		{Delivery: by["lost/c"], Outcome: calendar.Outcome{Kind: calendar.OutcomeRetry, RetryAt: T0.Add(time.Minute), Error: "502"}},
		{Delivery: gone, Outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "x"}},
		{Delivery: by["half/a"], Outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r3", PublishedAt: T0.Add(2 * time.Second)}},
		{Delivery: by["both/b"], Outcome: calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r2", PublishedAt: T0.Add(3 * time.Second)}},
	}
	errs, err := e.s.RecordOutcomes(e.ctx, "me", recs)
	if err != nil {
		t.Fatalf("RecordOutcomes: %v", err)
	}
	for i, want := range []error{nil, nil, calendar.ErrLeaseLost, calendar.ErrNotFound, nil, nil} {
		if want == nil && errs[i] != nil || want != nil && !errors.Is(errs[i], want) {
			t.Errorf("record %d: error %v, want %v", i, errs[i], want)
		}
	}
	for _, c := range []struct{ key, status string }{{"both/a", calendar.DeliveryPublished}, {"both/b", calendar.DeliveryPublished},
		{"half/a", calendar.DeliveryPublished}, {"half/b", calendar.DeliveryFailed}, {"lost/c", calendar.DeliveryPublishing}} {
		if d := e.delivery(by[c.key].ID); d.Status != c.status {
			t.Errorf("%s: %s, want %s", c.key, d.Status, c.status)
		}
	}
	if d := e.delivery(by["lost/c"].ID); d.LeaseOwner != "other" {
		t.Errorf("lost/c leased to %q: a refused record must not touch it", d.LeaseOwner)
	}
	for slug, want := range map[string]string{"both": calendar.StatusPublished, "half": calendar.StatusPartial, "lost": calendar.StatusScheduled} {
		if p := e.get(slug); p.Status != want {
			t.Errorf("post %s: %s, want %s", slug, p.Status, want)
		}
	}
	if p := e.get("both"); !sameTime(p.PublishedAt, at(T0.Add(3*time.Second))) {
		t.Errorf("post both published at %s, want its last delivery's time", timeText(p.PublishedAt))
	}
	// Each delivery's event, then the post's, once.
	h2, err := e.s.PostHistory(e.ctx, e.get("both").ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range h2 {
		if ev.Kind == "delivery.published" || ev.Kind == "post.published" || ev.Kind == "post.partial" {
			kinds = append(kinds, ev.Kind)
		}
	}
	if got := strings.Join(kinds, " "); got != "delivery.published delivery.published post.published" {
		t.Errorf("history of both: %s", got)
	}
	if errs, err := e.s.RecordOutcomes(e.ctx, "me", nil); err != nil || len(errs) != 0 {
		t.Errorf("an empty batch: %v %v", errs, err)
	}
}
