package threads

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// insight is one entry of a media's insights, as Threads documents it.
func insight(name string, v int) string {
	return fmt.Sprintf(`{"name":%q,"period":"lifetime","values":[{"value":%d}],"title":%q,"description":"…","id":"1800/insights/%s/lifetime"}`, name, v, name, name)
}

// statsBuild is a channel with stats=on against api.
func statsBuild(t *testing.T, api string, stats string) *Publisher {
	t.Helper()
	s := hostSettings(t, api)
	s["stats"] = stats
	p, err := New(publishers.Config{Channel: "acme-th", Settings: s, Secrets: map[string]string{"access_token": fakeToken}})
	if err != nil {
		t.Fatal(err)
	}
	return p.(*Publisher)
}

func TestStats(t *testing.T) {
	f := newFake(t)
	all := strings.Join([]string{insight("views", 830), insight("likes", 21), insight("replies", 4), insight("reposts", 2), insight("quotes", 1)}, ",")
	f.insights = map[string]string{
		"18000001": all,
		"18000002": insight("likes", 3) + "," + insight("replies", 0), // the others left out: unknown
		"18000003": "",
	}
	got, err := statsBuild(t, publishertest.Server(t, f).URL, "on").Stats(context.Background(), []string{"18000001", "18000002", "18000003", "18000004"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"18000001": {State: publishers.StatOK, Counts: publishers.Counts{"views": 830, "likes": 21, "replies": 4, "reposts": 2, "quotes": 1}},
		"18000002": {State: publishers.StatOK, Counts: publishers.Counts{"likes": 3, "replies": 0}},
		"18000003": {State: publishers.StatOK, Counts: publishers.Counts{}},
		"18000004": {State: publishers.StatDeleted},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
}

func TestStatsThrottled(t *testing.T) {
	f := newFake(t)
	f.insights = map[string]string{"18000001": insight("likes", 1)}
	f.throttled = true
	got, err := statsBuild(t, publishertest.Server(t, f).URL, "on").Stats(context.Background(), []string{"18000001", "18000002"})
	publishertest.CheckError(t, err, publishers.RateLimited, 3*time.Minute, "limit reached")
	if len(got) != 0 || len(f.calls) != 1 {
		t.Errorf("after a throttled read: %v recorded, calls %v", got, f.calls)
	}
}

// Insights need threads_manage_insights: a channel without stats=on asks
// nothing and gives no numbers; stats=on asks for the permission at login;
// a token without it gives no numbers either, saying so.
func TestStatsNeedThePermission(t *testing.T) {
	f := newFake(t)
	f.insights = map[string]string{"18000001": insight("likes", 1)}
	_, err := statsBuild(t, publishertest.Server(t, f).URL, "").Stats(context.Background(), []string{"18000001"})
	if !errors.Is(err, publishers.ErrNoStats) || !strings.Contains(err.Error(), "stats=on") || !strings.Contains(err.Error(), "threads_manage_insights") {
		t.Errorf("stats off: %v", err)
	}
	if len(f.calls) != 0 {
		t.Errorf("stats off, yet Threads was asked: %v", f.calls)
	}
	f.noInsights = true
	_, err = statsBuild(t, publishertest.Server(t, f).URL, "on").Stats(context.Background(), []string{"18000001"})
	if !errors.Is(err, publishers.ErrNoStats) || !strings.Contains(err.Error(), "lacks the permission threads_manage_insights") || !strings.Contains(err.Error(), "crieur channel login acme-th") {
		t.Errorf("a token without the permission: %v", err)
	}
	if err != nil && strings.Contains(err.Error(), fakeToken) {
		t.Errorf("the token leaked into %q", err)
	}
	for _, c := range []struct {
		stats string
		scope bool
	}{{"", false}, {"off", false}, {"on", true}} {
		scopes := Provider.ScopesFor(map[string]string{"stats": c.stats})
		if slices.Contains(scopes, "threads_manage_insights") != c.scope || !slices.Contains(scopes, "threads_content_publish") {
			t.Errorf("stats=%q: login scopes %v", c.stats, scopes)
		}
	}
	nw, err := publishers.Lookup("threads")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nw.Offline(map[string]string{"stats": "maybe"}); err == nil || !strings.Contains(err.Error(), "setting stats") {
		t.Errorf("stats=maybe: %v, want it refused offline", err)
	}
}
