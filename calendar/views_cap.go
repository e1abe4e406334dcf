package calendar

import (
	"slices"
)

// SortEntries orders by each delivery's own time (a queued post's channels
// may sit in different slots), keeping the query's order among equals. The
// query's order is already by time but for such posts: a sorted list is left
// as it is, without moving its large entries around.
func SortEntries(es []Entry) {
	byAt := func(a, b Entry) int { return a.At.Compare(b.At) }
	if slices.IsSortedFunc(es, byAt) {
		return
	}
	slices.SortStableFunc(es, byAt)
}
