package calview

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rivo/uniseg"

	"github.com/crieur/crieur/calendar"
)

// Text options for the terminal views.
type Text struct {
	Width int  // columns to fill (at least MinWidth is used)
	Color bool // ANSI colour: only on a terminal, or when forced
	// Lines is how many entries a month cell shows before "+N more".
	Lines int
}

// MonthLines is how many entries a month cell shows, the last line being
// "+N more" when the day holds more: what Store.EntriesByDay needs of a day.
func (t Text) MonthLines() int {
	if t.Lines <= 0 {
		return 4
	}
	return t.Lines
}

// MinWidth is the narrowest grid drawn: a classic terminal.
const MinWidth = 80

const (
	sgrReset   = "\x1b[0m"
	sgrDim     = "2"
	sgrBold    = "1"
	sgrInverse = "7"
	shade      = "░"
)

func (t Text) paint(code, s string) string {
	if !t.Color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + sgrReset
}

func (t Text) width() int {
	if t.Width < MinWidth {
		return MinWidth
	}
	return t.Width
}

// fit cuts s to w display columns (an ellipsis marks the cut) and pads it.
func fit(s string, w int) string {
	s = strings.Join(strings.Fields(s), " ")
	if uniseg.StringWidth(s) > w {
		var b strings.Builder
		used := 0
		g := uniseg.NewGraphemes(s)
		for g.Next() {
			cw := g.Width()
			if used+cw > w-1 {
				break
			}
			b.WriteString(g.Str())
			used += cw
		}
		s = strings.TrimRight(b.String(), " ") + "…"
	}
	return s + strings.Repeat(" ", max(0, w-uniseg.StringWidth(s)))
}

func center(s string, w int) string {
	pad := max(0, (w-uniseg.StringWidth(s))/2)
	return strings.Repeat(" ", pad) + s
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// entryLine is how a cell lists an entry: "09:00 ma Title…".
func (t Text) entryLine(v View, e calendar.Entry, w int) string {
	return t.paintEntry(e, fit(clockOf(e.At.In(v.loc))+" "+v.Abbrev[e.Channel]+" "+e.Label, w))
}

// clockOf is at's wall-clock time, "09:00", with its zone ("01:30 EDT",
// "01:30 EST") where the clock reads it twice, on the night clocks go back.
func clockOf(at time.Time) string {
	if readsTwice(at) {
		return at.Format("15:04 MST")
	}
	return at.Format("15:04")
}

// paintEntry colours an entry's text by its campaign; a canceled one is dim.
func (t Text) paintEntry(e calendar.Entry, text string) string {
	if e.Status == calendar.DeliveryCanceled {
		return t.paint(sgrDim, text)
	}
	return t.paint(ansiFG(CampaignHex(e.Campaign, e.CampaignColor)), text)
}

// dayHeader is a cell's first line: the day number, "today", and shading
// across a blacked-out day.
func (t Text) dayHeader(d Day, label string, w int) string {
	head := label
	if d.Today {
		if uniseg.StringWidth(label)+len(" today") <= w {
			head += " today"
		} else {
			head += "*"
		}
	}
	if len(d.Blackouts) > 0 {
		head += " "
	}
	if len(d.Blackouts) > 0 {
		head += strings.Repeat(shade, max(0, w-uniseg.StringWidth(head)))
	}
	head = fit(head, w)
	switch {
	case d.Today:
		return t.paint(sgrInverse, head)
	case len(d.Blackouts) > 0:
		return t.paint(sgrDim, head)
	}
	return t.paint(sgrBold, head)
}

// Month draws the month grid: weeks as rows, Monday first.
func (t Text) Month(w io.Writer, v View) error {
	width := t.width()
	cw := (width-1)/7 - 1
	lines := t.MonthLines()
	var b strings.Builder
	b.WriteString(center(v.From.Format("January 2006"), 7*(cw+1)+1) + "\n")
	rule := func(l, m, r string) {
		b.WriteString(l)
		for i := 0; i < 7; i++ {
			b.WriteString(strings.Repeat("─", cw))
			if i < 6 {
				b.WriteString(m)
			}
		}
		b.WriteString(r + "\n")
	}
	rule("┌", "┬", "┐")
	b.WriteString("│")
	for _, name := range weekdays {
		b.WriteString(fit(name, cw) + "│")
	}
	b.WriteString("\n")
	lead := (int(v.From.Weekday()) + 6) % 7
	cells := make([]*Day, lead, lead+len(v.Days)+6)
	for i := range v.Days {
		cells = append(cells, &v.Days[i])
	}
	for len(cells)%7 != 0 {
		cells = append(cells, nil)
	}
	for wk := 0; wk < len(cells); wk += 7 {
		rule("├", "┼", "┤")
		week := cells[wk : wk+7]
		content := make([][]string, 7)
		rows := 1
		for i, d := range week {
			if d != nil {
				content[i] = t.cellLines(v, d, lines, cw)
				rows = max(rows, len(content[i]))
			}
		}
		b.WriteString("│")
		for _, d := range week {
			if d == nil {
				b.WriteString(strings.Repeat(" ", cw) + "│")
			} else {
				b.WriteString(t.dayHeader(*d, strconv.Itoa(d.start.Day()), cw) + "│")
			}
		}
		b.WriteString("\n")
		for r := 0; r < rows; r++ {
			b.WriteString("│")
			for i := range week {
				if r < len(content[i]) {
					b.WriteString(content[i][r])
				} else {
					b.WriteString(strings.Repeat(" ", cw))
				}
				b.WriteString("│")
			}
			b.WriteString("\n")
		}
	}
	rule("└", "┴", "┘")
	b.WriteString(t.legend(v))
	_, err := io.WriteString(w, b.String())
	return err
}

// narrowCell is the width under which a month cell gives an entry two lines
// (time and channel, then the title) rather than one with no room for a title.
const narrowCell = 14

// cellLines is a day's entries as cell lines, the last of them "+N more" when
// the day holds more than lines entries.
func (t Text) cellLines(v View, d *Day, lines, cw int) []string {
	n := d.count()
	shown := n
	if n > lines {
		shown = lines - 1
	}
	// A day from BuildByDay may hold fewer than it counts (entries deleted
	// between EntriesByDay's two reads): those left are counted as more.
	shown = min(shown, len(d.Entries))
	var out []string
	for _, e := range d.Entries[:shown] {
		if cw < narrowCell {
			head := fit(clockOf(e.At.In(v.loc))+" "+v.Abbrev[e.Channel], cw)
			out = append(out, t.paintEntry(e, head), t.paintEntry(e, fit(e.Label, cw)))
			continue
		}
		out = append(out, t.entryLine(v, e, cw))
	}
	if shown < n {
		out = append(out, t.paint(sgrDim, fit(fmt.Sprintf("+%d more", n-shown), cw)))
	}
	return out
}

// legend names the channel abbreviations and the campaigns' colours.
func (t Text) legend(v View) string {
	var parts []string
	names := make([]string, 0, len(v.Abbrev))
	for n := range v.Abbrev {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, strings.TrimSpace(v.Abbrev[n])+"="+n)
	}
	var b strings.Builder
	if len(parts) > 0 {
		b.WriteString("Channels: " + strings.Join(parts, "  ") + "\n")
	}
	if len(v.Campaigns) > 0 {
		parts = parts[:0]
		for _, c := range v.Campaigns {
			parts = append(parts, t.paint(ansiFG(c.Color), "■ "+c.Name))
		}
		b.WriteString("Campaigns: " + strings.Join(parts, "  ") + "\n")
	}
	var bl []string
	seen := map[int64]bool{}
	for _, d := range v.Days {
		for _, x := range d.Blackouts {
			if !seen[x.ID] {
				seen[x.ID] = true
				bl = append(bl, fmt.Sprintf("%s %s–%s %s", shade, x.StartsAt.In(v.loc).Format("Jan 2 15:04"), x.EndsAt.In(v.loc).Format("Jan 2 15:04"), blackoutText(x)))
			}
		}
	}
	if len(bl) > 0 {
		b.WriteString("Blackouts: " + strings.Join(bl, "; ") + "\n")
	}
	return b.String()
}

func blackoutText(b calendar.Blackout) string {
	s := b.Reason
	if b.Channel != "" {
		s += " (" + b.Channel + ")"
	}
	if b.Drop {
		s += " [drop]"
	}
	return s
}

// Week draws one week with hours as rows: from 08:00 to 18:00, widened to
// hold every entry.
func (t Text) Week(w io.Writer, v View) error {
	width := t.width()
	const label = 5
	cw := (width-label-1)/len(v.Days) - 1
	first, last := 8, 18
	for _, d := range v.Days {
		for _, e := range d.Entries {
			h := e.At.In(v.loc).Hour()
			first, last = min(first, h), max(last, h)
		}
	}
	var b strings.Builder
	end := v.To.AddDate(0, 0, -1)
	b.WriteString(center(fmt.Sprintf("Week of %s – %s", v.From.Format("Mon 2 Jan 2006"), end.Format("Mon 2 Jan 2006")), label+1+len(v.Days)*(cw+1)) + "\n")
	rule := func(l, m, r string) {
		b.WriteString(strings.Repeat("─", label) + l)
		for i := range v.Days {
			b.WriteString(strings.Repeat("─", cw))
			if i < len(v.Days)-1 {
				b.WriteString(m)
			}
		}
		b.WriteString(r + "\n")
	}
	rule("┬", "┬", "┐")
	b.WriteString(strings.Repeat(" ", label) + "│")
	for _, d := range v.Days {
		b.WriteString(t.dayHeader(d, d.start.Format("Mon 2"), cw) + "│")
	}
	b.WriteString("\n")
	rule("┼", "┼", "┤")
	for h := first; h <= last; h++ {
		byDay := make([][]calendar.Entry, len(v.Days))
		rows := 1
		for i, d := range v.Days {
			for _, e := range d.Entries {
				if e.At.In(v.loc).Hour() == h {
					byDay[i] = append(byDay[i], e)
				}
			}
			rows = max(rows, len(byDay[i]))
		}
		for r := 0; r < rows; r++ {
			if r == 0 {
				b.WriteString(fmt.Sprintf("%02d:00", h) + "│")
			} else {
				b.WriteString(strings.Repeat(" ", label) + "│")
			}
			for i := range v.Days {
				if r < len(byDay[i]) {
					b.WriteString(t.weekEntry(v, byDay[i][r], cw))
				} else {
					b.WriteString(strings.Repeat(" ", cw))
				}
				b.WriteString("│")
			}
			b.WriteString("\n")
		}
	}
	rule("┴", "┴", "┘")
	b.WriteString(t.legend(v))
	_, err := io.WriteString(w, b.String())
	return err
}

// weekEntry is an entry in its hour's row: "bs Title", or ":30 bs Title"
// when it is not on the hour. At a time the clock reads twice, on the
// night clocks go back, it says its zone (":30 EDT bs Title", ":30 EST bs …"),
// as both share one row.
func (t Text) weekEntry(v View, e calendar.Entry, w int) string {
	text := v.Abbrev[e.Channel] + " " + e.Label
	at := e.At.In(v.loc)
	switch m := at.Minute(); {
	case readsTwice(at):
		text = fmt.Sprintf(":%02d %s %s", m, at.Format("MST"), text)
	case m != 0:
		text = fmt.Sprintf(":%02d %s", m, text)
	}
	return t.paintEntry(e, fit(text, w))
}

// readsTwice says whether t's wall-clock time comes twice that night:
// another instant, under the zone's offset a few hours before or after t,
// reads the same on the clock. The clocks may go back by an hour, half an
// hour (Australia/Lord_Howe) or two (Antarctica/Troll): only the times
// that do come twice say their zone.
func readsTwice(t time.Time) bool {
	_, off := t.Zone()
	for _, probe := range []time.Duration{-3 * time.Hour, 3 * time.Hour} {
		_, other := t.Add(probe).Zone()
		if other == off {
			continue
		}
		u := t.Add(time.Duration(off-other) * time.Second).In(t.Location())
		if _, o := u.Zone(); o == other && u.Format(time.DateTime) == t.Format(time.DateTime) {
			return true
		}
	}
	return false
}

// Agenda lists day by day, with full titles, channels and states. Days with
// nothing planned and no blackout are left out.
func (t Text) Agenda(w io.Writer, v View) error {
	chw := 0
	for _, d := range v.Days {
		for _, e := range d.Entries {
			chw = max(chw, uniseg.StringWidth(e.Channel))
		}
	}
	var b strings.Builder
	any := false
	for _, d := range v.Days {
		if len(d.Entries) == 0 && len(d.Blackouts) == 0 {
			continue
		}
		if any {
			b.WriteString("\n")
		}
		any = true
		head := d.start.Format("Monday 2 January 2006")
		if d.Today {
			head += " (today)"
		}
		b.WriteString(t.paint(sgrBold, head) + "\n")
		for _, x := range d.Blackouts {
			b.WriteString("  " + t.paint(sgrDim, fmt.Sprintf("%s blackout %s–%s: %s", shade, x.StartsAt.In(v.loc).Format("Jan 2 15:04"), x.EndsAt.In(v.loc).Format("Jan 2 15:04"), blackoutText(x))) + "\n")
		}
		// On the night clocks go back, an hour of wall-clock times comes
		// twice: that day's times say their zone (01:30 EDT, 01:30 EST).
		clock := "15:04"
		if nextDay(d.start).Sub(d.start) > 24*time.Hour {
			clock = "15:04 MST"
		}
		for _, e := range d.Entries {
			state := e.Status
			if e.PostStatus != "" && e.PostStatus != e.Status {
				state = e.PostStatus + "/" + e.Status
			}
			line := fmt.Sprintf("  %s  %s  %-19s  ", e.At.In(v.loc).Format(clock), fit(e.Channel, chw), state)
			title := e.Label
			if e.Campaign != "" {
				title += " [" + e.Campaign + "]"
			}
			b.WriteString(line + t.paint(ansiFG(CampaignHex(e.Campaign, e.CampaignColor)), title) + "  (" + e.Slug + ")\n")
		}
	}
	if !any {
		b.WriteString("Nothing planned from " + v.From.Format("2 Jan 2006") + " to " + v.To.AddDate(0, 0, -1).Format("2 Jan 2006") + ".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Render draws v by its kind.
func (t Text) Render(w io.Writer, v View) error {
	switch v.Kind {
	case "week":
		return t.Week(w, v)
	case "agenda":
		return t.Agenda(w, v)
	}
	return t.Month(w, v)
}
