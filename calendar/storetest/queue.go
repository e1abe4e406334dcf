package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/when"
)

// A daily 02:30 slot in Paris meets both daylight-saving changes of 2026:
// on 29 March 02:30 does not exist (the slot fires at 03:00 CEST, the first
// instant after the gap); on 25 October it happens twice (the slot fires
// once, at the first). The queue fills each slot once, at those instants.
func testQueueDST(t *testing.T, h Harness) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no zone database: %v", err)
	}
	const spec = "30 2 * * *"
	tests := []struct {
		name string
		now  time.Time
		want []time.Time // UTC
	}{
		{"spring-forward", time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 3, 28, 1, 30, 0, 0, time.UTC), // 02:30 CET
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC),  // 03:00 CEST: 02:30 is in the gap
			time.Date(2026, 3, 30, 0, 30, 0, 0, time.UTC), // 02:30 CEST
			time.Date(2026, 3, 31, 0, 30, 0, 0, time.UTC),
		}},
		{"fall-back", time.Date(2026, 10, 23, 12, 0, 0, 0, time.UTC), []time.Time{
			time.Date(2026, 10, 24, 0, 30, 0, 0, time.UTC), // 02:30 CEST
			time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), // the first 02:30, still CEST; never also at 01:30 UTC
			time.Date(2026, 10, 26, 1, 30, 0, 0, time.UTC), // 02:30 CET
			time.Date(2026, 10, 27, 1, 30, 0, 0, time.UTC),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The rule of calendar/when, which every store's queue follows.
			sched, err := when.ParseSchedule(spec)
			if err != nil {
				t.Fatal(err)
			}
			rule := sched.Between(tt.now, tt.now.Add(5*24*time.Hour), paris, len(tt.want))
			if len(rule) != len(tt.want) {
				t.Fatalf("when gives %v", rule)
			}
			for i := range rule {
				if !rule[i].Equal(tt.want[i]) {
					t.Fatalf("when gives %v, the suite expects %v", rule[i].UTC(), tt.want[i])
				}
			}

			e := newEnv(t, h)
			e.clk.Set(tt.now)
			e.channel("paris", func(c *calendar.Channel) { c.TZ = "Europe/Paris" })
			_, err = e.s.AddSlot(e.ctx, "paris", spec)
			wantErr(t, "AddSlot", err, nil)
			for i := range tt.want {
				slug := fmt.Sprintf("q%d", i)
				e.post(slug, calendar.StatusDraft, nil, "paris")
				got, err := e.s.SchedulePost(e.ctx, slug, nil, true)
				wantErr(t, "SchedulePost --queue", err, nil)
				if got.PublishAt == nil || !got.PublishAt.Equal(tt.want[i]) {
					t.Errorf("SchedulePost returned %s for %s, want %s", timeText(got.PublishAt), slug, tt.want[i])
				}
			}
			checkQueued(t, e, tt.want)
		})
	}
	t.Run("skips-blackouts-and-taken-slots", func(t *testing.T) {
		e := newEnv(t, h)
		e.clk.Set(T0.Add(-time.Hour)) // Monday 08:00 UTC
		e.channel("a", nil)
		_, err := e.s.AddSlot(e.ctx, "a", "0 9 * * *")
		wantErr(t, "AddSlot", err, nil)
		wantErr(t, "AddBlackout", e.s.AddBlackout(e.ctx, &calendar.Blackout{Channel: "a", StartsAt: T0.Add(-30 * time.Minute), EndsAt: T0.Add(30 * time.Minute), Reason: "quiet"}), nil)
		e.post("fixed", calendar.StatusScheduled, at(T0.Add(24*time.Hour)), "a")
		for i, want := range []time.Time{T0.Add(48 * time.Hour), T0.Add(72 * time.Hour)} {
			slug := fmt.Sprintf("q%d", i)
			e.post(slug, calendar.StatusDraft, nil, "a")
			_, err := e.s.SchedulePost(e.ctx, slug, nil, true)
			wantErr(t, "SchedulePost --queue", err, nil)
			if d := e.deliveryOn(slug, "a"); !sameTime(d.DueAt, &want) || !sameTime(d.RunAt, &want) {
				t.Errorf("%s queued at %s, want %s (Monday's slot is blacked out, Tuesday's taken)", slug, timeText(d.DueAt), want)
			}
		}
	})
	t.Run("two-handles", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.second()
		start := time.Date(2026, 3, 27, 12, 0, 0, 0, time.UTC)
		e.clk.Set(start)
		e.channel("paris", func(c *calendar.Channel) { c.TZ = "Europe/Paris" })
		_, err := e.s.AddSlot(e.ctx, "paris", spec)
		wantErr(t, "AddSlot", err, nil)
		sched, _ := when.ParseSchedule(spec)
		const n = 8
		want := sched.Between(start, start.Add(30*24*time.Hour), paris, n)
		for i := range n {
			e.post(fmt.Sprintf("q%d", i), calendar.StatusDraft, nil, "paris")
		}
		var wg sync.WaitGroup
		for i := range n {
			st := e.s
			if i%2 == 1 {
				st = other
			}
			wg.Go(func() {
				if _, err := st.SchedulePost(e.ctx, fmt.Sprintf("q%d", i), nil, true); err != nil {
					t.Errorf("SchedulePost --queue q%d: %v", i, err)
				}
			})
		}
		wg.Wait()
		checkQueued(t, e, want)
	})
}

// checkQueued reads the queued posts back: each holds one slot of want, each
// slot is held once, and each delivery is due and runnable at its slot.
func checkQueued(t *testing.T, e *env, want []time.Time) {
	t.Helper()
	posts, err := e.s.Posts(e.ctx, calendar.PostFilter{})
	wantErr(t, "Posts", err, nil)
	if len(posts) != len(want) {
		t.Fatalf("%d posts, want %d", len(posts), len(want))
	}
	held := map[time.Time]string{}
	for i, p := range posts {
		if p.Status != calendar.StatusScheduled || !p.Queued || len(p.Deliveries) != 1 {
			t.Fatalf("queued post read back %s", postState(p))
		}
		d := p.Deliveries[0]
		if d.DueAt == nil || !sameTime(d.RunAt, d.DueAt) || !sameTime(p.PublishAt, d.DueAt) {
			t.Errorf("post %s at %s, its delivery due %s, runs %s", p.Slug, timeText(p.PublishAt), timeText(d.DueAt), timeText(d.RunAt))
			continue
		}
		slot := d.DueAt.UTC()
		if prev, dup := held[slot]; dup {
			t.Errorf("slot %s given to %s and %s", slot, prev, p.Slug)
		}
		held[slot] = p.Slug
		if !slot.Equal(want[i]) {
			t.Errorf("post %d (%s) in slot %s, want %s", i, p.Slug, slot, want[i])
		}
	}
	// Each runs at its slot, not before.
	for _, w := range want {
		if r := e.claim("me", w.Add(-time.Second), 10); len(r.Claimed) != 0 {
			t.Errorf("claimed %v before %s", ids(r.Claimed), w)
		}
		if r := e.claim("me", w, 10); len(r.Claimed) != 1 {
			t.Errorf("at %s claimed %v, want one", w, ids(r.Claimed))
		}
	}
}
