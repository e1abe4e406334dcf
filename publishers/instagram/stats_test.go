package instagram

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

func TestStats(t *testing.T) {
	f := newFake(t)
	f.engagement = map[string]string{
		"17900001": `"like_count":41,"comments_count":6`, // as documented
		"17900002": `"comments_count":2`,                 // like counts hidden: unknown
		"17900003": ``,
	}
	got, err := build(t, publishertest.Server(t, f).URL).Stats(context.Background(), []string{"17900001", "17900002", "17900003", "17900004"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publishers.Stat{
		"17900001": {State: publishers.StatOK, Counts: publishers.Counts{"likes": 41, "comments": 6}},
		"17900002": {State: publishers.StatOK, Counts: publishers.Counts{"comments": 2}},
		"17900003": {State: publishers.StatOK, Counts: publishers.Counts{}},
		"17900004": {State: publishers.StatDeleted},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Stats = %v\nwant  %v", got, want)
	}
}

func TestStatsErrors(t *testing.T) {
	t.Run("throttled", func(t *testing.T) {
		f := newFake(t)
		f.engagement = map[string]string{"17900001": `"like_count":1`}
		f.throttled = true
		got, err := build(t, publishertest.Server(t, f).URL).Stats(context.Background(), []string{"17900001", "17900002"})
		publishertest.CheckError(t, err, publishers.RateLimited, 12*time.Minute, "rate limit")
		if len(got) != 0 || len(f.reads) != 1 {
			t.Errorf("after a throttled read: %v recorded, %d reads", got, len(f.reads))
		}
	})
	t.Run("expired token", func(t *testing.T) {
		h := publishertest.Reply(400, nil, `{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463}}`)
		_, err := build(t, publishertest.Server(t, h).URL).Stats(context.Background(), []string{"17900001"})
		publishertest.CheckError(t, err, publishers.Auth, 0, "crieur channel login acme-ig")
	})
}
