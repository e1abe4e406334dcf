package linkedin

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// statsOf is the Stats of a channel built through the registry.
func statsOf(t *testing.T, f *fakeLinkedIn, settings map[string]string) publishers.Stats {
	t.Helper()
	s, ok := publishers.StatsOf(build(t, publishertest.Server(t, f).URL, settings, beforeMidnight))
	if !ok {
		t.Fatal("a LinkedIn channel reads no numbers")
	}
	return s
}

func TestStats(t *testing.T) {
	f := newFake(t)
	f.metadata = map[string]string{
		// As the Social Metadata API documents a summary.
		"urn:li:share:7001": `{"reactionSummaries":{"LIKE":{"reactionType":"LIKE","count":9},"PRAISE":{"reactionType":"PRAISE","count":2}},"commentsState":"OPEN","commentSummary":{"count":4,"topLevelCount":3},"entity":"urn:li:share:7001"}`,
		// No reaction yet: a count of 0; no comment summary: unknown.
		"urn:li:ugcPost:7002": `{"reactionSummaries":{},"commentsState":"OPEN","entity":"urn:li:ugcPost:7002"}`,
		// A reaction type without its count: the reactions are unknown.
		"urn:li:share:7003": `{"reactionSummaries":{"LIKE":{"reactionType":"LIKE"}},"commentSummary":{"count":1},"entity":"urn:li:share:7003"}`,
	}
	f.refused = map[string]bool{"urn:li:share:7005": true}
	got, err := statsOf(t, f, map[string]string{"stats": "on"}).Stats(context.Background(),
		[]string{"urn:li:share:7001", "urn:li:ugcPost:7002", "urn:li:share:7003", "urn:li:share:7004", "urn:li:share:7005"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"urn:li:share:7001":   {State: publishers.StatOK, Counts: publishers.Counts{"reactions": 11, "comments": 4}},
		"urn:li:ugcPost:7002": {State: publishers.StatOK, Counts: publishers.Counts{"reactions": 0}},
		"urn:li:share:7003":   {State: publishers.StatOK, Counts: publishers.Counts{"comments": 1}},
		"urn:li:share:7004":   {State: publishers.StatDeleted},
		"urn:li:share:7005":   {State: publishers.StatRevoked},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
	if len(f.metaReads) != 1 {
		t.Errorf("%d reads, want one batch", len(f.metaReads))
	}
}

func TestStatsBatches(t *testing.T) {
	f := newFake(t)
	f.metadata = map[string]string{}
	var ids []string
	for i := range 120 {
		urn := fmt.Sprintf("urn:li:share:%d", 8000+i)
		ids = append(ids, urn)
		f.metadata[urn] = fmt.Sprintf(`{"commentSummary":{"count":%d}}`, i)
	}
	got, err := statsOf(t, f, map[string]string{"stats": "on"}).Stats(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.metaReads) != 3 || len(f.metaReads[2]) != 20 || len(got) != 120 || got["urn:li:share:8119"].Counts["comments"] != 119 {
		t.Errorf("%d reads for %d posts; 8119: %v", len(f.metaReads), len(got), got["urn:li:share:8119"])
	}
}

func TestStatsRateLimited(t *testing.T) {
	h := publishertest.Reply(429, nil, `{"message":"Resource level throttle APPLICATION DAY limit for calls to this resource is reached.","status":429}`)
	s, _ := publishers.StatsOf(build(t, publishertest.Server(t, h).URL, map[string]string{"stats": "on"}, beforeMidnight))
	got, err := s.Stats(context.Background(), []string{"urn:li:share:7001"})
	publishertest.CheckError(t, err, publishers.RateLimited, time.Minute, "throttle")
	if len(got) != 0 {
		t.Errorf("a rate-limited read recorded %v", got)
	}
}

// Reading the numbers needs a scope crieur asks for only with stats=on
// (r_organization_social for a page, r_member_social for a member): without
// it nothing is asked and the channel gives no numbers, saying why; a token
// LinkedIn refuses them to gives none either.
func TestStatsNeedTheReadScope(t *testing.T) {
	for _, c := range []struct {
		name     string
		settings map[string]string
		words    string
	}{
		{"page, stats off", nil, "r_organization_social"},
		{"member, stats off", map[string]string{"author": fakePerson}, "r_member_social"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			_, err := statsOf(t, f, c.settings).Stats(context.Background(), []string{"urn:li:share:7001"})
			if !errors.Is(err, publishers.ErrNoStats) || !strings.Contains(err.Error(), c.words) || !strings.Contains(err.Error(), "stats=on") {
				t.Errorf("err = %v, want no numbers naming %s and stats=on", err, c.words)
			}
			if len(f.metaReads) != 0 {
				t.Errorf("stats off, yet LinkedIn was asked %d times", len(f.metaReads))
			}
		})
	}
	f := newFake(t)
	f.noReadScope = true
	_, err := statsOf(t, f, map[string]string{"stats": "on"}).Stats(context.Background(), []string{"urn:li:share:7001"})
	if !errors.Is(err, publishers.ErrNoStats) || !strings.Contains(err.Error(), "r_organization_social") || !strings.Contains(err.Error(), "crieur channel login acme-li") {
		t.Errorf("a token without the scope: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), fakeToken) {
		t.Errorf("the token leaked into %q", err)
	}
	if _, err := fromSettings(map[string]string{"stats": "sometimes"}); err == nil || !strings.Contains(err.Error(), "setting stats") {
		t.Errorf("stats=sometimes: %v, want it refused", err)
	}
}
