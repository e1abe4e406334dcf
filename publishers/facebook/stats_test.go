package facebook

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

const (
	reactions = `"reactions":{"data":[],"summary":{"total_count":12,"viewer_reaction":"NONE"}}`
	comments  = `"comments":{"data":[],"summary":{"order":"ranked","total_count":3,"can_comment":true}}`
	shares    = `"shares":{"count":2}`
)

func TestStats(t *testing.T) {
	post := fakePage + "_10001"
	for _, c := range []struct {
		name, fields string
		want         publishers.Stat
	}{
		{"documented fields", reactions + "," + comments + "," + shares,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"reactions": 12, "comments": 3, "reposts": 2}}},
		{"no shares: unknown", reactions + "," + comments,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"reactions": 12, "comments": 3}}},
		{"no summary: unknown", `"reactions":{"data":[]},` + shares,
			publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{"reposts": 2}}},
		{"nothing", "", publishers.Stat{State: publishers.StatOK, Counts: publishers.Counts{}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFake(t)
			f.engagement = map[string]string{post: c.fields}
			got, err := build(t, publishertest.Server(t, f).URL, nil).Stats(context.Background(), []string{post})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, map[string]publishers.Stat{post: c.want}) {
				t.Errorf("Stats = %v, want %v", got, c.want)
			}
		})
	}
}

// 50 posts a read; a batch holding a deleted post is refused as a whole,
// then read post by post, the deleted one recorded as such.
func TestStatsBatchesAndDeleted(t *testing.T) {
	f := newFake(t)
	f.engagement = map[string]string{}
	var ids []string
	for i := range 60 {
		id := fmt.Sprintf("%s_%d", fakePage, 20000+i)
		ids = append(ids, id)
		if i != 55 {
			f.engagement[id] = fmt.Sprintf(`"reactions":{"summary":{"total_count":%d}}`, i)
		}
	}
	got, err := build(t, publishertest.Server(t, f).URL, nil).Stats(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.reads) != 2+10 || len(f.reads[0]) != 50 || len(f.reads[1]) != 10 {
		t.Errorf("reads of %d ids, then %d, %d in all; want 50, 10 refused, then 10 one by one", len(f.reads[0]), len(f.reads[1]), len(f.reads))
	}
	if len(got) != 60 || got[ids[55]].State != publishers.StatDeleted || got[ids[56]].Counts["reactions"] != 56 || got[ids[49]].Counts["reactions"] != 49 {
		t.Errorf("read %d: 55 %v, 56 %v, 49 %v", len(got), got[ids[55]], got[ids[56]], got[ids[49]])
	}
}

func TestStatsErrors(t *testing.T) {
	post := fakePage + "_10001"
	t.Run("throttled", func(t *testing.T) {
		f := newFake(t)
		f.engagement = map[string]string{post: reactions}
		f.throttled = true
		f.usageHdr = `{"` + fakePage + `":[{"type":"pages","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":9}]}`
		got, err := build(t, publishertest.Server(t, f).URL, nil).Stats(context.Background(), []string{post})
		publishertest.CheckError(t, err, publishers.RateLimited, 9*time.Minute, "too many calls")
		if len(got) != 0 {
			t.Errorf("a throttled read recorded %v", got)
		}
	})
	t.Run("permission", func(t *testing.T) {
		h := publishertest.Reply(403, nil, `{"error":{"message":"(#10) This endpoint requires the 'pages_read_engagement' permission","code":10}}`)
		_, err := build(t, publishertest.Server(t, h).URL, nil).Stats(context.Background(), []string{post})
		publishertest.CheckError(t, err, publishers.Auth, 0, "pages_read_engagement")
		if strings.Contains(err.Error(), fakePageToken) {
			t.Errorf("the token leaked into %q", err)
		}
	})
}
