package storetest

import (
	"sort"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Grid is what Store.EntriesByDay must return for the days [starts[i],
// starts[i+1]) when Store.Entries returns entries: each entry placed in
// the day holding its time, one at a time, the first perDay of each day
// kept. Tests of stores and of the month grid compare with it.
func Grid(entries []calendar.Entry, starts []time.Time, perDay int) calendar.ByDay {
	days := max(len(starts)-1, 0)
	out := calendar.ByDay{Days: make([][]calendar.Entry, days), Counts: make([]int, days), Channels: []string{}, Campaigns: map[string]string{}}
	seen := map[string]bool{}
	for _, e := range entries {
		for i := range days {
			if e.At.Before(starts[i]) || !e.At.Before(starts[i+1]) {
				continue
			}
			if out.Counts[i] < perDay {
				out.Days[i] = append(out.Days[i], e)
			}
			out.Counts[i]++
			if !seen[e.Channel] {
				seen[e.Channel] = true
				out.Channels = append(out.Channels, e.Channel)
			}
			if e.Campaign != "" {
				out.Campaigns[e.Campaign] = e.CampaignColor
			}
		}
	}
	sort.Strings(out.Channels)
	return out
}
