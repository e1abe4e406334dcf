package calendar

import (
	"testing"
	"time"
)

// sortEntries orders by time, keeping the query's order among equal times.
func TestSortEntriesIsStableByTime(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 12, 1, 9, m, 0, 0, time.UTC) }
	tests := []struct {
		name string
		in   []Entry
		want []int64
	}{
		{"sorted", []Entry{{DeliveryID: 1, At: at(0)}, {DeliveryID: 2, At: at(0)}, {DeliveryID: 3, At: at(5)}}, []int64{1, 2, 3}},
		{"a queued post's later slot", []Entry{{DeliveryID: 1, At: at(30)}, {DeliveryID: 2, At: at(0)}, {DeliveryID: 3, At: at(30)}, {DeliveryID: 4, At: at(10)}}, []int64{2, 4, 1, 3}},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SortEntries(tt.in)
			for i, e := range tt.in {
				if e.DeliveryID != tt.want[i] {
					t.Fatalf("order %v, want %v", ids(tt.in), tt.want)
				}
			}
		})
	}
}

func ids(es []Entry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.DeliveryID)
	}
	return out
}
