package calview

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rivo/uniseg"

	"github.com/crieur/crieur/calendar"
)

func TestAbbreviate(t *testing.T) {
	tests := []struct {
		names []string
		want  map[string]string
	}{
		{[]string{"acme-mastodon", "acme-bsky"}, map[string]string{"acme-mastodon": "ma", "acme-bsky": "bs"}},
		{[]string{"acme-mastodon", "acme-mailing"}, map[string]string{"acme-mailing": "ma", "acme-mastodon": "ms"}},
		{[]string{"blog"}, map[string]string{"blog": "bl"}},
		{[]string{"acme-x", "acme-y"}, map[string]string{"acme-x": "x ", "acme-y": "y "}},
		{[]string{"aa", "aa-a"}, map[string]string{"aa": "aa", "aa-a": "a1"}},
	}
	for _, tt := range tests {
		got := Abbreviate(tt.names)
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("Abbreviate(%v)[%s] = %q, want %q (all: %v)", tt.names, k, got[k], v, got)
			}
		}
	}
}

func TestCampaignHex(t *testing.T) {
	if got := CampaignHex("x", "#E4572E"); got != "#e4572e" {
		t.Errorf("own colour: %s", got)
	}
	if got := CampaignHex("x", "#abc"); got != "#aabbcc" {
		t.Errorf("short form: %s", got)
	}
	a, b := CampaignHex("winter", "not-a-colour"), CampaignHex("winter", "")
	if a == "" || a != b || !strings.HasPrefix(a, "#") {
		t.Errorf("stable colour from the name: %q %q", a, b)
	}
	if CampaignHex("", "") != "" {
		t.Error("no campaign, no colour")
	}
}

func TestFitCountsDisplayWidth(t *testing.T) {
	tests := []struct{ in string }{{"plain text that is long"}, {"日本語のタイトルです"}, {"🎉🎉🎉🎉🎉🎉"}, {"ok"}}
	for _, tt := range tests {
		for _, w := range []int{5, 10, 16} {
			got := fit(tt.in, w)
			if uniseg.StringWidth(got) != w {
				t.Errorf("fit(%q, %d) = %q, width %d", tt.in, w, got, uniseg.StringWidth(got))
			}
		}
	}
}

// zone is the named time zone; a test cannot run without it.
func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func entry(at time.Time, ch, title, campaign string) calendar.Entry {
	return calendar.Entry{At: at, Channel: ch, Label: title, Campaign: campaign, Status: calendar.DeliveryPending, PostStatus: calendar.StatusScheduled}
}

func TestMonthGrid(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	from, to := MonthRange(2030, time.March, paris)
	var es []calendar.Entry
	for h := 8; h < 14; h++ {
		es = append(es, entry(time.Date(2030, 3, 12, h, 0, 0, 0, paris), "acme-bsky", "Busy", ""))
	}
	es = append(es, entry(time.Date(2030, 3, 31, 9, 0, 0, 0, paris), "acme-mastodon", "After the change", "spring"))
	// 23:30 UTC on the 4th is the 5th in Paris.
	es = append(es, entry(time.Date(2030, 3, 4, 23, 30, 0, 0, time.UTC), "acme-bsky", "Late", ""))
	bl := []calendar.Blackout{{ID: 1, StartsAt: time.Date(2030, 3, 20, 0, 0, 0, 0, paris), EndsAt: time.Date(2030, 3, 21, 0, 0, 0, 0, paris), Reason: "offsite"}}
	now := time.Date(2030, 3, 18, 12, 0, 0, 0, paris)
	v := Build("month", from, to, paris, now, es, bl)
	if len(v.Days) != 31 {
		t.Fatalf("%d days", len(v.Days))
	}
	if !v.Days[17].Today || v.Days[16].Today {
		t.Fatal("today is the 18th")
	}
	if len(v.Days[19].Blackouts) != 1 || len(v.Days[20].Blackouts) != 0 {
		t.Fatal("the blackout covers the 20th only")
	}
	if len(v.Days[4].Entries) != 1 || len(v.Days[3].Entries) != 0 {
		t.Fatal("entries are placed on the viewer's day")
	}
	for _, width := range []int{40, 80, 100, 120, 200} {
		var buf bytes.Buffer
		if err := (Text{Width: width}).Month(&buf, v); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		want := max(width, MinWidth)
		for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasPrefix(line, "Channels:") || strings.HasPrefix(line, "Campaigns:") || strings.HasPrefix(line, "Blackouts:") || i == 0 {
				continue
			}
			if w := uniseg.StringWidth(line); w > want || w < want-7 {
				t.Fatalf("width %d: line %d is %d wide: %q", width, i, w, line)
			}
		}
		if strings.Contains(out, "\x1b[") {
			t.Fatal("colour without asking")
		}
		if width >= 120 && !strings.Contains(out, "09:00 ma After") {
			t.Fatalf("width %d: a wide cell keeps an entry on one line:\n%s", width, out)
		}
		for _, s := range []string{"18 today", "20 ░", "+3 more", "09:00 ma", "After", "00:30 bs", "Late", "Campaigns: ■ spring", "Blackouts: ░ Mar 20 00:00–Mar 21 00:00 offsite"} {
			if !strings.Contains(out, s) {
				t.Fatalf("width %d: %q missing from\n%s", width, s, out)
			}
		}
	}
	var buf bytes.Buffer
	_ = (Text{Width: 80, Color: true}).Month(&buf, v)
	out := buf.String()
	spring := ansiFG(CampaignHex("spring", ""))
	if !strings.Contains(out, "\x1b["+spring+"m09:00 ma") || !strings.Contains(out, "\x1b[7m18 today") {
		t.Fatalf("colours missing:\n%q", out)
	}
}

func TestWeekAndAgenda(t *testing.T) {
	utc := time.UTC
	from, to := WeekRange(time.Date(2030, 6, 12, 15, 0, 0, 0, utc), utc)
	if from.Weekday() != time.Monday || to.Sub(from) != 7*24*time.Hour || from.Day() != 10 {
		t.Fatalf("week %v – %v", from, to)
	}
	es := []calendar.Entry{
		entry(time.Date(2030, 6, 12, 6, 15, 0, 0, utc), "blog", "Early bird with a long title", "c"),
		entry(time.Date(2030, 6, 14, 21, 0, 0, 0, utc), "blog", "Night", ""),
	}
	es[1].Status, es[1].PostStatus = calendar.DeliveryCanceled, calendar.StatusCanceled
	v := Build("week", from, to, utc, time.Date(2030, 6, 12, 0, 0, 0, 0, utc), es, nil)
	var buf bytes.Buffer
	if err := (Text{Width: 80}).Render(&buf, v); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	// Hours widen from 08-18 to hold 06:15 and 21:00.
	for _, s := range []string{"06:00│", "21:00│", ":15 bl E", "Wed 12*", "bl Night", "07:00│"} {
		if !strings.Contains(out, s) {
			t.Fatalf("%q missing:\n%s", s, out)
		}
	}
	if strings.Contains(out, "05:00│") || strings.Contains(out, "22:00│") {
		t.Fatalf("hours beyond the entries:\n%s", out)
	}
	v.Kind = "agenda"
	buf.Reset()
	_ = (Text{}).Render(&buf, v)
	out = buf.String()
	for _, s := range []string{"Wednesday 12 June 2030 (today)", "06:15  blog  scheduled/pending", "Early bird with a long title [c]", "canceled  ", "Friday 14 June 2030"} {
		if !strings.Contains(out, s) {
			t.Fatalf("%q missing:\n%s", s, out)
		}
	}
	if strings.Contains(out, "Thursday") {
		t.Fatal("an empty day is listed")
	}
	empty := Build("agenda", from, to, utc, from, nil, nil)
	buf.Reset()
	_ = (Text{}).Render(&buf, empty)
	if !strings.Contains(buf.String(), "Nothing planned from 10 Jun 2030 to 16 Jun 2030") {
		t.Fatalf("empty agenda: %q", buf.String())
	}
}

// TestAgendaSaysTheZoneWhenClocksGoBack checks that the two 01:30s of the
// night New York's clocks go back are told apart, and only that day's.
func TestAgendaSaysTheZoneWhenClocksGoBack(t *testing.T) {
	ny := zone(t, "America/New_York")
	from, to := time.Date(2026, 10, 31, 0, 0, 0, 0, ny), time.Date(2026, 11, 3, 0, 0, 0, 0, ny)
	entries := []calendar.Entry{
		entry(time.Date(2026, 10, 31, 1, 30, 0, 0, ny), "blog", "Saturday", ""),
		entry(time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), "blog", "First 01:30", ""),
		entry(time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), "blog", "Second 01:30", ""),
		entry(time.Date(2026, 11, 2, 1, 30, 0, 0, ny), "blog", "Monday", ""),
	}
	var buf bytes.Buffer
	if err := (Text{}).Render(&buf, Build("agenda", from, to, ny, from, entries, nil)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"  01:30  blog", "  01:30 EDT  blog", "  01:30 EST  blog"} {
		if !strings.Contains(out, s) {
			t.Errorf("%q missing:\n%s", s, out)
		}
	}
	if strings.Count(out, "  01:30  blog") != 2 {
		t.Errorf("the days without a repeated hour should not name the zone:\n%s", out)
	}
}

// TestWeekSaysTheZoneInTheRepeatedHour checks that the week view (and the
// month's cells, and the HTML page) tell apart the two 01:30s of the night
// New York's clocks go back, and leave every other time as it was.
func TestWeekSaysTheZoneInTheRepeatedHour(t *testing.T) {
	ny := zone(t, "America/New_York")
	from, to := WeekRange(time.Date(2026, 10, 30, 12, 0, 0, 0, ny), ny)
	entries := []calendar.Entry{
		entry(time.Date(2026, 10, 31, 1, 30, 0, 0, ny), "blog", "Saturday", ""),
		entry(time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), "blog", "First", ""),
		entry(time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), "blog", "Second", ""),
		entry(time.Date(2026, 11, 1, 7, 15, 0, 0, time.UTC), "blog", "After", ""),
		entry(time.Date(2026, 11, 1, 4, 45, 0, 0, time.UTC), "blog", "Before", ""),
	}
	var buf bytes.Buffer
	if err := (Text{Width: 200}).Render(&buf, Build("week", from, to, ny, from, entries, nil)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{":30 EDT bl First", ":00 EST bl Second", ":15 bl After", ":45 bl Before", ":30 bl Saturday"} {
		if !strings.Contains(out, s) {
			t.Errorf("%q missing:\n%s", s, out)
		}
	}
	if strings.Count(out, "EDT")+strings.Count(out, "EST") != 2 {
		t.Errorf("only the repeated hour's entries should name the zone:\n%s", out)
	}
	// The month's cells and the HTML page say it too.
	mFrom, mTo := MonthRange(2026, time.November, ny)
	month := Build("month", mFrom, mTo, ny, mFrom, entries, nil)
	buf.Reset()
	if err := (Text{Width: 200}).Render(&buf, month); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"01:30 EDT bl First", "01:00 EST bl Second", "02:15 bl After", "00:45 bl Before"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("month: %q missing:\n%s", s, buf.String())
		}
	}
	buf.Reset()
	if err := HTML(&buf, month, "t"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"01:30 EDT", "01:00 EST", "02:15"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("html: %q missing", s)
		}
	}
	if strings.Contains(buf.String(), "02:15 E") {
		t.Errorf("html: a time outside the repeated hour names its zone")
	}
}

func TestBuildAcrossDSTHasEveryDay(t *testing.T) {
	paris := zone(t, "Europe/Paris")
	from, to := MonthRange(2030, time.October, paris)
	v := Build("month", from, to, paris, from, nil, nil)
	if len(v.Days) != 31 || v.Days[30].Date != "2030-10-31" {
		t.Fatalf("%d days, last %s", len(v.Days), v.Days[len(v.Days)-1].Date)
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	utc := time.UTC
	from, to := MonthRange(2030, time.June, utc)
	es := []calendar.Entry{entry(time.Date(2030, 6, 3, 9, 0, 0, 0, utc), "acme-bsky", `<script>alert("x")</script>`, "winter")}
	v := Build("month", from, to, utc, from, es, []calendar.Blackout{{ID: 1, StartsAt: from, EndsAt: from.Add(24 * time.Hour), Reason: "r&d day"}})
	var buf bytes.Buffer
	if err := HTML(&buf, v, "crieur — June 2030"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "http://", "https://", "<link", "@import", "url("} {
		if strings.Contains(out, bad) {
			t.Fatalf("page contains %q", bad)
		}
	}
	for _, s := range []string{"<title>crieur — June 2030</title>", "&lt;script&gt;", "--c:" + CampaignHex("winter", ""), "@media (max-width: 700px)", "Blackout: r&amp;d day", "<b>bs</b> acme-bsky"} {
		if !strings.Contains(out, s) {
			t.Fatalf("%q missing", s)
		}
	}
}

// The page tells what went out from what is to come, makes what needs a
// person stand out, and caps a busy day with "+N more" like the terminal.
func TestHTMLStatesAndBusyDay(t *testing.T) {
	utc := time.UTC
	from, to := MonthRange(2030, time.June, utc)
	with := func(e calendar.Entry, status string) calendar.Entry { e.Status = status; return e }
	es := []calendar.Entry{
		with(entry(time.Date(2030, 6, 3, 9, 0, 0, 0, utc), "acme-bsky", "Went out", ""), calendar.DeliveryPublished),
		with(entry(time.Date(2030, 6, 3, 10, 0, 0, 0, utc), "acme-bsky", "Broke", ""), calendar.DeliveryFailed),
		with(entry(time.Date(2030, 6, 3, 11, 0, 0, 0, utc), "acme-bsky", "Unsure", ""), calendar.DeliveryHeld),
		entry(time.Date(2030, 6, 4, 9, 0, 0, 0, utc), "acme-bsky", "To come", ""),
	}
	for h := 8; h < 14; h++ {
		es = append(es, entry(time.Date(2030, 6, 12, h, 0, 0, 0, utc), "acme-bsky", fmt.Sprintf("Busy %d", h), ""))
	}
	v := Build("month", from, to, utc, from, es, nil)
	var buf bytes.Buffer
	if err := HTML(&buf, v, "June"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	li := func(title string) string {
		i := strings.Index(out, title)
		if i < 0 {
			t.Fatalf("%q missing", title)
		}
		return out[strings.LastIndex(out[:i], "<li"):i]
	}
	for title, want := range map[string][]string{
		"Went out": {`class="e published"`, `<span class="mk">✓</span>`},
		"Broke":    {`class="e failed attn"`, `<span class="mk">✗</span>`},
		"Unsure":   {`class="e held attn"`, `<span class="mk">!</span>`},
		"To come":  {`class="e pending"`},
	} {
		got := li(title)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %s", title, got, w)
			}
		}
		if title == "To come" && strings.Contains(got, `class="mk"`) {
			t.Errorf("an entry to come is marked: %q", got)
		}
	}
	for _, s := range []string{"li.e.published {", "li.e.attn {"} {
		if !strings.Contains(out, s) {
			t.Errorf("no style for %q", s)
		}
	}
	day := out[strings.Index(out, `id="d2030-06-12"`):]
	day = day[:strings.Index(day, "</section>")]
	shown := day[:strings.Index(day, "<details")]
	if n := strings.Count(shown, "<li"); n != htmlLines-1 {
		t.Errorf("a busy day shows %d entries before its +N more, want %d", n, htmlLines-1)
	}
	if !strings.Contains(day, "<summary>+3 more</summary>") || strings.Count(day, "<li") != 6 {
		t.Errorf("the busy day does not end with +3 more (the rest under it):\n%s", day)
	}
	if quiet := out[strings.Index(out, `id="d2030-06-03"`):]; strings.Contains(quiet[:strings.Index(quiet, "</section>")], "more</summary>") {
		t.Error("a day of three entries is capped")
	}
}

// TestRepeatedHourMarksTheTimesThatComeTwice checks, in zones whose clocks go
// back by an hour, half an hour or two, that exactly the wall-clock times the
// night shows twice say their zone.
func TestRepeatedHourMarksTheTimesThatComeTwice(t *testing.T) {
	tests := []struct {
		zone string
		at   time.Time // an instant, UTC
		want bool
	}{
		// New York, 1 November 2026: 02:00 EDT is 01:00 EST.
		{"America/New_York", time.Date(2026, 11, 1, 4, 59, 0, 0, time.UTC), false}, // 00:59 EDT
		{"America/New_York", time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), true},   // 01:00 EDT
		{"America/New_York", time.Date(2026, 11, 1, 6, 59, 0, 0, time.UTC), true},  // 01:59 EST
		{"America/New_York", time.Date(2026, 11, 1, 7, 0, 0, 0, time.UTC), false},  // 02:00 EST
		// Lord Howe, 5 April 2026: 02:00 +11 is 01:30 +1030; only
		// 01:30–01:59 come twice.
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 14, 15, 0, 0, time.UTC), false}, // 01:15 +11
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 14, 30, 0, 0, time.UTC), true},  // 01:30 +11
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 14, 45, 0, 0, time.UTC), true},  // 01:45 +11
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 15, 0, 0, 0, time.UTC), true},   // 01:30 +1030
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 15, 29, 0, 0, time.UTC), true},  // 01:59 +1030
		{"Australia/Lord_Howe", time.Date(2026, 4, 4, 15, 30, 0, 0, time.UTC), false}, // 02:00 +1030
		// Troll, 25 October 2026: 03:00 +02 is 01:00 +00; 01:00–02:59 come twice.
		{"Antarctica/Troll", time.Date(2026, 10, 24, 22, 59, 0, 0, time.UTC), false}, // 00:59 +02
		{"Antarctica/Troll", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), true},  // 01:30 +02
		{"Antarctica/Troll", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true},   // 02:30 +02
		{"Antarctica/Troll", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true},   // 01:30 +00
		{"Antarctica/Troll", time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), false},   // 03:00 +00
		// Spring forward repeats nothing.
		{"America/New_York", time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), false}, // 03:30 EDT
		{"America/New_York", time.Date(2026, 3, 8, 6, 59, 0, 0, time.UTC), false}, // 01:59 EST
	}
	for _, tc := range tests {
		at := tc.at.In(zone(t, tc.zone))
		if got := readsTwice(at); got != tc.want {
			t.Errorf("readsTwice(%s %s) = %v, want %v", tc.zone, at.Format("2006-01-02 15:04 -0700"), got, tc.want)
		}
	}
}
