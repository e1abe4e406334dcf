package x

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// statsPub is a publisher of a channel with stats=on against f.
func statsPub(t *testing.T, f *fake) *Publisher {
	t.Helper()
	p := newPub(t, f)
	p.stats = true
	return p
}

func TestStats(t *testing.T) {
	for _, c := range []struct {
		name    string
		metrics string // the post's public_metrics as X gives it; "-": left out
		want    publishers.Stat
	}{
		{"documented fields", `{"retweet_count":4,"reply_count":2,"like_count":17,"quote_count":1,"bookmark_count":3,"impression_count":950}`,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"reposts": 4, "replies": 2, "likes": 17, "quotes": 1, "views": 950}}},
		{"no impression_count", `{"retweet_count":0,"reply_count":0,"like_count":5,"quote_count":0}`,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"reposts": 0, "replies": 0, "likes": 5, "quotes": 0}}},
		{"missing fields are unknown", `{"like_count":5}`,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"likes": 5}}},
		{"no public_metrics", "-", publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.metrics = map[string]string{"1001": c.metrics}
			got, err := statsPub(t, f).Stats(context.Background(), []string{"1001"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got["1001"], c.want) {
				t.Errorf("Stats = %v, want %v", got["1001"], c.want)
			}
		})
	}
}

// A post X cannot find is deleted; one the token may not see (a protected
// or suspended account) is no longer readable; both answer 200 beside the
// posts found.
func TestStatsDeletedAndProtected(t *testing.T) {
	f := newFake(t)
	f.metrics = map[string]string{"1001": `{"retweet_count":1,"reply_count":1,"like_count":1,"quote_count":1}`, "1003": `{"like_count":2}`}
	f.protected = map[string]bool{"1003": true}
	got, err := statsPub(t, f).Stats(context.Background(), []string{"1001", "1002", "1003"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"1001": {State: publishers.StatOK, Counts: publishers.Counts{"reposts": 1, "replies": 1, "likes": 1, "quotes": 1}},
		"1002": {State: publishers.StatDeleted},
		"1003": {State: publishers.StatRevoked},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
}

// 100 ids a call: 250 posts are read in three calls.
func TestStatsBatches(t *testing.T) {
	f := newFake(t)
	f.metrics = map[string]string{}
	var ids []string
	for i := range 250 {
		id := strconv.Itoa(5000 + i)
		ids = append(ids, id)
		f.metrics[id] = `{"like_count":` + strconv.Itoa(i) + `}`
	}
	got, err := statsPub(t, f).Stats(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.lookups) != 3 || len(f.lookups[0]) != 100 || len(f.lookups[2]) != 50 {
		t.Errorf("%d calls, want 3 of 100, 100 and 50 ids", len(f.lookups))
	}
	if len(got) != 250 || got["5249"].Counts["likes"] != 249 {
		t.Errorf("read %d posts, 5249: %v", len(got), got["5249"])
	}
}

func TestStatsRateLimited(t *testing.T) {
	f := newFake(t)
	f.metrics = map[string]string{"1001": `{"like_count":1}`}
	f.limited = now.Add(9 * time.Minute)
	got, err := statsPub(t, f).Stats(context.Background(), []string{"1001"})
	var pe *publishers.Error
	if !errors.As(err, &pe) || pe.Class != publishers.RateLimited || pe.RetryAfter != 9*time.Minute {
		t.Fatalf("err = %v, want rate limited for 9m", err)
	}
	if len(got) != 0 {
		t.Errorf("a rate-limited read recorded %v", got)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("the token leaked into %q", err)
	}
}

// X bills each read: a channel that does not enable stats asks nothing and
// gives no numbers; the setting is checked without the network.
func TestStatsBilledOff(t *testing.T) {
	f := newFake(t)
	f.metrics = map[string]string{"1001": `{"like_count":1}`}
	got, err := newPub(t, f).Stats(context.Background(), []string{"1001"})
	if !errors.Is(err, publishers.ErrNoStats) || len(got) != 0 {
		t.Errorf("stats off: %v, %v; want ErrNoStats", got, err)
	}
	if len(f.lookups) != 0 {
		t.Errorf("stats off, yet X was asked %d times", len(f.lookups))
	}
	nw, err := publishers.Lookup("x")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		value string
		on    bool
		bad   bool
	}{{"", false, false}, {"off", false, false}, {"on", true, false}, {"ON", true, false}, {"yes please", false, true}} {
		p, err := fromSettings(map[string]string{"stats": c.value})
		if c.bad {
			if err == nil || !strings.Contains(err.Error(), "setting stats") {
				t.Errorf("stats=%q: err %v, want it refused", c.value, err)
			}
			if _, err := nw.Offline(map[string]string{"stats": c.value}); err == nil {
				t.Errorf("stats=%q passes the offline check", c.value)
			}
			continue
		}
		if err != nil || p.stats != c.on {
			t.Errorf("stats=%q: on %v, err %v; want %v", c.value, p != nil && p.stats, err, c.on)
		}
	}
}
