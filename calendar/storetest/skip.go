package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// testSkipChannels: a claimer that skips a channel (ClaimOptions.SkipChannels:
// a process that cannot publish to it) leaves its due deliveries as they are,
// neither claimed, nor deferred for its rate limit, nor marked missed, while it
// claims the other channels' as usual (a claim ahead counting only theirs in
// the backlog it leaves). A claimer that does not skip it then does to them
// what it always does; NextWake with the channel skipped does not wake for
// them.
func testSkipChannels(t *testing.T, h Harness) {
	type due struct {
		slug, ch string
		ago      time.Duration // due this long before T0
	}
	late := func(c *calendar.Channel) { c.MaxLateness = 10 * time.Minute }
	tests := []struct {
		name                string
		a, b                func(*calendar.Channel) // the skipped channel, the other
		due                 []due
		first               string // claimed first by another owner (spending a's rate budget)
		limit, ahead, leave int
		claimed, missed     []string // by the claim that skips a
		deferred            int      // by the claim that skips a
		// then: what a claim that does not skip a does to a's deliveries
		// left due ("claimed", "missed" or "deferred").
		then string
	}{
		{name: "claimed", due: []due{{"a1", "a", 3 * time.Minute}, {"a2", "a", 2 * time.Minute}, {"b1", "b", time.Minute}},
			limit: 10, claimed: []string{"b1"}, then: "claimed"},
		{name: "limit-one", due: []due{{"a1", "a", 3 * time.Minute}, {"b1", "b", 2 * time.Minute}, {"a2", "a", time.Minute}, {"b2", "b", 0}},
			limit: 1, claimed: []string{"b1"}, then: "claimed"},
		{name: "not-missed", a: late, b: late, due: []due{{"a1", "a", time.Hour}, {"b1", "b", time.Hour}, {"b2", "b", time.Minute}},
			limit: 10, claimed: []string{"b2"}, missed: []string{"b1"}, then: "missed"},
		{name: "not-deferred", a: func(c *calendar.Channel) { c.RatePerMinute = 1 },
			due:   []due{{"a0", "a", 4 * time.Minute}, {"a1", "a", 3 * time.Minute}, {"a2", "a", 2 * time.Minute}, {"b1", "b", time.Minute}},
			first: "a0", limit: 10, claimed: []string{"b1"}, then: "deferred"},
		{name: "not-deferred-rate-limited-other", a: func(c *calendar.Channel) { c.RatePerMinute = 1 }, b: func(c *calendar.Channel) { c.RatePerMinute = 1 },
			due:   []due{{"a0", "a", 4 * time.Minute}, {"a1", "a", 3 * time.Minute}, {"b1", "b", 2 * time.Minute}, {"b2", "b", time.Minute}},
			first: "a0", limit: 10, claimed: []string{"b1"}, deferred: 1, then: "deferred"},
		// Ahead: b's six are the backlog; a's four, older, are not in it.
		{name: "ahead", due: []due{{"a1", "a", 10 * time.Minute}, {"a2", "a", 9 * time.Minute}, {"a3", "a", 8 * time.Minute}, {"a4", "a", 7 * time.Minute},
			{"b1", "b", 6 * time.Minute}, {"b2", "b", 5 * time.Minute}, {"b3", "b", 4 * time.Minute}, {"b4", "b", 3 * time.Minute}, {"b5", "b", 2 * time.Minute}, {"b6", "b", time.Minute}},
			limit: 2, ahead: 3, leave: 2, claimed: []string{"b1", "b2", "b3", "b4"}, then: "claimed"},
		{name: "ahead-only", due: []due{{"a1", "a", 10 * time.Minute}, {"a2", "a", 9 * time.Minute}, {"a3", "a", 8 * time.Minute},
			{"b1", "b", 6 * time.Minute}, {"b2", "b", 5 * time.Minute}},
			limit: 0, ahead: 3, leave: 2, claimed: nil, then: "claimed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, h)
			a := e.channel("a", tc.a)
			e.channel("b", tc.b)
			slugOf := map[int64]string{}
			for _, d := range tc.due {
				p := e.post(d.slug, calendar.StatusScheduled, at(T0.Add(-d.ago)), d.ch)
				slugOf[p.Deliveries[0].ID] = d.slug
			}
			if tc.first != "" {
				r, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "first", Now: T0, Lease: time.Minute, Limit: 1, PostID: e.get(tc.first).ID})
				wantErr(t, "ClaimDue of "+tc.first, err, nil)
				if len(r.Claimed) != 1 {
					t.Fatalf("claiming %s first took %v", tc.first, ids(r.Claimed))
				}
			}
			// a's deliveries left due, as they are before the claim.
			before := map[int64]calendar.Delivery{}
			for _, d := range tc.due {
				if d.ch == "a" && d.slug != tc.first {
					dl := e.deliveryOn(d.slug, "a")
					before[dl.ID] = dl
				}
			}
			slugs := func(ds []calendar.Delivery) []string {
				out := []string{}
				for _, d := range ds {
					out = append(out, slugOf[d.ID])
				}
				return out
			}
			r, err := e.s.ClaimDue(e.ctx, calendar.ClaimOptions{Owner: "me", Now: T0, Lease: time.Minute,
				Limit: tc.limit, Ahead: tc.ahead, Leave: tc.leave, SkipChannels: []int64{a.ID}})
			wantErr(t, "ClaimDue skipping a", err, nil)
			if got, want := slugs(r.Claimed), append([]string{}, tc.claimed...); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("claimed %v, want %v", got, want)
			}
			if got, want := slugs(r.Missed), append([]string{}, tc.missed...); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("missed %v, want %v", got, want)
			}
			if r.Deferred != tc.deferred {
				t.Errorf("deferred %d, want %d", r.Deferred, tc.deferred)
			}
			for id, was := range before {
				if got := e.delivery(id); got.Status != calendar.DeliveryPending || !sameTime(got.RunAt, was.RunAt) ||
					got.Attempts != was.Attempts || got.LeaseOwner != "" || got.LastError != was.LastError {
					t.Errorf("%s touched by a claim that skips its channel: %+v, was %+v", slugOf[id], got, was)
				}
			}
			// A claimer that does not skip a does to them what it always does.
			r = e.claim("other", T0, 100)
			for id := range before {
				d := e.delivery(id)
				switch tc.then {
				case "claimed":
					if d.Status != calendar.DeliveryPublishing || d.LeaseOwner != "other" {
						t.Errorf("%s not claimed by a claimer that does not skip a: %+v", slugOf[id], d)
					}
				case "missed":
					if d.Status != calendar.DeliveryMissed {
						t.Errorf("%s not missed by a claimer that does not skip a: %+v", slugOf[id], d)
					}
				case "deferred":
					if d.Status != calendar.DeliveryPending || d.RunAt == nil || !d.RunAt.After(T0) {
						t.Errorf("%s not deferred by a claimer that does not skip a: %+v", slugOf[id], d)
					}
				}
			}
		})
	}
	t.Run("next-wake", func(t *testing.T) {
		e := newEnv(t, h)
		a := e.channel("a", nil)
		b := e.channel("b", nil)
		e.post("a1", calendar.StatusScheduled, at(T0.Add(-time.Minute)), "a")
		e.post("b1", calendar.StatusScheduled, at(T0.Add(time.Hour)), "b")
		for _, tc := range []struct {
			skip []int64
			want *time.Time
		}{
			{nil, at(T0.Add(-time.Minute))},
			{[]int64{a.ID}, at(T0.Add(time.Hour))},
			{[]int64{b.ID}, at(T0.Add(-time.Minute))},
			{[]int64{a.ID, b.ID}, nil},
		} {
			run, _, err := e.s.NextWake(e.ctx, T0, tc.skip...)
			wantErr(t, "NextWake", err, nil)
			if !sameTime(run, tc.want) {
				t.Errorf("NextWake skipping %v: %s, want %s", tc.skip, timeText(run), timeText(tc.want))
			}
		}
	})
}
