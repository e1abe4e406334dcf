package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/rules"
)

func withRules(t *testing.T, s *Store, src string) *[]string {
	t.Helper()
	set, err := rules.Parse([]byte(src), "rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Rules = set
	var warned []string
	s.RuleWarning = func(slug string, f calendar.Finding) { warned = append(warned, slug+": "+f.Rule) }
	return &warned
}

// The calendar rules count the calendar's posts as the store holds them:
// on the same channel, in its zone's day, passing the rule's filters (tags
// read back from the database), not drafts; a refused post is not written.
func TestRulesCountTheCalendar(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "fb", "Europe/Paris", false)
	addChannel(t, s, "other", "", false)
	warned := withRules(t, s, `
rules:
  - name: one-contest-a-day
    when: {tag: concours}
    max_per_day: 1
  - name: breathe
    severity: warning
    min_gap: 60
`)
	at := func(s string) *time.Time {
		v, _ := time.Parse(time.RFC3339, s)
		return &v
	}
	create := func(slug, when string, tags []string, status string, ch ...string) error {
		p := &calendar.Post{Slug: slug, Body: "x", Tags: tags, Channels: ch, PublishAt: at(when), Status: status}
		return s.CreatePost(ctx, p)
	}
	if err := create("a", "2026-12-01T08:00:00Z", []string{"concours"}, "", "fb"); err != nil {
		t.Fatal(err)
	}
	if err := create("draft", "2026-12-01T09:00:00Z", []string{"concours"}, calendar.StatusDraft, "fb"); err != nil {
		t.Fatal(err)
	}
	// 23:30 UTC is the next day in Paris: allowed.
	if err := create("b", "2026-12-01T23:30:00Z", []string{"concours"}, "", "fb"); err != nil {
		t.Fatalf("the next day in the channel's zone: %v", err)
	}
	err := create("c", "2026-12-01T15:00:00Z", []string{"Concours"}, "", "fb")
	var verr *calendar.ValidationError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "rule one-contest-a-day: fb would have 2 posts on 2026-12-01") {
		t.Fatalf("a second contest that day: %v", err)
	}
	if _, err := s.Post(ctx, "c"); !errors.Is(err, calendar.ErrNotFound) {
		t.Errorf("the refused post was written: %v", err)
	}
	for _, ok := range []struct{ slug, when, ch string }{{"plain", "2026-12-01T15:00:00Z", "fb"}, {"elsewhere", "2026-12-01T15:00:00Z", "other"}} {
		if err := create(ok.slug, ok.when, nil, "", ok.ch); err != nil {
			t.Errorf("%s: %v", ok.slug, err)
		}
	}
	if strings.Join(*warned, ",") != "" {
		t.Errorf("warnings %v", *warned)
	}
	// 30 minutes after a: a warning, and the post is written.
	if err := create("close", "2026-12-01T08:30:00Z", nil, "", "fb"); err != nil {
		t.Fatal(err)
	}
	if strings.Join(*warned, ",") != "close: breathe" {
		t.Errorf("warnings %v", *warned)
	}
	// Moving a contest onto a's day is refused too.
	if _, err := s.MovePost(ctx, "b", *at("2026-12-01T12:00:00Z"), false); err == nil || !strings.Contains(err.Error(), "one-contest-a-day") {
		t.Errorf("move onto a's day: %v", err)
	}
}

// require_approval: a tagged post waits in review, not runnable, until it
// is approved; an untagged one goes on.
func TestRuleGatesApproval(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	addChannel(t, s, "fb", "", false)
	withRules(t, s, "rules:\n  - name: contest-approval\n    when: {tag: concours}\n    require_approval: true\n")
	at := t0.Add(time.Hour)
	p := &calendar.Post{Slug: "c", Body: "x", Tags: []string{"concours"}, Channels: []string{"fb"}, PublishAt: &at}
	if err := s.CreatePost(ctx, p); err != nil {
		t.Fatal(err)
	}
	if p.Status != calendar.StatusReview || runAt(t, s, p.ID)[0] != nil {
		t.Fatalf("contest: %s, run_at %v", p.Status, runAt(t, s, p.ID)[0])
	}
	if _, err := s.PublishNow(ctx, "c", t0); !errors.Is(err, calendar.ErrConflict) || !strings.Contains(err.Error(), "rule contest-approval") {
		t.Errorf("publish --now: %v", err)
	}
	got, err := s.ApprovePost(ctx, "c", "")
	if err != nil || got.Status != calendar.StatusScheduled || runAt(t, s, p.ID)[0] == nil {
		t.Fatalf("approved: %v %s", err, got.Status)
	}
	plain := createPostAt(t, s, "plain", &at, "fb")
	if plain.Status != calendar.StatusScheduled || runAt(t, s, plain.ID)[0] == nil {
		t.Errorf("plain: %s", plain.Status)
	}
}
