package calview

import (
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
)

// htmlLines is how many entries a day of the page shows before "+N more"
// (the rest unfold under it, without a script), as in the terminal grid.
const htmlLines = 4

// HTML writes v as one self-contained page: inline CSS, no script, nothing
// fetched. The month grid turns into a list of days on a narrow screen.
// Published entries are marked ✓ and muted, failed, missed and held ones
// stand out (✗, !), so what is done reads apart from what is to come.
func HTML(w io.Writer, v View, title string) error {
	type cell struct {
		Day           *Day
		Number        int
		Weekday       string
		Blackouts     string
		Shown, Hidden []calendar.Entry
	}
	lead := (int(v.From.Weekday()) + 6) % 7
	var cells []cell
	for i := 0; i < lead; i++ {
		cells = append(cells, cell{})
	}
	for i := range v.Days {
		d := &v.Days[i]
		var bl []string
		for _, b := range d.Blackouts {
			bl = append(bl, blackoutText(b))
		}
		c := cell{Day: d, Number: d.start.Day(), Weekday: d.start.Format("Monday 2 January"), Blackouts: strings.Join(bl, "; "), Shown: d.Entries}
		if len(d.Entries) > htmlLines {
			c.Shown, c.Hidden = d.Entries[:htmlLines-1], d.Entries[htmlLines-1:]
		}
		cells = append(cells, c)
	}
	for len(cells)%7 != 0 {
		cells = append(cells, cell{})
	}
	data := struct {
		Title     string
		Heading   string
		Zone      string
		Weekdays  []string
		Cells     []cell
		Campaigns []Campaign
		Channels  [][2]string
		Count     int
	}{Title: title, Heading: v.From.Format("January 2006"), Zone: v.Zone, Weekdays: weekdays, Cells: cells, Campaigns: v.Campaigns}
	for _, d := range v.Days {
		data.Count += len(d.Entries)
	}
	for _, n := range sortedNames(v.Abbrev) {
		data.Channels = append(data.Channels, [2]string{strings.TrimSpace(v.Abbrev[n]), n})
	}
	funcs := template.FuncMap{
		"clock": func(e calendar.Entry) string { return clockOf(e.At.In(v.loc)) },
		"abbr":  func(e calendar.Entry) string { return strings.TrimSpace(v.Abbrev[e.Channel]) },
		"color": func(e calendar.Entry) template.CSS {
			if c := CampaignHex(e.Campaign, e.CampaignColor); c != "" {
				return template.CSS("--c:" + c)
			}
			return ""
		},
		"swatch": func(c Campaign) template.CSS { return template.CSS("--c:" + c.Color) },
		"iso":    func(e calendar.Entry) string { return e.At.UTC().Format(time.RFC3339) },
		"state":  entryState,
		"mark":   entryMark,
	}
	t, err := template.New("page").Funcs(funcs).Parse(page)
	if err != nil {
		return fmt.Errorf("calendar page template: %w", err)
	}
	return t.Execute(w, data)
}

// entryState is an entry's classes on the page: its delivery's state, and
// "attn" when a person has to look at it.
func entryState(e calendar.Entry) string {
	switch e.Status {
	case calendar.DeliveryFailed, calendar.DeliveryMissed, calendar.DeliveryHeld:
		return e.Status + " attn"
	}
	return e.Status
}

// entryMark is the sign before an entry: ✓ published, ✗ failed or missed,
// ! held; nothing for what is still to come.
func entryMark(e calendar.Entry) string {
	switch e.Status {
	case calendar.DeliveryPublished:
		return "✓"
	case calendar.DeliveryFailed, calendar.DeliveryMissed:
		return "✗"
	case calendar.DeliveryHeld:
		return "!"
	}
	return ""
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
:root { --ink:#1d2330; --muted:#6b7280; --line:#d9dde5; --bg:#ffffff; --paper:#f6f7fb; --today:#fff4c2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
header { padding: 16px 20px 8px; }
h1 { margin: 0; font-size: 22px; }
.meta { color: var(--muted); font-size: 12px; }
.grid { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 1px; background: var(--line); border: 1px solid var(--line); margin: 8px 20px; }
.dow { background: #eef0f6; font-weight: 600; padding: 6px 8px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.day { background: var(--bg); min-height: 110px; padding: 6px; }
.day.pad { background: #f0f1f5; }
.day.today { background: var(--today); }
.day.blackout { background: repeating-linear-gradient(135deg, #eceff4 0 8px, #dfe3ea 8px 16px); }
.num { font-weight: 700; font-size: 13px; }
.wd { display: none; }
.why { display: block; color: #8a3b12; font-size: 11px; }
ul { list-style: none; margin: 4px 0 0; padding: 0; }
li.e { border-left: 4px solid var(--c, #9aa3b2); background: color-mix(in srgb, var(--c, #9aa3b2) 14%, white); margin: 3px 0; padding: 2px 5px; border-radius: 3px; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
li.e.canceled { text-decoration: line-through; opacity: .6; }
li.e.published { opacity: .62; background: #f1f2f5; }
li.e.attn { border-left-color: #b42318; background: #fdecea; box-shadow: inset 0 0 0 1px #e8a29b; }
.mk { font-weight: 700; margin-right: 3px; }
li.e.published .mk { color: #1a7f37; }
li.e.attn .mk { color: #b42318; }
details.more { margin: 2px 0 0; font-size: 12px; }
details.more summary { color: var(--muted); cursor: pointer; list-style: none; padding: 1px 5px; }
details.more summary::-webkit-details-marker { display: none; }
.t { font-variant-numeric: tabular-nums; font-weight: 600; }
.ch { color: var(--muted); }
.legend { margin: 8px 20px 24px; display: flex; flex-wrap: wrap; gap: 6px 18px; font-size: 13px; }
.sw { display: inline-block; width: 12px; height: 12px; border-radius: 2px; background: var(--c); vertical-align: -1px; margin-right: 5px; }
@media (max-width: 700px) {
  .grid { display: block; border: 0; background: none; margin: 8px 10px; }
  .dow, .day.pad, .day.quiet { display: none; }
  .day { min-height: 0; margin-bottom: 8px; border: 1px solid var(--line); border-radius: 6px; }
  .wd { display: inline; }
  .n { display: none; }
  li.e { white-space: normal; }
}
</style>
</head>
<body>
<header>
<h1>{{.Heading}}</h1>
<div class="meta">{{.Count}} planned · times in {{.Zone}}</div>
</header>
<main class="grid">
{{- range .Weekdays}}
<div class="dow">{{.}}</div>
{{- end}}
{{- range .Cells}}
{{- if not .Day}}
<div class="day pad"></div>
{{- else}}
<section class="day{{if .Day.Today}} today{{end}}{{if .Day.Blackouts}} blackout{{end}}{{if and (not .Day.Entries) (not .Day.Blackouts)}} quiet{{end}}" id="d{{.Day.Date}}">
<div class="num"><span class="n">{{.Number}}</span><span class="wd">{{.Weekday}}</span>{{if .Day.Today}} · today{{end}}</div>
{{- if .Blackouts}}<span class="why">Blackout: {{.Blackouts}}</span>{{end}}
{{- if .Shown}}
<ul>
{{- range .Shown}}
{{template "entry" .}}
{{- end}}
</ul>
{{- end}}
{{- if .Hidden}}
<details class="more"><summary>+{{len .Hidden}} more</summary>
<ul>
{{- range .Hidden}}
{{template "entry" .}}
{{- end}}
</ul>
</details>
{{- end}}
</section>
{{- end}}
{{- end}}
</main>
<footer class="legend">
{{- range .Campaigns}}
<span><span class="sw" style="{{swatch .}}"></span>{{.Name}}</span>
{{- end}}
{{- range .Channels}}
<span><b>{{index . 0}}</b> {{index . 1}}</span>
{{- end}}
<span><b class="mk">✓</b> published · <b class="mk">✗</b> failed or missed · <b class="mk">!</b> held · unmarked: to come</span>
</footer>
</body>
</html>
{{- define "entry"}}<li class="e {{state .}}" style="{{color .}}" title="{{.Channel}} · {{.Status}}{{if .Campaign}} · {{.Campaign}}{{end}}">{{with mark .}}<span class="mk">{{.}}</span>{{end}}<time class="t" datetime="{{iso .}}">{{clock .}}</time> <span class="ch">{{abbr .}}</span> {{.Label}}</li>{{end}}
`
