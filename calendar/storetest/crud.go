package storetest

import (
	"errors"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

func testChannels(t *testing.T, h Harness) {
	t.Run("add-get-list", func(t *testing.T) {
		e := newEnv(t, h)
		c := e.channel("acme-b", func(c *calendar.Channel) {
			c.Settings = map[string]string{"instance": "https://example.social"}
			c.TZ = "Europe/Paris"
			c.RequireApproval = true
			c.RatePerMinute = 3
		})
		if c.ID == 0 {
			t.Fatal("AddChannel gave no id")
		}
		e.channel("acme-a", nil)
		got, err := e.s.Channel(e.ctx, "acme-b")
		wantErr(t, "Channel", err, nil)
		if got.ID != c.ID || got.Network != "log" || got.Settings["instance"] != "https://example.social" || got.TZ != "Europe/Paris" ||
			!got.RequireApproval || got.RatePerMinute != 3 || got.MaxLateness != time.Hour || got.Paused {
			t.Errorf("read back %+v", got)
		}
		byID, err := e.s.ChannelByID(e.ctx, c.ID)
		wantErr(t, "ChannelByID", err, nil)
		if !reflect.DeepEqual(byID, got) {
			t.Errorf("by id %+v, by name %+v", byID, got)
		}
		all, err := e.s.Channels(e.ctx)
		wantErr(t, "Channels", err, nil)
		if len(all) != 2 || all[0].Name != "acme-a" || all[1].Name != "acme-b" {
			t.Errorf("Channels: %v", all)
		}
	})
	t.Run("refused", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		dup := calendar.Channel{Name: "acme", Network: "mastodon"}
		wantErr(t, "a duplicate name", e.s.AddChannel(e.ctx, &dup), calendar.ErrConflict)
		wantInvalid(t, "a bad name", e.s.AddChannel(e.ctx, &calendar.Channel{Name: "Not A Name", Network: "log"}), "name")
		if got, _ := e.s.Channel(e.ctx, "acme"); got.Network != "log" {
			t.Errorf("a refused duplicate changed the channel: %+v", got)
		}
		if all, _ := e.s.Channels(e.ctx); len(all) != 1 {
			t.Errorf("refused adds left %d channels", len(all))
		}
		_, err := e.s.Channel(e.ctx, "nosuch")
		wantErr(t, "Channel nosuch", err, calendar.ErrNotFound)
		_, err = e.s.ChannelByID(e.ctx, 9999)
		wantErr(t, "ChannelByID 9999", err, calendar.ErrNotFound)
		wantErr(t, "UpdateChannel of no channel", e.s.UpdateChannel(e.ctx, &calendar.Channel{ID: 9999, Name: "ghost"}), calendar.ErrNotFound)
		wantErr(t, "RemoveChannel nosuch", e.s.RemoveChannel(e.ctx, "nosuch", true), calendar.ErrNotFound)
	})
	t.Run("update", func(t *testing.T) {
		e := newEnv(t, h)
		c := e.channel("acme", nil)
		c.Settings = map[string]string{"page": "42"}
		c.TZ = "America/New_York"
		c.MaxLateness = 2 * time.Hour
		c.RatePerDay = 10
		wantErr(t, "UpdateChannel", e.s.UpdateChannel(e.ctx, &c), nil)
		got, _ := e.s.Channel(e.ctx, "acme")
		if got.Settings["page"] != "42" || got.TZ != "America/New_York" || got.MaxLateness != 2*time.Hour || got.RatePerDay != 10 {
			t.Errorf("read back %+v", got)
		}
	})
	t.Run("remove", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.channel("other", nil)
		e.post("only-here", calendar.StatusScheduled, at(T0.Add(time.Hour)), "acme")
		e.post("both", calendar.StatusScheduled, at(T0.Add(time.Hour)), "acme", "other")
		before := postState(e.get("only-here"))
		// Pending deliveries: refused without force, and nothing changes.
		wantErr(t, "RemoveChannel with pending deliveries", e.s.RemoveChannel(e.ctx, "acme", false), calendar.ErrConflict)
		if _, err := e.s.Channel(e.ctx, "acme"); err != nil {
			t.Fatalf("a refused removal removed the channel: %v", err)
		}
		if after := postState(e.get("only-here")); after != before {
			t.Errorf("a refused removal changed a post:\n%s\nvs\n%s", before, after)
		}
		wantErr(t, "RemoveChannel --force", e.s.RemoveChannel(e.ctx, "acme", true), nil)
		_, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel after removal", err, calendar.ErrNotFound)
		if p := e.get("only-here"); p.Status != calendar.StatusDraft || len(p.Deliveries) != 0 {
			t.Errorf("a post left with no channel: %s", postState(p))
		}
		if p := e.get("both"); p.Status != calendar.StatusScheduled || !reflect.DeepEqual(p.Channels, []string{"other"}) {
			t.Errorf("a post kept on its other channel: %s", postState(p))
		}
	})
	t.Run("remove-in-flight", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "acme")
		e.claimOne("me", "p", "acme")
		wantErr(t, "RemoveChannel while publishing", e.s.RemoveChannel(e.ctx, "acme", true), calendar.ErrConflict)
		if _, err := e.s.Channel(e.ctx, "acme"); err != nil {
			t.Fatalf("the channel of a delivery in flight was removed: %v", err)
		}
	})
}

func testCampaigns(t *testing.T, h Harness) {
	e := newEnv(t, h)
	c := calendar.Campaign{Name: "winter", StartsOn: "2026-12-01", EndsOn: "2026-12-31", UTM: map[string]string{"utm_campaign": "winter"}, Color: "blue"}
	wantErr(t, "AddCampaign", e.s.AddCampaign(e.ctx, &c), nil)
	if c.ID == 0 {
		t.Error("AddCampaign gave no id")
	}
	wantErr(t, "AddCampaign spring", e.s.AddCampaign(e.ctx, &calendar.Campaign{Name: "spring", StartsOn: "2026-04-01"}), nil)
	got, err := e.s.Campaign(e.ctx, "winter")
	wantErr(t, "Campaign", err, nil)
	if got.ID != c.ID || got.StartsOn != "2026-12-01" || got.EndsOn != "2026-12-31" || got.UTM["utm_campaign"] != "winter" || got.Color != "blue" || got.Posts != 0 {
		t.Errorf("read back %+v", got)
	}
	wantErr(t, "a duplicate campaign", e.s.AddCampaign(e.ctx, &calendar.Campaign{Name: "winter"}), calendar.ErrConflict)
	wantInvalid(t, "a campaign ending before it starts", e.s.AddCampaign(e.ctx, &calendar.Campaign{Name: "back", StartsOn: "2026-05-02", EndsOn: "2026-05-01"}), "to")
	_, err = e.s.Campaign(e.ctx, "back")
	wantErr(t, "Campaign of a refused add", err, calendar.ErrNotFound)
	if got, _ := e.s.Campaign(e.ctx, "winter"); got.EndsOn != "2026-12-31" {
		t.Errorf("a refused duplicate changed the campaign: %+v", got)
	}
	all, err := e.s.Campaigns(e.ctx)
	wantErr(t, "Campaigns", err, nil)
	if len(all) != 2 || all[0].Name != "spring" || all[1].Name != "winter" {
		t.Errorf("Campaigns by start: %v", all)
	}
	e.channel("acme", nil)
	p := calendar.Post{Slug: "in-winter", Body: "x", Campaign: "winter", Status: calendar.StatusDraft, Channels: []string{"acme"}}
	wantErr(t, "CreatePost in a campaign", e.s.CreatePost(e.ctx, &p), nil)
	if got, _ := e.s.Campaign(e.ctx, "winter"); got.Posts != 1 {
		t.Errorf("campaign counts %d posts, want 1", got.Posts)
	}
	if got := e.get("in-winter"); got.Campaign != "winter" {
		t.Errorf("post's campaign %q", got.Campaign)
	}
}

func testSlots(t *testing.T, h Harness) {
	e := newEnv(t, h)
	e.channel("acme", nil)
	e.channel("other", nil)
	sl, err := e.s.AddSlot(e.ctx, "acme", "mon-fri 09:00")
	wantErr(t, "AddSlot", err, nil)
	if sl.ID == 0 || sl.Channel != "acme" {
		t.Errorf("AddSlot returned %+v", sl)
	}
	_, err = e.s.AddSlot(e.ctx, "other", "0 12 * * *")
	wantErr(t, "AddSlot other", err, nil)
	got, err := e.s.Slots(e.ctx, "acme")
	wantErr(t, "Slots", err, nil)
	if len(got) != 1 || got[0].ID != sl.ID || got[0].Spec != "mon-fri 09:00" || got[0].Cron != sl.Cron || got[0].Cron == "" {
		t.Errorf("Slots(acme) %+v, added %+v", got, sl)
	}
	if all, _ := e.s.Slots(e.ctx, ""); len(all) != 2 {
		t.Errorf("Slots() lists %d, want 2", len(all))
	}
	_, err = e.s.AddSlot(e.ctx, "acme", "mon-fri 09:00")
	wantErr(t, "the same slot twice", err, calendar.ErrConflict)
	_, err = e.s.AddSlot(e.ctx, "acme", "someday 25:00")
	wantInvalid(t, "a bad slot spec", err, "spec")
	_, err = e.s.AddSlot(e.ctx, "nosuch", "0 9 * * *")
	wantErr(t, "a slot on no channel", err, calendar.ErrNotFound)
	_, err = e.s.Slots(e.ctx, "nosuch")
	wantErr(t, "Slots of no channel", err, calendar.ErrNotFound)
	if got, _ := e.s.Slots(e.ctx, "acme"); len(got) != 1 {
		t.Errorf("refused adds left %d slots on acme", len(got))
	}
	wantErr(t, "RemoveSlot", e.s.RemoveSlot(e.ctx, sl.ID), nil)
	if got, _ := e.s.Slots(e.ctx, "acme"); len(got) != 0 {
		t.Errorf("a removed slot is still listed: %+v", got)
	}
	wantErr(t, "RemoveSlot twice", e.s.RemoveSlot(e.ctx, sl.ID), calendar.ErrNotFound)
}

func testPosts(t *testing.T, h Harness) {
	t.Run("create-read", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.channel("other", nil)
		when := T0.Add(24 * time.Hour)
		p := calendar.Post{Slug: "launch", Title: "Launch", Body: "We launch", Link: "https://example.com/launch",
			Tags: []string{"news", "launch"}, Channels: []string{"acme", "other"}, Variants: map[string]string{"other": "Other text"},
			Media: []calendar.Media{{Path: "/tmp/a.png", Alt: "A picture"}}, Status: calendar.StatusScheduled, PublishAt: &when}
		wantErr(t, "CreatePost", e.s.CreatePost(e.ctx, &p), nil)
		if p.ID == 0 {
			t.Fatal("CreatePost gave no id")
		}
		bySlug := e.get("launch")
		byID := e.get(itoa(p.ID))
		if !reflect.DeepEqual(bySlug, byID) {
			t.Errorf("by slug and by id differ:\n%+v\n%+v", bySlug, byID)
		}
		got := bySlug
		if got.ID != p.ID || got.Title != "Launch" || got.Body != "We launch" || got.Link != "https://example.com/launch" ||
			!reflect.DeepEqual(got.Tags, []string{"news", "launch"}) || got.Variants["other"] != "Other text" ||
			!reflect.DeepEqual(got.Media, p.Media) || got.Status != calendar.StatusScheduled || !sameTime(got.PublishAt, &when) ||
			got.Version != 1 || got.Author != Actor {
			t.Errorf("read back %+v", got)
		}
		if !reflect.DeepEqual(got.Channels, []string{"acme", "other"}) || len(got.Deliveries) != 2 {
			t.Fatalf("channels %v, deliveries %d", got.Channels, len(got.Deliveries))
		}
		for _, d := range got.Deliveries {
			if d.Status != calendar.DeliveryPending || !sameTime(d.DueAt, &when) || !sameTime(d.RunAt, &when) || d.IdempotencyKey == "" {
				t.Errorf("delivery %+v", d)
			}
		}
		list, err := e.s.Posts(e.ctx, calendar.PostFilter{Status: []string{calendar.StatusScheduled}})
		wantErr(t, "Posts", err, nil)
		if len(list) != 1 || list[0].ID != p.ID {
			t.Errorf("Posts(scheduled) %v", list)
		}
		if list, _ := e.s.Posts(e.ctx, calendar.PostFilter{Status: []string{calendar.StatusDraft}}); len(list) != 0 {
			t.Errorf("Posts(draft) %v", list)
		}
		_, err = e.s.Post(e.ctx, "nosuch")
		wantErr(t, "Post nosuch", err, calendar.ErrNotFound)
		_, err = e.s.Post(e.ctx, "99999")
		wantErr(t, "Post 99999", err, calendar.ErrNotFound)
	})
	t.Run("create-refused", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("taken", calendar.StatusDraft, nil, "acme")
		before := postState(e.get("taken"))
		tests := []struct {
			name   string
			post   calendar.Post
			target error
			field  string
		}{
			{"a slug taken", calendar.Post{Slug: "taken", Body: "again", Status: calendar.StatusDraft}, calendar.ErrConflict, ""},
			{"an unknown channel", calendar.Post{Slug: "nochan", Body: "x", Status: calendar.StatusDraft, Channels: []string{"nosuch"}}, nil, "channels"},
			{"an unknown campaign", calendar.Post{Slug: "nocamp", Body: "x", Status: calendar.StatusDraft, Campaign: "nosuch"}, nil, "campaign"},
			{"a bad slug", calendar.Post{Slug: "Bad Slug", Body: "x", Status: calendar.StatusDraft}, nil, "slug"},
			{"scheduled on no channel", calendar.Post{Slug: "nowhere", Body: "x", Status: calendar.StatusScheduled, PublishAt: at(T0.Add(time.Hour))}, nil, "channels"},
			{"a link that is no web address", calendar.Post{Slug: "badlink", Body: "x", Status: calendar.StatusDraft, Link: "ftp://x"}, nil, "link"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := tt.post
				err := e.s.CreatePost(e.ctx, &p)
				if tt.field != "" {
					wantInvalid(t, "CreatePost", err, tt.field)
				} else {
					wantErr(t, "CreatePost", err, tt.target)
				}
				if tt.post.Slug != "taken" {
					_, err := e.s.Post(e.ctx, tt.post.Slug)
					wantErr(t, "Post of a refused create", err, calendar.ErrNotFound)
				}
			})
		}
		if after := postState(e.get("taken")); after != before {
			t.Errorf("a refused create changed the post holding its slug:\n%s\nvs\n%s", before, after)
		}
		if all, _ := e.s.Posts(e.ctx, calendar.PostFilter{}); len(all) != 1 {
			t.Errorf("refused creates left %d posts", len(all))
		}
	})
	t.Run("update", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.channel("other", nil)
		p := e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "acme")
		kept := p.Deliveries[0]
		later := T0.Add(2 * time.Hour)
		p.Title, p.Body, p.Tags = "New title", "New body", []string{"t"}
		p.Channels = []string{"acme", "other"}
		p.PublishAt = &later
		wantErr(t, "UpdatePost", e.s.UpdatePost(e.ctx, &p), nil)
		got := e.get("p")
		if got.Version != 2 || got.Title != "New title" || got.Body != "New body" || !reflect.DeepEqual(got.Tags, []string{"t"}) ||
			!sameTime(got.PublishAt, &later) || got.Status != calendar.StatusScheduled {
			t.Errorf("read back %s", postState(got))
		}
		if len(got.Deliveries) != 2 {
			t.Fatalf("deliveries after adding a channel: %s", postState(got))
		}
		for _, d := range got.Deliveries {
			if !sameTime(d.DueAt, &later) || !sameTime(d.RunAt, &later) {
				t.Errorf("delivery not re-timed: %+v", d)
			}
			if d.Channel == "acme" && (d.ID != kept.ID || d.IdempotencyKey != kept.IdempotencyKey) {
				t.Errorf("the kept channel's delivery was replaced: %+v, was %+v", d, kept)
			}
		}
		// Dropping a channel drops its pending delivery.
		got.Channels = []string{"other"}
		wantErr(t, "UpdatePost dropping a channel", e.s.UpdatePost(e.ctx, &got), nil)
		if again := e.get("p"); !reflect.DeepEqual(again.Channels, []string{"other"}) || len(again.Deliveries) != 1 || again.Version != 3 {
			t.Errorf("after dropping acme: %s", postState(again))
		}
		// A rename keeps the id.
		renamed := e.get("p")
		renamed.Slug = "p-renamed"
		wantErr(t, "UpdatePost renaming", e.s.UpdatePost(e.ctx, &renamed), nil)
		if got := e.get(itoa(p.ID)); got.Slug != "p-renamed" {
			t.Errorf("renamed slug %q", got.Slug)
		}
		_, err := e.s.Post(e.ctx, "p")
		wantErr(t, "Post by the old slug", err, calendar.ErrNotFound)
	})
	t.Run("edit-keeps-history", func(t *testing.T) {
		// Deliveries that went out, or whose outcome is unknown, are the
		// record of what happened: an edit dropping their channel keeps them.
		e := newEnv(t, h)
		e.channel("plain", nil)
		e.channel("held", nil)
		e.channel("other", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "plain", "held", "other")
		for _, d := range e.claim("me", T0, 10).Claimed {
			switch d.Channel {
			case "plain":
				e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1"})
			case "held":
				e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeHeld, Error: "unknown"})
			default:
				e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomeFailed, Error: "refused"})
			}
		}
		before := e.get("p")
		p := before
		p.Channels = []string{"other"}
		p.Tags = []string{"edited"}
		wantErr(t, "UpdatePost dropping channels", e.s.UpdatePost(e.ctx, &p), nil)
		after := e.get("p")
		kept := map[string]calendar.Delivery{}
		for _, d := range after.Deliveries {
			kept[d.Channel] = d
		}
		if d, ok := kept["plain"]; !ok || d.Status != calendar.DeliveryPublished || d.RemoteID != "r1" {
			t.Errorf("the published delivery after the edit: %+v (present: %v)", d, ok)
		}
		if d, ok := kept["held"]; !ok || d.Status != calendar.DeliveryHeld {
			t.Errorf("the held delivery after the edit: %+v (present: %v)", d, ok)
		}
		if !reflect.DeepEqual(after.Tags, []string{"edited"}) {
			t.Errorf("the edit was not applied: %s", postState(after))
		}
	})
	t.Run("delete", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		p := e.post("p", calendar.StatusScheduled, at(T0.Add(time.Hour)), "acme")
		wantErr(t, "DeletePost", e.s.DeletePost(e.ctx, "p"), nil)
		_, err := e.s.Post(e.ctx, "p")
		wantErr(t, "Post after delete", err, calendar.ErrNotFound)
		_, err = e.s.Delivery(e.ctx, p.Deliveries[0].ID)
		wantErr(t, "its delivery after delete", err, calendar.ErrNotFound)
		wantErr(t, "DeletePost twice", e.s.DeletePost(e.ctx, "p"), calendar.ErrNotFound)
		if r := e.claim("me", T0.Add(2*time.Hour), 10); len(r.Claimed) != 0 {
			t.Errorf("a deleted post's delivery was claimed: %v", ids(r.Claimed))
		}
	})
}

func testVersions(t *testing.T, h Harness) {
	t.Run("stale", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("p", calendar.StatusDraft, nil, "acme")
		first, stale := e.get("p"), e.get("p")
		first.Body = "first edit"
		wantErr(t, "UpdatePost", e.s.UpdatePost(e.ctx, &first), nil)
		before := postState(e.get("p"))
		stale.Body = "stale edit"
		stale.PublishAt = at(T0.Add(time.Hour))
		wantErr(t, "UpdatePost of a stale copy", e.s.UpdatePost(e.ctx, &stale), calendar.ErrConflict)
		if after := postState(e.get("p")); after != before {
			t.Errorf("a stale edit changed the post:\n%s\nvs\n%s", before, after)
		}
	})
	t.Run("every-write-bumps", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("p", calendar.StatusDraft, nil, "acme")
		steps := []struct {
			name string
			do   func() error
		}{
			{"schedule", func() error { _, err := e.s.SchedulePost(e.ctx, "p", at(T0.Add(time.Hour)), false); return err }},
			{"move", func() error { _, err := e.s.MovePost(e.ctx, "p", T0.Add(2*time.Hour), false); return err }},
			{"cancel", func() error { _, err := e.s.CancelPost(e.ctx, "p"); return err }},
		}
		for _, st := range steps {
			stale := e.get("p")
			wantErr(t, st.name, st.do(), nil)
			if got := e.get("p"); got.Version <= stale.Version {
				t.Fatalf("%s left version %d", st.name, got.Version)
			}
			stale.Body = "stale after " + st.name
			wantErr(t, "an edit read before "+st.name, e.s.UpdatePost(e.ctx, &stale), calendar.ErrConflict)
		}
	})
	t.Run("stale-after-publication", func(t *testing.T) {
		// A publication changes the post (its status): a copy read before
		// it is stale, even for a change a published post allows (tags).
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("p", calendar.StatusScheduled, at(T0), "acme")
		stale := e.get("p")
		d := e.claimOne("me", "p", "acme")
		e.outcome(d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r"})
		before := postState(e.get("p"))
		stale.Tags = []string{"after"}
		wantErr(t, "an edit read before the publication", e.s.UpdatePost(e.ctx, &stale), calendar.ErrConflict)
		if after := postState(e.get("p")); after != before {
			t.Errorf("a stale edit changed a published post:\n%s\nvs\n%s", before, after)
		}
		fresh := e.get("p")
		fresh.Tags = []string{"after"}
		wantErr(t, "a fresh edit of a published post's tags", e.s.UpdatePost(e.ctx, &fresh), nil)
		if got := e.get("p"); got.Status != calendar.StatusPublished || len(got.Tags) != 1 {
			t.Errorf("after tagging a published post: %s tags %v", postState(got), got.Tags)
		}
	})
	t.Run("slug-taken", func(t *testing.T) {
		e := newEnv(t, h)
		e.channel("acme", nil)
		e.post("a", calendar.StatusDraft, nil, "acme")
		e.post("b", calendar.StatusDraft, nil, "acme")
		b := e.get("b")
		before := postState(b)
		b.Slug, b.Body = "a", "renamed onto a"
		wantErr(t, "a rename onto a taken slug", e.s.UpdatePost(e.ctx, &b), calendar.ErrConflict)
		if after := postState(e.get("b")); after != before {
			t.Errorf("a refused rename changed the post:\n%s\nvs\n%s", before, after)
		}
		if a := e.get("a"); a.Body != "Body of a" {
			t.Errorf("a refused rename changed the post holding the slug: %q", a.Body)
		}
	})
	t.Run("two-handles-race", func(t *testing.T) {
		e := newEnv(t, h)
		other := e.second()
		e.channel("acme", nil)
		e.post("p", calendar.StatusDraft, nil, "acme")
		const writers = 6
		var wg sync.WaitGroup
		errs := make([]error, writers)
		copies := make([]calendar.Post, writers)
		for i := range copies {
			copies[i] = e.get("p")
			copies[i].Body = "edit " + itoa(int64(i))
		}
		for i := range writers {
			st := e.s
			if i%2 == 1 {
				st = other
			}
			wg.Go(func() { errs[i] = st.UpdatePost(e.ctx, &copies[i]) })
		}
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Errorf("edits %d and %d of one version both succeeded", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, calendar.ErrConflict):
				t.Errorf("edit %d: %v, want a conflict", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no edit succeeded")
		}
		if got := e.get("p"); got.Body != copies[won].Body || got.Version != 2 {
			t.Errorf("read back %s, the winner wrote %q", postState(got), copies[won].Body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
