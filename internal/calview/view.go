// Package calview lays out and renders calendar views of crieur's entries:
// the month grid, the week, the agenda (as terminal text), and a
// self-contained HTML page. It only presents; what it shows comes from
// calendar.Store.Entries and Blackouts.
package calview

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
)

// View is the content of a calendar view, day by day, in the viewer's zone.
// Its JSON form is what `crieur calendar -o json` prints.
type View struct {
	Kind  string    `json:"kind"` // month, week or agenda
	From  time.Time `json:"from"` // midnight of the first day, in Zone
	To    time.Time `json:"to"`   // midnight after the last day
	Zone  string    `json:"zone"`
	Today string    `json:"today"` // YYYY-MM-DD in Zone
	Days  []Day     `json:"days"`
	// Abbrev is each channel's short name in the grid.
	Abbrev    map[string]string `json:"channels"`
	Campaigns []Campaign        `json:"campaigns"`
	loc       *time.Location
}

// MarshalJSON writes From and To as UTC instants, as every JSON instant
// crieur prints is; Zone and each day's Date say the viewer's calendar.
func (v View) MarshalJSON() ([]byte, error) {
	type plain View
	p := plain(v)
	p.From, p.To = p.From.UTC(), p.To.UTC()
	return json.Marshal(p)
}

// Day is one calendar day.
type Day struct {
	Date      string              `json:"date"` // YYYY-MM-DD
	Today     bool                `json:"today,omitempty"`
	Blackouts []calendar.Blackout `json:"blackouts,omitempty"`
	Entries   []calendar.Entry    `json:"entries"`
	start     time.Time
	total     int // the day's entries when Entries holds the first only (BuildByDay)
}

// count is how many entries the day holds.
func (d Day) count() int { return max(len(d.Entries), d.total) }

// Campaign is a campaign seen in the view, with the colour it is drawn in.
type Campaign struct {
	Name  string `json:"name"`
	Color string `json:"color"` // #rrggbb
}

// Build lays entries and blackouts out over the days [from, to) of loc; now
// says which day is today. The days' entries may share entries' array.
func Build(kind string, from, to time.Time, loc *time.Location, now time.Time, entries []calendar.Entry, blackouts []calendar.Blackout) View {
	v, index := days(kind, from, to, loc, now, blackouts)
	placeEntries(v.Days, entries, index, loc)
	channels := map[string]bool{}
	campaigns := map[string]string{}
	for _, d := range v.Days {
		for _, e := range d.Entries {
			channels[e.Channel] = true
			if e.Campaign != "" {
				campaigns[e.Campaign] = e.CampaignColor
			}
		}
	}
	names := make([]string, 0, len(channels))
	for n := range channels {
		names = append(names, n)
	}
	v.legend(names, campaigns)
	return v
}

// BuildByDay is Build for a month grid from Store.EntriesByDay, read with
// DayStarts(from, to): each day holds the entries the grid shows and
// counts them all. It is for the text grid only: its days do not hold
// every entry, as a View's JSON form says they do.
func BuildByDay(kind string, from, to time.Time, loc *time.Location, now time.Time, b calendar.ByDay, blackouts []calendar.Blackout) View {
	v, _ := days(kind, from, to, loc, now, blackouts)
	for i := range v.Days {
		if i < len(b.Days) {
			v.Days[i].Entries = append(v.Days[i].Entries, b.Days[i]...)
			v.Days[i].total = b.Counts[i]
		}
	}
	v.legend(slices.Clone(b.Channels), b.Campaigns)
	return v
}

// DayStarts is the start of each day Build lays out over [from, to) in
// loc, then the end of the last: the days of Store.EntriesByDay.
func DayStarts(from, to time.Time, loc *time.Location) []time.Time {
	var out []time.Time
	d := from.In(loc)
	for ; d.Before(to); d = nextDay(d) {
		out = append(out, d)
	}
	return append(out, d)
}

// days is a view of the days [from, to) of loc with their blackouts and
// no entries yet, and each day's index by date.
func days(kind string, from, to time.Time, loc *time.Location, now time.Time, blackouts []calendar.Blackout) (View, map[string]int) {
	v := View{Kind: kind, From: from.In(loc), To: to.In(loc), Zone: loc.String(), Today: now.In(loc).Format(time.DateOnly), loc: loc}
	index := map[string]int{}
	for d := v.From; d.Before(v.To); d = nextDay(d) {
		day := Day{Date: d.Format(time.DateOnly), start: d, Entries: []calendar.Entry{}}
		day.Today = day.Date == v.Today
		end := nextDay(d)
		for _, b := range blackouts {
			if b.StartsAt.Before(end) && b.EndsAt.After(d) {
				day.Blackouts = append(day.Blackouts, b)
			}
		}
		index[day.Date] = len(v.Days)
		v.Days = append(v.Days, day)
	}
	return v, index
}

// legend sets the channels' abbreviations and the campaigns' colours.
func (v *View) legend(channels []string, campaigns map[string]string) {
	v.Abbrev = Abbreviate(channels)
	for name, color := range campaigns {
		v.Campaigns = append(v.Campaigns, Campaign{Name: name, Color: CampaignHex(name, color)})
	}
	sort.Slice(v.Campaigns, func(i, j int) bool { return v.Campaigns[i].Name < v.Campaigns[j].Name })
	if v.Campaigns == nil {
		v.Campaigns = []Campaign{}
	}
}

// nextDay is the start of the next day on the wall clock (23 or 25 hours
// away on a DST change).
func nextDay(d time.Time) time.Time {
	return Midnight(d.Year(), d.Month(), d.Day()+1, d.Location())
}

// Midnight is the first instant of the day year-month-day (normalised as
// time.Date does) in loc: its 00:00, or, where clocks spring forward at
// midnight (Chile, Cuba, Paraguay), the end of the gap (01:00). time.Date
// gives 23:00 of the day before for such a midnight, from which the next
// day would be that same instant again.
func Midnight(year int, month time.Month, day int, loc *time.Location) time.Time {
	t := time.Date(year, month, day, 0, 0, 0, 0, loc)
	want := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	dateOf := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	if !dateOf(t).Before(want) {
		return t
	}
	// The day's first second lies within a day of t (zone offsets and
	// their changes are whole seconds).
	n := sort.Search(26*3600, func(i int) bool { return !dateOf(t.Add(time.Duration(i) * time.Second)).Before(want) })
	return t.Add(time.Duration(n) * time.Second)
}

// MonthRange is the first and the day after the last day of month in loc.
func MonthRange(year int, month time.Month, loc *time.Location) (time.Time, time.Time) {
	return Midnight(year, month, 1, loc), Midnight(year, month+1, 1, loc)
}

// WeekRange is the Monday-to-Monday week holding day, in loc.
func WeekRange(day time.Time, loc *time.Location) (time.Time, time.Time) {
	d := day.In(loc)
	back := (int(d.Weekday()) + 6) % 7
	from := Midnight(d.Year(), d.Month(), d.Day()-back, loc)
	return from, Midnight(d.Year(), d.Month(), d.Day()-back+7, loc)
}

// Abbreviate gives each channel a distinct two-letter name for the grid:
// the start of what follows the prefix they share (acme-mastodon, acme-bsky →
// ma, bs), else its first letter and another of its letters, else a number.
func Abbreviate(names []string) map[string]string {
	sort.Strings(names)
	prefix := commonPrefix(names)
	out := make(map[string]string, len(names))
	used := map[string]bool{}
	for _, n := range names {
		rest := []rune(strings.TrimLeft(strings.TrimPrefix(n, prefix), "-_."))
		if len(rest) == 0 {
			rest = []rune(n)
		}
		var pick string
		for _, cand := range candidates(rest) {
			if !used[cand] {
				pick = cand
				break
			}
		}
		if pick == "" {
			for i := 1; ; i++ {
				cand := string(rest[0]) + string(rune('0'+i%10))
				if !used[cand] || i > 9 {
					pick = cand
					break
				}
			}
		}
		used[pick] = true
		out[n] = pick
	}
	return out
}

func candidates(r []rune) []string {
	if len(r) == 1 {
		return []string{string(r) + " "}
	}
	var out []string
	for i := 1; i < len(r); i++ {
		if r[i] == '-' || r[i] == '_' || r[i] == '.' {
			continue
		}
		out = append(out, string([]rune{r[0], r[i]}))
	}
	return out
}

// commonPrefix is the prefix, up to and including a separator, that every
// name shares (none with fewer than two names).
func commonPrefix(names []string) string {
	if len(names) < 2 {
		if len(names) == 1 {
			if i := strings.LastIndexAny(names[0], "-_."); i > 0 && i < len(names[0])-1 {
				return names[0][:i+1]
			}
		}
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	if i := strings.LastIndexAny(p, "-_."); i >= 0 {
		return p[:i+1]
	}
	return ""
}
