package report

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func snap(after time.Duration, pub time.Time, state string, counts map[string]int64) calendar.Snapshot {
	return calendar.Snapshot{Offset: after, After: calendar.OffsetWords(after), TakenAt: pub.Add(after), State: state, Counts: counts}
}

// fixture is a small calendar's published deliveries: Mastodon and Bluesky
// with numbers, a log channel without, a post deleted later, a post not
// collected yet, a metric a network left out.
func fixture() []calendar.DeliveryEngagement {
	mon, tue, tue2, wed := at("2026-11-02 09:10"), at("2026-11-03 18:00"), at("2026-11-03 18:30"), at("2026-11-04 12:00")
	spring := map[string]string{"utm_medium": "social"}
	return []calendar.DeliveryEngagement{
		{Slug: "p1", Channel: "m", Network: "mastodon", Campaign: "spring", CampaignUTM: spring, Tags: []string{"launch"}, PublishedAt: mon, Link: "https://example.org/a",
			Snapshots: []calendar.Snapshot{
				snap(time.Hour, mon, "ok", map[string]int64{"replies": 1, "reposts": 2, "likes": 3}),
				snap(24*time.Hour, mon, "ok", map[string]int64{"replies": 2, "reposts": 4, "likes": 10})}},
		{Slug: "p1", Channel: "b", Network: "bluesky", Campaign: "spring", Tags: []string{"launch"}, PublishedAt: mon,
			Snapshots: []calendar.Snapshot{snap(time.Hour, mon, "ok", map[string]int64{"likes": 5, "reposts": 1, "replies": 0, "quotes": 1})}},
		{Slug: "p2", Channel: "m", Network: "mastodon", Campaign: "spring", Tags: []string{"tips", "launch"}, PublishedAt: tue,
			Snapshots: []calendar.Snapshot{
				snap(time.Hour, tue, "ok", map[string]int64{"replies": 0, "reposts": 0, "likes": 2}),
				snap(24*time.Hour, tue, "deleted", nil)}},
		{Slug: "p3", Channel: "b", Network: "bluesky", PublishedAt: tue2,
			Snapshots: []calendar.Snapshot{snap(time.Hour, tue2, "ok", map[string]int64{"likes": 3})}},
		{Slug: "p3", Channel: "l", Network: "log", PublishedAt: tue2},
		{Slug: "p4", Channel: "m", Network: "mastodon", PublishedAt: wed},
	}
}

func metrics(network string) []string {
	return map[string][]string{"mastodon": {"replies", "reposts", "likes"}, "bluesky": {"replies", "reposts", "likes", "quotes"}}[network]
}

func build(t *testing.T, by string) *Report {
	t.Helper()
	r, err := Build(fixture(), Options{By: by, Zone: paris, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// row writes a group as key posts/with engagement median metrics…, "-" for unknown.
func row(g Group, ms []string) string {
	med := "-"
	if g.Median != nil {
		med = strconv.FormatFloat(*g.Median, 'f', -1, 64)
	}
	s := g.Key + " " + jsonOf(g.Posts) + "/" + jsonOf(g.WithNumbers) + " " + jsonOf(g.Engagement) + " " + med
	for _, m := range ms {
		if v, ok := g.Metrics[m]; ok {
			s += " " + m + "=" + jsonOf(v)
		}
	}
	if g.NoNumbers {
		s += " no-numbers"
	}
	return s
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestReportNumbers(t *testing.T) {
	cases := []struct {
		by   string
		want []string
	}{
		{"channel", []string{
			"b 2/2 10 5 replies=0 reposts=1 likes=8 quotes=1",
			"l 1/0 0 - no-numbers",
			"m 3/2 18 9 replies=2 reposts=4 likes=12",
		}},
		{"campaign", []string{
			"(no campaign) 3/1 3 3 likes=3",
			"spring 3/3 25 7 replies=2 reposts=5 likes=17 quotes=1",
		}},
		{"tag", []string{
			"(untagged) 3/1 3 3 likes=3",
			"launch 3/3 25 7 replies=2 reposts=5 likes=17 quotes=1",
			"tips 1/1 2 2 replies=0 reposts=0 likes=2",
		}},
		// In the calendar's zone (Paris), Monday first.
		{"weekday", []string{
			"Mon 2/2 23 11.5 replies=2 reposts=5 likes=15 quotes=1",
			"Tue 3/2 5 2.5 replies=0 reposts=0 likes=5",
			"Wed 1/0 0 -",
		}},
		{"hour", []string{
			"09:00 2/2 23 11.5 replies=2 reposts=5 likes=15 quotes=1",
			"12:00 1/0 0 -",
			"18:00 3/2 5 2.5 replies=0 reposts=0 likes=5",
		}},
		// By engagement, best first.
		{"post", []string{
			"p1 2/2 23 11.5 replies=2 reposts=5 likes=15 quotes=1",
			"p3 2/1 3 3 likes=3",
			"p2 1/1 2 2 replies=0 reposts=0 likes=2",
			"p4 1/0 0 -",
		}},
	}
	for _, c := range cases {
		t.Run(c.by, func(t *testing.T) {
			r := build(t, c.by)
			if got := row(r.Total, r.Metrics); got != "total 6/4 28 5 replies=2 reposts=5 likes=20 quotes=1" {
				t.Errorf("total %q", got)
			}
			var got []string
			for _, g := range r.Groups {
				got = append(got, row(g, r.Metrics))
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("groups\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestReportPosts(t *testing.T) {
	r := build(t, "channel")
	if strings.Join(r.Metrics, ",") != "replies,reposts,likes,quotes" {
		t.Errorf("metrics %v", r.Metrics)
	}
	var top, bottom []string
	for _, p := range r.Top {
		top = append(top, p.Post+"/"+p.Channel+"="+jsonOf(*p.Engagement))
	}
	for _, p := range r.Bottom {
		bottom = append(bottom, p.Post+"/"+p.Channel+"="+jsonOf(*p.Engagement))
	}
	// Four posts with numbers, five listed at the top: all are there, and
	// the bottom list does not repeat them.
	if strings.Join(top, " ") != "p1/m=16 p1/b=7 p3/b=3 p2/m=2" || len(bottom) != 0 {
		t.Errorf("top %v bottom %v", top, bottom)
	}
	states := map[string]string{}
	for _, p := range r.Posts {
		states[p.Post+"/"+p.Channel] = p.State
	}
	want := map[string]string{"p1/m": "ok", "p1/b": "ok", "p2/m": "deleted", "p3/b": "ok", "p3/l": StateNoNumbers, "p4/m": StateNotCollected}
	if jsonOf(states) != jsonOf(want) {
		t.Errorf("states %v, want %v", states, want)
	}
	if p := r.Posts[3]; p.Counts["likes"] != 3 {
		t.Errorf("p3/b counts %v", p.Counts)
	} else if _, known := p.Counts["replies"]; known {
		t.Error("a metric the network left out became known")
	}
	if strings.Join(r.NoNumbers, ",") != "l" {
		t.Errorf("no numbers from %v", r.NoNumbers)
	}
	if _, err := Build(nil, Options{By: "month"}); err == nil {
		t.Error("an unknown grouping is accepted")
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []int64
		want float64
	}{{[]int64{5}, 5}, {[]int64{16, 2, 7, 3}, 5}, {[]int64{9, 1, 4}, 4}, {nil, 0}} {
		if got := Median(c.in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	var rows []calendar.DeliveryEngagement
	for _, e := range fixture() {
		if e.Channel == "m" || e.Channel == "b" {
			rows = append(rows, e)
		}
	}
	s := Suggest("acme", rows, paris, 2, 3)
	if !s.Enough || s.Posts != 4 || jsonOf(s.Slots) != `[{"weekday":"Mon","hour":9,"slot":"Mon 09:00","posts":2,"median":11.5},{"weekday":"Tue","hour":18,"slot":"Tue 18:00","posts":2,"median":2.5}]` {
		t.Errorf("suggestion %+v", s)
	}
	s = Suggest("acme", rows, paris, 5, 5)
	if s.Enough || len(s.Slots) != 0 || !strings.Contains(s.Message, "acme has 4 posts with numbers; at least 5") {
		t.Errorf("with too little data: %+v", s)
	}
}

func TestHTMLSelfContained(t *testing.T) {
	r := build(t, "channel")
	r.Posts[0].Post = `<script>alert(1)</script>`
	var b bytes.Buffer
	if err := HTML(&b, r, "Spring <report>", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<svg", "<polyline", "<rect", "Spring &lt;report&gt;", "no numbers from this network", `name="viewport"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Every post with numbers is at the top: no bottom list claiming none were read.
	if strings.Contains(page, "Bottom posts") || strings.Contains(page, "No numbers read yet") {
		t.Error("the page has a bottom list although the top lists every post")
	}
	for _, bad := range []string{"<script", "src=", "@import", "url(", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("page has %q: not self-contained or not escaped", bad)
		}
	}
}

// A report with nothing in it gives scripts empty lists, never null, where
// a list is expected (a median or an engagement stays null: unknown).
func TestBuildEmptyListsNotNull(t *testing.T) {
	for _, rows := range map[string][]calendar.DeliveryEngagement{
		"no posts":   nil,
		"no numbers": {{Slug: "a", Channel: "log", Network: "log", PublishedAt: at("2026-11-02 09:00")}},
	} {
		r, err := Build(rows, Options{Zone: paris})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"metrics", "groups", "top", "bottom", "posts"} {
			if _, ok := doc[k].([]any); !ok {
				t.Errorf("%d rows: %q is %v, want a list: %s", len(rows), k, doc[k], b)
			}
		}
	}
}

// The bottom list never repeats a post of the top list: with 8 posts and 5 at
// the top, the bottom has the 3 others, lowest first.
func TestTopBottomApart(t *testing.T) {
	for _, tc := range []struct {
		posts, top int
		wantTop    string
		wantBottom string
	}{
		{8, 5, "8 7 6 5 4", "1 2 3"},
		{10, 5, "10 9 8 7 6", "1 2 3 4 5"},
		{12, 5, "12 11 10 9 8", "1 2 3 4 5"},
		{3, 5, "3 2 1", ""},
		{2, 1, "2", "1"},
	} {
		var rows []calendar.DeliveryEngagement
		pub := at("2026-11-02 09:00")
		for i := 1; i <= tc.posts; i++ {
			rows = append(rows, calendar.DeliveryEngagement{Slug: strconv.Itoa(i), Channel: "m", Network: "mastodon", PublishedAt: pub,
				Snapshots: []calendar.Snapshot{snap(time.Hour, pub, "ok", map[string]int64{"likes": int64(i)})}})
		}
		r, err := Build(rows, Options{By: "channel", Zone: paris, Metrics: metrics, Top: tc.top})
		if err != nil {
			t.Fatal(err)
		}
		var top, bottom []string
		for _, p := range r.Top {
			top = append(top, p.Post)
		}
		for _, p := range r.Bottom {
			bottom = append(bottom, p.Post)
		}
		if strings.Join(top, " ") != tc.wantTop || strings.Join(bottom, " ") != tc.wantBottom {
			t.Errorf("%d posts, top %d: top %v bottom %v, want %q and %q", tc.posts, tc.top, top, bottom, tc.wantTop, tc.wantBottom)
		}
	}
}
