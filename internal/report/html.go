package report

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// palette colours the channels' lines, in turn.
var palette = []string{"#1f77b4", "#e4572e", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"}

// HTML writes the report as one self-contained page: inline CSS, plots as
// inline SVG, no script, nothing fetched. now dates the page.
func HTML(w io.Writer, r *Report, title string, now time.Time) error {
	data := map[string]any{
		"Title":   title,
		"R":       r,
		"Made":    now.In(r.zone).Format("2006-01-02 15:04 MST"),
		"Scope":   r.scope(),
		"Curve":   template.HTML(r.curveSVG()),
		"Bars":    template.HTML(r.barsSVG()),
		"Heat":    template.HTML(r.heatSVG()),
		"Metrics": r.Metrics,
	}
	return page().Execute(w, data)
}

func (r *Report) scope() string {
	var parts []string
	if r.Campaign != "" {
		parts = append(parts, "Campaign "+r.Campaign)
	}
	if r.From != nil {
		parts = append(parts, "from "+r.From.In(r.zone).Format("2006-01-02"))
	}
	if r.To != nil {
		parts = append(parts, "to "+r.To.In(r.zone).Format("2006-01-02"))
	}
	if len(parts) == 0 {
		parts = append(parts, "Everything published")
	}
	return strings.Join(parts, " ")
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"median": func(m *float64) string {
			if m == nil {
				return "–"
			}
			return strconv.FormatFloat(*m, 'f', -1, 64)
		},
		"metric": func(g Group, m string) string {
			if v, ok := g.Metrics[m]; ok {
				return strconv.FormatInt(v, 10)
			}
			return "–"
		},
		"eng": func(p Post) string {
			if p.Engagement == nil {
				return "–"
			}
			return strconv.FormatInt(*p.Engagement, 10)
		},
		"span": func(m []string) int { return len(m) + 2 },
		"day":  func(t time.Time, r *Report) string { return t.In(r.zone).Format("Mon 2 Jan 15:04") },
	}
}

// page is parsed on first use: a program that never writes a report pays
// nothing for it at start-up.
var page = sync.OnceValue(func() *template.Template { return template.Must(template.New("report").Funcs(funcs()).Parse(pageText)) })

const pageText = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.5em;margin:.2em 0}
h2{font-size:1.15em;margin:1.4em 0 .5em}
.sub{color:#5a6272;margin:0 0 1em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:1.6em}
.panel{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0002;margin-bottom:12px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6eb;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
svg{width:100%;height:auto;display:block}
svg text{font-family:system-ui,sans-serif}
.none{color:#5a6272;font-style:italic}
a{color:#1f5fa8;word-break:break-all}
@media (max-width:600px){body{font-size:15px}main{padding:10px}.card b{font-size:1.3em}}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
<p class="sub">{{.Scope}} · weekdays and hours in {{.R.Zone}} · made {{.Made}}</p>
<div class="cards">
<div class="card"><b>{{.R.Total.Posts}}</b>{{if eq .R.Total.Posts 1}}delivery{{else}}deliveries{{end}}</div>
<div class="card"><b>{{.R.Total.WithNumbers}}</b>with numbers</div>
<div class="card"><b>{{.R.Total.Engagement}}</b>engagement</div>
<div class="card"><b>{{median .R.Total.Median}}</b>median per post</div>
</div>
{{if .R.NoNumbers}}<p class="none">No numbers from {{range $i, $c := .R.NoNumbers}}{{if $i}}, {{end}}{{$c}}{{end}}: their networks give none.</p>{{end}}
<h2>Engagement after publishing, per channel</h2>
<div class="panel">{{.Curve}}</div>
<h2>Engagement per campaign</h2>
<div class="panel">{{.Bars}}</div>
<h2>When posts did best (median engagement, weekday × hour)</h2>
<div class="panel">{{.Heat}}</div>
<h2>By {{.R.By}}</h2>
<div class="panel scroll"><table>
<tr><th>{{.R.By}}</th><th class="n">posts</th><th class="n">engagement</th><th class="n">median</th>{{range .Metrics}}<th class="n">{{.}}</th>{{end}}</tr>
{{range .R.Groups}}{{$g := .}}<tr><td>{{.Key}}</td><td class="n">{{.Posts}}</td>{{if .NoNumbers}}<td colspan="{{span $.Metrics}}" class="none">no numbers from this network</td>{{else}}<td class="n">{{.Engagement}}</td><td class="n">{{median .Median}}</td>{{range $.Metrics}}<td class="n">{{metric $g .}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
<h2>Top posts</h2>
<div class="panel scroll"><table>
<tr><th>post</th><th>channel</th><th>published</th><th class="n">engagement</th><th>link</th></tr>
{{range .R.Top}}<tr><td>{{if .URL}}<a href="{{.URL}}">{{.Post}}</a>{{else}}{{.Post}}{{end}}</td><td>{{.Channel}}</td><td>{{day .PublishedAt $.R}}</td><td class="n">{{eng .}}</td><td>{{.Link}}</td></tr>
{{else}}<tr><td colspan="5" class="none">No numbers read yet.</td></tr>{{end}}</table></div>
{{if or .R.Bottom (not .R.Top)}}<h2>Bottom posts</h2>
<div class="panel scroll"><table>
<tr><th>post</th><th>channel</th><th>published</th><th class="n">engagement</th><th>link</th></tr>
{{range .R.Bottom}}<tr><td>{{if .URL}}<a href="{{.URL}}">{{.Post}}</a>{{else}}{{.Post}}{{end}}</td><td>{{.Channel}}</td><td>{{day .PublishedAt $.R}}</td><td class="n">{{eng .}}</td><td>{{.Link}}</td></tr>
{{else}}<tr><td colspan="5" class="none">No numbers read yet.</td></tr>{{end}}</table></div>{{end}}
</main>
</body>
</html>
`

// esc escapes text for SVG.
func esc(s string) string { return html.EscapeString(s) }

func num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// niceMax rounds a plot's top up to 1, 2 or 5 × a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// empty is the SVG said when a plot has nothing to draw.
func empty(msg string) string {
	return `<svg viewBox="0 0 600 60" role="img" aria-label="` + esc(msg) + `"><text x="300" y="35" text-anchor="middle" font-size="16" fill="#5a6272">` + esc(msg) + `</text></svg>`
}

// curveSVG draws, per channel, the median engagement of its posts at each
// point after publishing (+1h, +24h, …): the curve the snapshots make.
func (r *Report) curveSVG() string {
	byChannel := map[string]map[time.Duration][]int64{}
	offsets := map[time.Duration]string{}
	for _, p := range r.Posts {
		for _, sn := range p.Snapshots {
			n, ok := Engagement(sn)
			if !ok {
				continue
			}
			if byChannel[p.Channel] == nil {
				byChannel[p.Channel] = map[time.Duration][]int64{}
			}
			byChannel[p.Channel][sn.Offset] = append(byChannel[p.Channel][sn.Offset], n)
			offsets[sn.Offset] = sn.After
		}
	}
	if len(byChannel) == 0 {
		return empty("No numbers read yet")
	}
	var xs []time.Duration
	for o := range offsets {
		xs = append(xs, o)
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	var channels []string
	top := 0.0
	for ch, m := range byChannel {
		channels = append(channels, ch)
		for _, v := range m {
			top = math.Max(top, Median(v))
		}
	}
	sort.Strings(channels)
	top = niceMax(top)
	const W, H, L, R, T, B = 600.0, 300.0, 56.0, 24.0, 16.0, 44.0
	legend := 30.0 * float64((len(channels)+1)/2)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %s %s" role="img" aria-label="Median engagement per post after publishing, per channel">`, num(W), num(H+legend))
	x := func(i int) float64 {
		if len(xs) == 1 {
			return L + (W-L-R)/2
		}
		return L + float64(i)*(W-L-R)/float64(len(xs)-1)
	}
	y := func(v float64) float64 { return T + (H-T-B)*(1-v/top) }
	for k := 0; k <= 4; k++ {
		v := top * float64(k) / 4
		fmt.Fprintf(&b, `<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#e3e6eb"/><text x="%s" y="%s" font-size="18" text-anchor="end" fill="#5a6272">%s</text>`,
			num(L), num(W-R), num(y(v)), num(y(v)), num(L-6), num(y(v)+6), num(v))
	}
	for i, o := range xs {
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="19" text-anchor="middle" fill="#5a6272">+%s</text>`, num(x(i)), num(H-B+28), esc(offsets[o]))
	}
	for ci, ch := range channels {
		color := palette[ci%len(palette)]
		var pts []string
		for i, o := range xs {
			v, ok := byChannel[ch][o]
			if !ok {
				continue
			}
			pts = append(pts, num(x(i))+","+num(y(Median(v))))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="3" points="%s"/>`, color, strings.Join(pts, " "))
		for _, pt := range pts {
			xy := strings.Split(pt, ",")
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4" fill="%s"/>`, xy[0], xy[1], color)
		}
		lx, ly := 8+float64(ci%2)*300, H+float64(ci/2)*30+4
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="18" height="18" fill="%s"/><text x="%s" y="%s" font-size="20">%s</text>`,
			num(lx), num(ly), color, num(lx+26), num(ly+16), esc(ch))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// barsSVG draws each campaign's total engagement as a horizontal bar.
func (r *Report) barsSVG() string {
	totals := map[string]int64{}
	for _, p := range r.Posts {
		if p.Engagement == nil {
			continue
		}
		k := p.Campaign
		if k == "" {
			k = "(no campaign)"
		}
		totals[k] += *p.Engagement
	}
	if len(totals) == 0 {
		return empty("No numbers read yet")
	}
	var keys []string
	top := 0.0
	for k, v := range totals {
		keys = append(keys, k)
		top = math.Max(top, float64(v))
	}
	sort.Slice(keys, func(i, j int) bool {
		if totals[keys[i]] != totals[keys[j]] {
			return totals[keys[i]] > totals[keys[j]]
		}
		return keys[i] < keys[j]
	})
	top = niceMax(top)
	const W, row, label = 600.0, 44.0, 210.0
	H := row*float64(len(keys)) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %s %s" role="img" aria-label="Total engagement per campaign">`, num(W), num(H))
	for i, k := range keys {
		yy := 4 + row*float64(i)
		w := (W - label - 70) * float64(totals[k]) / top
		name := k
		if len([]rune(name)) > 18 {
			name = string([]rune(name)[:17]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="20" text-anchor="end">%s</text>`, num(label-8), num(yy+row/2+6), esc(name))
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="3" fill="%s"/>`, num(label), num(yy+4), num(math.Max(w, 1)), num(row-10), palette[i%len(palette)])
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="19" fill="#1d2330">%d</text>`, num(label+math.Max(w, 1)+6), num(yy+row/2+6), totals[k])
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// heatSVG draws the median engagement of the posts published in each
// weekday × hour (in the report's zone); an hour without a post is blank.
func (r *Report) heatSVG() string {
	var cells [7][24][]int64
	any := false
	for _, p := range r.Posts {
		if p.Engagement == nil {
			continue
		}
		t := p.PublishedAt.In(r.zone)
		cells[weekdayIndex(t)][t.Hour()] = append(cells[weekdayIndex(t)][t.Hour()], *p.Engagement)
		any = true
	}
	if !any {
		return empty("No numbers read yet")
	}
	top := 0.0
	for d := range cells {
		for h := range cells[d] {
			if len(cells[d][h]) > 0 {
				top = math.Max(top, Median(cells[d][h]))
			}
		}
	}
	const L, T, C = 52.0, 30.0, 22.0
	W, H := L+24*C+4, T+7*C+4
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %s %s" role="img" aria-label="Median engagement by weekday and hour">`, num(W), num(H))
	for h := 0; h < 24; h += 6 {
		fmt.Fprintf(&b, `<text x="%s" y="22" font-size="18" text-anchor="middle" fill="#5a6272">%02d</text>`, num(L+float64(h)*C+C/2), h)
	}
	for d := range 7 {
		yy := T + float64(d)*C
		fmt.Fprintf(&b, `<text x="%s" y="%s" font-size="18" text-anchor="end" fill="#5a6272">%s</text>`, num(L-6), num(yy+C/2+6), weekdays[d])
		for h := range 24 {
			xx := L + float64(h)*C
			v := cells[d][h]
			if len(v) == 0 {
				fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#f0f1f4"/>`, num(xx+1), num(yy+1), num(C-2), num(C-2))
				continue
			}
			m := Median(v)
			share := 0.15
			if top > 0 {
				share = 0.15 + 0.85*m/top
			}
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="#e4572e" fill-opacity="%s"><title>%s %02d:00: median %s over %d posts</title></rect>`,
				num(xx+1), num(yy+1), num(C-2), num(C-2), num(share), weekdays[d], h, num(m), len(v))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}
