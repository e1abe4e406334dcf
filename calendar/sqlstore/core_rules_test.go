package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A channel without its own zone has its slots read in the calendar's zone
// (Store.Zone), else UTC: never the machine's zone.
func TestQueueReadsSlotsInTheCalendarZone(t *testing.T) {
	ctx := context.Background()
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		zone   *time.Location
		chanTZ string
		want   time.Time
	}{
		{"calendar zone", kolkata, "", time.Date(2026, 12, 1, 4, 30, 0, 0, time.UTC)},
		{"no zone at all is UTC", nil, "", time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)},
		{"channel zone wins", kolkata, "America/New_York", time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, now)
			s.Zone = tc.zone
			addChannel(t, s, "a", tc.chanTZ, false)
			if _, err := s.AddSlot(ctx, "a", "daily 10:00"); err != nil {
				t.Fatal(err)
			}
			p := &calendar.Post{Body: "x", Channels: []string{"a"}}
			if err := s.CreatePost(ctx, p); err != nil {
				t.Fatal(err)
			}
			q, err := s.SchedulePost(ctx, p.Slug, nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if !q.PublishAt.Equal(tc.want) {
				t.Errorf("queued at %v, want %v", q.PublishAt.UTC(), tc.want)
			}
		})
	}
}

func TestTimedPostNeedsAChannel(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	at := t0.Add(2 * time.Hour)
	p := &calendar.Post{Body: "x", Status: calendar.StatusScheduled, PublishAt: &at}
	err := s.CreatePost(ctx, p)
	var ve *calendar.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "no channel") {
		t.Fatalf("scheduled without channel: err = %v, want a validation error", err)
	}
	// No status and a time: meant to go out (InitialStatus, as in a load),
	// so it too needs a channel.
	n := &calendar.Post{Body: "x", PublishAt: &at}
	if err := s.CreatePost(ctx, n); !errors.As(err, &ve) {
		t.Fatalf("a timed post with no status and no channel: err = %v, want a validation error", err)
	}
	d := &calendar.Post{Body: "idea", Status: calendar.StatusDraft, PublishAt: &at}
	if err := s.CreatePost(ctx, d); err != nil {
		t.Fatalf("a draft with a time and no channel: %v", err)
	}
}

func TestRemoveChannelSaysWhatBecomesOfItsPosts(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "a", "", false)
	addChannel(t, s, "b", "", false)
	at := t0.Add(time.Hour)
	for _, p := range []*calendar.Post{
		{Slug: "only-a", Body: "1", Channels: []string{"a"}, Status: calendar.StatusScheduled, PublishAt: &at},
		{Slug: "both", Body: "2", Channels: []string{"a", "b"}, Status: calendar.StatusScheduled, PublishAt: &at},
	} {
		if err := s.CreatePost(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.RemoveChannelReport(ctx, "a", false)
	if !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "only-a") || !strings.Contains(err.Error(), "draft") {
		t.Fatalf("without force: err = %v", err)
	}
	r, err := s.RemoveChannelReport(ctx, "a", true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Drafted, ",") != "only-a" || strings.Join(r.Kept, ",") != "both" || r.Pending != 2 {
		t.Fatalf("removal = %+v", r)
	}
	p, _ := s.Post(ctx, "only-a")
	if p.Status != calendar.StatusDraft || p.PublishAt == nil || !p.PublishAt.Equal(at) {
		t.Errorf("only-a: %s at %v, want a draft keeping its time", p.Status, p.PublishAt)
	}
	p, _ = s.Post(ctx, "both")
	if p.Status != calendar.StatusScheduled || strings.Join(p.Channels, ",") != "b" {
		t.Errorf("both: %s on %v, want scheduled on b", p.Status, p.Channels)
	}
}

// An edit that lands after a delivery was claimed is refused whole.
func TestEditAfterClaimIsRefused(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimChannel(t, s, "b", nil)
	claimPost(t, s, "p", c0, "a", "b")
	r := claim(t, s, "d1", c0, 1)
	if len(r.Claimed) != 1 {
		t.Fatalf("claimed %d", len(r.Claimed))
	}
	p, err := s.Post(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	p.Body = "new text"
	err = s.UpdatePost(ctx, &p)
	if !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "already being published on "+r.Claimed[0].Channel+";") || !strings.Contains(err.Error(), "not applied") {
		t.Fatalf("err = %v", err)
	}
	got, _ := s.Post(ctx, "p")
	if got.Body != "p" {
		t.Errorf("body = %q: the edit was half applied", got.Body)
	}
}

// Posts left scheduled with no channel by an earlier crieur become drafts.
func TestMigrationDraftsChannellessPosts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO posts (slug, title, body, link, excerpt, author, tags, thread, status, publish_at, queued,
		approved_by, source, content_hash, version, created_at, updated_at)
		VALUES ('lost', '', 'x', '', '', 'a', '[]', '[]', 'scheduled', 1, 0, '', '', '', 1, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM goose_db_version WHERE version_id = 500; PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.Post(ctx, "lost")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != calendar.StatusDraft || p.PublishAt == nil {
		t.Errorf("status %s at %v, want a draft keeping its time", p.Status, p.PublishAt)
	}
}

// An edit read before the post went out and written after it was published
// everywhere is refused, not reported as applied.
func TestEditAfterPublishIsRefused(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p", c0, "a")
	stale, err := s.Post(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	r := claim(t, s, "d1", c0, 1)
	if len(r.Claimed) != 1 {
		t.Fatalf("claimed %d", len(r.Claimed))
	}
	if err := s.RecordOutcome(ctx, r.Claimed[0], "d1", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "1", PublishedAt: c0}); err != nil {
		t.Fatal(err)
	}
	cur, _ := s.Post(ctx, "p")
	if cur.Status != calendar.StatusPublished {
		t.Fatalf("status %s", cur.Status)
	}
	stale.Version, stale.Status = cur.Version, cur.Status // as if read just now: only the publication stands in the way
	stale.Body = "new text"
	err = s.UpdatePost(ctx, &stale)
	if !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "already published on a; your edit was not applied") {
		t.Fatalf("err = %v", err)
	}
	stale.Body = cur.Body
	stale.Tags = []string{"kept"}
	if err := s.UpdatePost(ctx, &stale); err != nil {
		t.Fatalf("tagging a published post: %v", err)
	}
	if got, _ := s.Post(ctx, "p"); got.Status != calendar.StatusPublished || len(got.Tags) != 1 {
		t.Errorf("after tagging: status %s, tags %v", got.Status, got.Tags)
	}
}

// A post waiting in review only for the removed channel's approval goes on.
func TestRemoveGatedChannelFreesPostsItHeld(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "gated", "", true)
	addChannel(t, s, "open", "", false)
	at := t0.Add(time.Hour)
	p := &calendar.Post{Slug: "p", Body: "x", Channels: []string{"gated", "open"}, Status: calendar.StatusScheduled, PublishAt: &at}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.Status != calendar.StatusReview {
		t.Fatalf("status %s, want review", p.Status)
	}
	if _, err := s.RemoveChannelReport(ctx, "gated", true); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Post(ctx, "p")
	if got.Status != calendar.StatusScheduled {
		t.Errorf("status %s, want scheduled on the channel left", got.Status)
	}
	runs := runAt(t, s, got.ID)
	if len(runs) != 1 || runs[0] == nil || *runs[0] != ms(at) {
		t.Errorf("run_at = %v, want the post's time", runs)
	}
}

// CreatePost checks the status a new post asks for, as a load does: only the
// daemon publishes, and a scheduled post needs a time.
func TestCreatePostRefusesStatusesANewPostCannotTake(t *testing.T) {
	ctx := context.Background()
	at := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		status string
		at     *time.Time
		want   string
	}{
		{calendar.StatusPublished, &at, "cannot be published"},
		{calendar.StatusFailed, &at, "cannot be failed"},
		{calendar.StatusScheduled, nil, "needs a time"},
		{"bogus", nil, "unknown status"},
	} {
		t.Run(tc.status, func(t *testing.T) {
			s := newTestStore(t, t0)
			addChannel(t, s, "a", "", false)
			p := &calendar.Post{Body: "x", Channels: []string{"a"}, Status: tc.status, PublishAt: tc.at}
			err := s.CreatePost(ctx, p)
			var ve *calendar.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CreatePost as %s: %v, want a validation error saying %q", tc.status, err, tc.want)
			}
			if ps, _ := s.Posts(ctx, calendar.PostFilter{}); len(ps) != 0 {
				t.Errorf("a refused post was written: %+v", ps)
			}
		})
	}
}

// A channel's own values are checked by the store on add and on edit, not
// only by the command that reads them.
func TestChannelValuesCheckedOnEveryWrite(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		set   func(c *calendar.Channel)
		field string
	}{
		{"unknown zone", func(c *calendar.Channel) { c.TZ = "Mars/Olympus" }, "tz"},
		{"negative lateness", func(c *calendar.Channel) { c.MaxLateness = -time.Minute }, "max-lateness"},
		{"negative rate per minute", func(c *calendar.Channel) { c.RatePerMinute = -1 }, "rate"},
		{"negative rate per day", func(c *calendar.Channel) { c.RatePerDay = -1 }, "rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, t0)
			c := &calendar.Channel{Name: "new", Network: "log"}
			tc.set(c)
			var ve *calendar.ValidationError
			if err := s.AddChannel(ctx, c); !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
				t.Errorf("AddChannel: %v, want a problem with %s", err, tc.field)
			}
			if _, err := s.Channel(ctx, "new"); err == nil {
				t.Errorf("a refused channel was added")
			}
			old := addChannel(t, s, "a", "", false)
			edit := old
			tc.set(&edit)
			if err := s.UpdateChannel(ctx, &edit); !errors.As(err, &ve) || ve.Problems[0].Field != tc.field {
				t.Errorf("UpdateChannel: %v, want a problem with %s", err, tc.field)
			}
			if got, _ := s.Channel(ctx, "a"); got.TZ != old.TZ || got.MaxLateness != old.MaxLateness || got.RatePerMinute != old.RatePerMinute || got.RatePerDay != old.RatePerDay {
				t.Errorf("a refused edit changed the channel: %+v", got)
			}
		})
	}
}
