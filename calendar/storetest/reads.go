package storetest

import (
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// The scheduler's and `status`'s reads agree with what a claim does: what
// is due, what a pause holds back, when to wake next, what is in flight.
func testSchedulerReads(t *testing.T, h Harness) {
	e := newEnv(t, h)
	run, lease, err := e.s.NextWake(e.ctx, T0)
	if err != nil || run != nil || lease != nil {
		t.Fatalf("NextWake of an empty calendar: %v %v %v", run, lease, err)
	}
	e.channel("a", nil)
	e.channel("b", nil)
	e.post("due", calendar.StatusScheduled, at(T0.Add(-time.Minute)), "a")
	e.post("later", calendar.StatusScheduled, at(T0.Add(time.Hour)), "a")
	e.post("on-b", calendar.StatusScheduled, at(T0.Add(-2*time.Minute)), "b")
	e.post("draft", calendar.StatusDraft, at(T0.Add(-time.Minute)), "a")

	dueSlugs := func() []string {
		t.Helper()
		got, err := e.s.DueDeliveries(e.ctx, T0, 0)
		wantErr(t, "DueDeliveries", err, nil)
		out := []string{}
		for _, d := range got {
			out = append(out, d.Slug+"@"+d.Channel)
		}
		return out
	}
	wake := func(wantRun, wantLease *time.Time) {
		t.Helper()
		run, lease, err := e.s.NextWake(e.ctx, T0)
		wantErr(t, "NextWake", err, nil)
		if !sameTime(run, wantRun) || !sameTime(lease, wantLease) {
			t.Errorf("NextWake: run %s lease %s, want run %s lease %s", timeText(run), timeText(lease), timeText(wantRun), timeText(wantLease))
		}
	}

	if got := dueSlugs(); !reflect.DeepEqual(got, []string{"on-b@b", "due@a"}) {
		t.Errorf("due, oldest first: %v", got)
	}
	wake(at(T0.Add(-2*time.Minute)), nil)
	sum, err := e.s.DeliverySummary(e.ctx, T0)
	wantErr(t, "DeliverySummary", err, nil)
	if sum.Counts[calendar.DeliveryPending] != 4 || sum.Overdue != 2 || sum.Inflight != 0 || !sameTime(sum.NextDue, at(T0.Add(-2*time.Minute))) {
		t.Errorf("summary %+v", sum)
	}

	wantErr(t, "pause b", e.s.SetChannelPaused(e.ctx, "b", true, "rebrand"), nil)
	if got := dueSlugs(); !reflect.DeepEqual(got, []string{"due@a"}) {
		t.Errorf("due with b paused: %v", got)
	}
	held, err := e.s.HeldDeliveriesDue(e.ctx, T0, 0)
	wantErr(t, "HeldDeliveriesDue", err, nil)
	if held.KillSwitch != 0 || !reflect.DeepEqual(held.Channels, []calendar.HeldChannel{{Channel: "b", Reason: "rebrand", Due: 1}}) {
		t.Errorf("held by b's pause: %+v", held)
	}
	wake(at(T0.Add(-time.Minute)), nil)

	wantErr(t, "PauseAll", e.s.PauseAll(e.ctx, "crisis"), nil)
	if got := dueSlugs(); len(got) != 0 {
		t.Errorf("due under the kill switch: %v", got)
	}
	held, err = e.s.HeldDeliveriesDue(e.ctx, T0, 0)
	wantErr(t, "HeldDeliveriesDue", err, nil)
	if held.KillSwitch != 1 || held.KillSwitchReason != "crisis" || len(held.Channels) != 1 {
		t.Errorf("held by the kill switch: %+v", held)
	}
	wake(nil, nil)
	wantErr(t, "ResumeAll", e.s.ResumeAll(e.ctx), nil)

	d := e.claimOne("daemon", "due", "a")
	wake(at(T0.Add(time.Hour)), at(T0.Add(time.Minute)))
	sum, err = e.s.DeliverySummary(e.ctx, T0)
	wantErr(t, "DeliverySummary", err, nil)
	if sum.Counts[calendar.DeliveryPublishing] != 1 || sum.Inflight != 1 || sum.Counts[calendar.DeliveryPending] != 3 || sum.Overdue != 0 {
		t.Errorf("summary with one in flight and b paused: %+v", sum)
	}
	e.outcome(d, "daemon", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"})
	failed, err := e.s.HeldDeliveries(e.ctx, []string{calendar.DeliveryHeld, calendar.DeliveryFailed, calendar.DeliveryMissed}, 10)
	wantErr(t, "HeldDeliveries", err, nil)
	if len(failed) != 1 || failed[0].ID != d.ID || failed[0].Slug != "due" || failed[0].Status != calendar.DeliveryFailed || failed[0].LastError != "refused" {
		t.Errorf("HeldDeliveries: %+v", failed)
	}
}

// Posts filters as `post list` uses them.
func testPostFilters(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("a", nil)
	e.channel("b", nil)
	wantErr(t, "AddCampaign", e.s.AddCampaign(e.ctx, &calendar.Campaign{Name: "spring"}), nil)
	mk := func(slug, status string, when *time.Time, campaign string, tags []string, channels ...string) {
		t.Helper()
		p := calendar.Post{Slug: slug, Body: slug, Status: status, PublishAt: when, Campaign: campaign, Tags: tags, Channels: channels}
		wantErr(t, "CreatePost "+slug, e.s.CreatePost(e.ctx, &p), nil)
	}
	mk("p1", calendar.StatusScheduled, at(T0.Add(1*time.Hour)), "spring", []string{"x"}, "a")
	mk("p2", calendar.StatusScheduled, at(T0.Add(2*time.Hour)), "", []string{"y", "x"}, "b")
	mk("p3", calendar.StatusScheduled, at(T0.Add(3*time.Hour)), "spring", nil, "a", "b")
	mk("p4", calendar.StatusDraft, nil, "", []string{"xy"}, "a")
	tests := []struct {
		name string
		f    calendar.PostFilter
		want []string
	}{
		{"all", calendar.PostFilter{}, nil},
		{"status", calendar.PostFilter{Status: []string{calendar.StatusDraft}}, []string{"p4"}},
		{"channel", calendar.PostFilter{Channel: "b"}, []string{"p2", "p3"}},
		{"campaign", calendar.PostFilter{Campaign: "spring"}, []string{"p1", "p3"}},
		{"tag", calendar.PostFilter{Tag: "x"}, []string{"p1", "p2"}},
		{"from-to", calendar.PostFilter{From: at(T0.Add(2 * time.Hour)), To: at(T0.Add(3 * time.Hour))}, []string{"p2"}},
		{"limit-offset", calendar.PostFilter{Status: []string{calendar.StatusScheduled}, Limit: 1, Offset: 1}, []string{"p2"}},
	}
	for _, tt := range tests {
		got, err := e.s.Posts(e.ctx, tt.f)
		wantErr(t, "Posts "+tt.name, err, nil)
		var slugs []string
		for _, p := range got {
			slugs = append(slugs, p.Slug)
		}
		if tt.want == nil {
			if len(slugs) != 4 {
				t.Errorf("%s: %v", tt.name, slugs)
			}
			continue
		}
		if !reflect.DeepEqual(slugs, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, slugs, tt.want)
		}
	}
}
