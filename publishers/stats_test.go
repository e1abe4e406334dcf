package publishers

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type counter struct{ bare }

func (counter) Stats(context.Context, []string) (map[string]Stat, error) {
	return map[string]Stat{"1": {State: StatOK, Counts: Counts{MetricLikes: 2}}},
		&Error{Class: RateLimited, Status: 429, Message: "slow down, tok-123456"}
}

func TestStatsOfSeesThroughRedacting(t *testing.T) {
	r := NewRedactor(map[string]string{"token": "tok-123456"}, nil)
	if _, ok := StatsOf(Redacting(bare{}, r)); ok {
		t.Error("a publisher without Stats reads numbers")
	}
	for _, pub := range []Publisher{counter{}, Redacting(counter{}, r)} {
		s, ok := StatsOf(pub)
		if !ok {
			t.Fatalf("%T: no Stats", pub)
		}
		m, err := s.Stats(context.Background(), []string{"1"})
		var pe *Error
		if m["1"].Counts[MetricLikes] != 2 || !errors.As(err, &pe) || pe.Class != RateLimited {
			t.Errorf("%T: %v, %v", pub, m, err)
		}
		if _, wrapped := pub.(interface{ Unwrap() Publisher }); wrapped && strings.Contains(err.Error(), "tok-123456") {
			t.Errorf("the wrapper lets the token through: %v", err)
		}
	}
}

func TestCountsEngagement(t *testing.T) {
	if n, ok := (Counts{MetricLikes: 3, MetricReplies: 1, MetricViews: 100}).Engagement(); n != 4 || !ok {
		t.Errorf("engagement %d %v, want 4 (views aside)", n, ok)
	}
	if _, ok := (Counts{MetricViews: 100}).Engagement(); ok {
		t.Error("views alone make an engagement")
	}
}
