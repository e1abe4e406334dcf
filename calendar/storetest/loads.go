package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// loadRows is a load of n posts on channel "a" (and campaign "spring"),
// as a load file's reader gives it; edit changes the items before use.
func loadRows(n int, edit func(items []calendar.LoadItem)) *calendar.LoadSet {
	set := &calendar.LoadSet{}
	for i := range n {
		it := calendar.LoadItem{File: "plan.csv", Line: i + 2, Row: i + 1, Slug: fmt.Sprintf("row-%02d", i),
			At: fmt.Sprintf("2026-03-%02d 09:00", 10+i), Title: fmt.Sprintf("Row %d", i), Body: fmt.Sprintf("Body %d", i),
			Channels: []string{"a"}, Campaign: "spring", Tags: []string{"t"}}
		if i%3 == 2 {
			it.At, it.Status = "", calendar.StatusDraft
		}
		set.Items = append(set.Items, it)
	}
	if edit != nil {
		edit(set.Items)
	}
	return set
}

var loadOpts = calendar.LoadOptions{Zone: time.UTC}

// calendarState is everything a load may write, read back through the
// store: posts with their deliveries, and campaigns.
func calendarState(t *testing.T, e *env) string {
	t.Helper()
	posts, err := e.s.Posts(e.ctx, calendar.PostFilter{})
	wantErr(t, "Posts", err, nil)
	var b strings.Builder
	for _, p := range posts {
		fmt.Fprintf(&b, "post %d %s %s tags=%v campaign=%s updated=%s\n", p.ID, p.Slug, postState(p), p.Tags, p.Campaign, p.UpdatedAt.UTC().Format(time.RFC3339Nano))
		for _, d := range p.Deliveries {
			fmt.Fprintf(&b, "  key %d %s\n", d.ID, d.IdempotencyKey)
		}
	}
	camps, err := e.s.Campaigns(e.ctx)
	wantErr(t, "Campaigns", err, nil)
	for _, c := range camps {
		fmt.Fprintf(&b, "campaign %d %s %s-%s %v posts=%d\n", c.ID, c.Name, c.StartsOn, c.EndsOn, c.UTM, c.Posts)
	}
	return b.String()
}

func testLoads(t *testing.T, h Harness) {
	t.Run("creates", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		res, err := e.s.Load(e.ctx, loadRows(6, nil), loadOpts)
		wantErr(t, "Load", err, nil)
		if res.Created != 6 || res.Updated != 0 || res.Unchanged != 0 || res.CampaignsCreated != 1 {
			t.Errorf("first load: %+v", res)
		}
		posts, _ := e.s.Posts(e.ctx, calendar.PostFilter{})
		if len(posts) != 6 {
			t.Fatalf("%d posts after loading 6", len(posts))
		}
		p := e.get("row-00")
		want := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
		if p.Status != calendar.StatusScheduled || !sameTime(p.PublishAt, &want) || p.Campaign != "spring" || p.Body != "Body 0" ||
			len(p.Deliveries) != 1 || !sameTime(p.Deliveries[0].RunAt, &want) || p.Version != 1 {
			t.Errorf("a loaded post read back %s", postState(p))
		}
		if d := e.get("row-02"); d.Status != calendar.StatusDraft || d.PublishAt != nil {
			t.Errorf("a loaded draft read back %s", postState(d))
		}
		if c, err := e.s.Campaign(e.ctx, "spring"); err != nil || c.Posts != 6 {
			t.Errorf("campaign created by the load: %+v, %v", c, err)
		}
		// What a load creates, the claim takes like any post.
		if r := e.claim("me", want, 10); len(r.Claimed) != 1 || r.Claimed[0].ID != p.Deliveries[0].ID {
			t.Errorf("at row-00's time, claimed %v", ids(r.Claimed))
		}
	})
	t.Run("atomic", func(t *testing.T) {
		tests := []struct {
			name   string
			bad    func(it *calendar.LoadItem)
			target string // "validation" or "conflict"
		}{
			{"unknown channel", func(it *calendar.LoadItem) { it.Channels = []string{"nosuch"} }, "validation"},
			{"bad time", func(it *calendar.LoadItem) { it.At = "2026-13-45 09:00" }, "validation"},
			{"past time", func(it *calendar.LoadItem) { it.At = "2020-01-01 09:00" }, "validation"},
			{"slug twice", func(it *calendar.LoadItem) { it.Slug = "row-00" }, "conflict"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, h)
				e.channel("a", nil)
				_, err := e.s.Load(e.ctx, loadRows(3, nil), loadOpts)
				wantErr(t, "first load", err, nil)
				before := calendarState(t, e)
				// New rows, an edited row, and one bad row: nothing is written.
				set := loadRows(8, func(items []calendar.LoadItem) {
					items[1].Body = "edited"
					tt.bad(&items[6])
				})
				set.Campaigns = append(set.Campaigns, calendar.LoadCampaign{Campaign: calendar.Campaign{Name: "autumn", StartsOn: "2026-09-01"}, Full: true, File: "plan.csv", Line: 1})
				res, err := e.s.Load(e.ctx, set, loadOpts)
				var ve *calendar.ValidationError
				switch tt.target {
				case "validation":
					if !errors.As(err, &ve) {
						t.Fatalf("error %v, want a validation error", err)
					}
				case "conflict":
					if !errors.Is(err, calendar.ErrConflict) && !errors.As(err, &ve) {
						t.Fatalf("error %v, want a conflict", err)
					}
				}
				if res.Created+res.Updated != 0 {
					t.Errorf("a failed load reports %d created, %d updated", res.Created, res.Updated)
				}
				found := false
				for _, p := range res.Errors {
					if p.File == "plan.csv" && p.Line == 8 {
						found = true
					}
				}
				if !found {
					t.Errorf("no error names plan.csv:8: %v", res.Errors)
				}
				if after := calendarState(t, e); after != before {
					t.Errorf("a failed load wrote:\n%s\nvs\n%s", before, after)
				}
			})
		}
	})
	t.Run("dry-run", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		_, err := e.s.Load(e.ctx, loadRows(2, nil), loadOpts)
		wantErr(t, "first load", err, nil)
		before := calendarState(t, e)
		opt := loadOpts
		opt.DryRun = true
		res, err := e.s.Load(e.ctx, loadRows(5, func(items []calendar.LoadItem) { items[0].Body = "edited" }), opt)
		wantErr(t, "dry run", err, nil)
		if res.Created != 3 || res.Updated != 1 || res.Unchanged != 1 || !res.DryRun {
			t.Errorf("dry run says %+v", res)
		}
		if after := calendarState(t, e); after != before {
			t.Errorf("a dry run wrote:\n%s\nvs\n%s", before, after)
		}
	})
	t.Run("idempotent", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		_, err := e.s.Load(e.ctx, loadRows(6, nil), loadOpts)
		wantErr(t, "first load", err, nil)
		before := calendarState(t, e)
		e.clk.Advance(time.Hour) // a rewrite would show in updated_at
		res, err := e.s.Load(e.ctx, loadRows(6, nil), loadOpts)
		wantErr(t, "second load", err, nil)
		if res.Created != 0 || res.Updated != 0 || res.Unchanged != 6 || res.CampaignsCreated+res.CampaignsUpdated != 0 {
			t.Errorf("the same load again: %+v", res)
		}
		if after := calendarState(t, e); after != before {
			t.Errorf("an unchanged load wrote:\n%s\nvs\n%s", before, after)
		}
	})
	t.Run("edited-row", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		_, err := e.s.Load(e.ctx, loadRows(6, nil), loadOpts)
		wantErr(t, "first load", err, nil)
		before := map[string]calendar.Post{}
		posts, _ := e.s.Posts(e.ctx, calendar.PostFilter{})
		for _, p := range posts {
			before[p.Slug] = p
		}
		e.clk.Advance(time.Hour)
		newAt := time.Date(2026, 3, 25, 10, 0, 0, 0, time.UTC)
		res, err := e.s.Load(e.ctx, loadRows(6, func(items []calendar.LoadItem) {
			items[3].Body = "Body 3, edited"
			items[3].At = "2026-03-25 10:00"
		}), loadOpts)
		wantErr(t, "load with one edited row", err, nil)
		if res.Created != 0 || res.Updated != 1 || res.Unchanged != 5 {
			t.Errorf("one edited row: %+v", res)
		}
		posts, _ = e.s.Posts(e.ctx, calendar.PostFilter{})
		if len(posts) != 6 {
			t.Fatalf("%d posts after the edit load", len(posts))
		}
		for _, p := range posts {
			old := before[p.Slug]
			if p.Slug != "row-03" {
				if postState(p) != postState(old) || !p.UpdatedAt.Equal(old.UpdatedAt) {
					t.Errorf("%s changed though its row did not:\n%s\nvs\n%s", p.Slug, postState(old), postState(p))
				}
				continue
			}
			if p.ID != old.ID || p.Version != old.Version+1 || p.Body != "Body 3, edited" || !sameTime(p.PublishAt, &newAt) ||
				len(p.Deliveries) != 1 || p.Deliveries[0].ID != old.Deliveries[0].ID || !sameTime(p.Deliveries[0].RunAt, &newAt) ||
				p.Deliveries[0].IdempotencyKey != old.Deliveries[0].IdempotencyKey {
				t.Errorf("the edited row read back:\n%s\nwas\n%s", postState(p), postState(old))
			}
			if !reflect.DeepEqual(p.Tags, old.Tags) || p.Campaign != old.Campaign {
				t.Errorf("the edit load changed what its row kept: tags %v, campaign %s", p.Tags, p.Campaign)
			}
		}
	})
	t.Run("published-conflict", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("a", nil)
		e.clk.Set(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
		_, err := e.s.Load(e.ctx, loadRows(3, func(items []calendar.LoadItem) { items[0].At = "2026-03-10 09:00" }), loadOpts)
		wantErr(t, "first load", err, nil)
		d := e.claimOne("me", "row-00", "a")
		e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r"})
		before := calendarState(t, e)
		_, err = e.s.Load(e.ctx, loadRows(3, func(items []calendar.LoadItem) {
			items[0].At = "2026-03-10 09:00"
			items[0].Body = "changed after it went out"
		}), calendar.LoadOptions{Zone: time.UTC, AllowPast: true})
		wantErr(t, "a load changing a published post", err, calendar.ErrConflict)
		if after := calendarState(t, e); after != before {
			t.Errorf("a conflicted load wrote:\n%s\nvs\n%s", before, after)
		}
	})
}
