package calview

import (
	"slices"
	"sort"
	"time"

	"github.com/crieur/crieur/calendar"
)

// placeEntries puts each entry in the day of its time (in loc), keeping
// their order; entries of no day are left out. A day is [its start, the next
// midnight): the times whose date is the day's. Entries sorted by time (as
// Store.Entries returns them) come in runs, one per day, so each day's
// entries are a part of entries' array rather than a copy of entries, which
// are large; in any other order each day gets its own list, made to size.
func placeEntries(days []Day, entries []calendar.Entry, index map[string]int, loc *time.Location) {
	if len(days) == 0 || len(entries) == 0 {
		return
	}
	first, end := days[0].start, nextDay(days[len(days)-1].start)
	dayOf := func(at time.Time) int {
		if !at.Before(first) && at.Before(end) {
			// the last day starting at or before at
			return sort.Search(len(days), func(i int) bool { return days[i].start.After(at) }) - 1
		}
		// Outside the days' span, a time can still carry one of their
		// dates (a range not starting at midnight): ask by date.
		if i, ok := index[at.In(loc).Format(time.DateOnly)]; ok {
			return i
		}
		return -1
	}
	which := make([]int, len(entries))
	for j, e := range entries {
		which[j] = dayOf(e.At)
	}
	if slices.IsSortedFunc(entries, func(a, b calendar.Entry) int { return a.At.Compare(b.At) }) {
		// One run per day: each day is a slice of entries (capped, so that
		// appending to it never writes over the next day's).
		shared := true
		seen := make([]bool, len(days))
		for j := 0; j < len(entries) && shared; {
			k := j + 1
			for k < len(entries) && which[k] == which[j] {
				k++
			}
			if i := which[j]; i >= 0 {
				if seen[i] {
					shared = false
					break
				}
				seen[i] = true
				days[i].Entries = entries[j:k:k]
			}
			j = k
		}
		if shared {
			return
		}
		for i := range days {
			days[i].Entries = []calendar.Entry{}
		}
	}
	counts := make([]int, len(days))
	for _, i := range which {
		if i >= 0 {
			counts[i]++
		}
	}
	for i, n := range counts {
		if n > 0 {
			days[i].Entries = make([]calendar.Entry, 0, n)
		}
	}
	for j, e := range entries {
		if i := which[j]; i >= 0 {
			days[i].Entries = append(days[i].Entries, e)
		}
	}
}
