package sqlstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// monday is a Monday at midnight UTC, the fills' "now".
var monday = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

func addCategory(t *testing.T, s *Store, c calendar.Category) calendar.Category {
	t.Helper()
	if err := s.AddCategory(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// addEvergreen adds a draft library post; created one second apart so the
// join order is the order of the calls.
func addEvergreen(t *testing.T, s *Store, slug, category string, edit func(*calendar.Post)) calendar.Post {
	t.Helper()
	p := calendar.Post{Slug: slug, Body: "Text of " + slug, Category: category}
	if edit != nil {
		edit(&p)
	}
	if err := s.CreatePost(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func fill(t *testing.T, s *Store, now time.Time, o calendar.FillOptions) calendar.FillReport {
	t.Helper()
	o.Now = now
	rep, err := s.FillCategories(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sources lists what the fill put in the calendar, as "original@channel
// local-time", in time order.
func sources(rep calendar.FillReport, loc *time.Location) []string {
	var out []string
	for _, f := range rep.Filled {
		out = append(out, f.From+"@"+f.Channel+" "+f.At.In(loc).Format("01-02 15:04"))
	}
	return out
}

func fromOnly(rep calendar.FillReport) []string {
	var out []string
	for _, f := range rep.Filled {
		out = append(out, f.From)
	}
	return out
}

func copiesOf(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM posts WHERE recycled_from IS NOT NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFillOrders(t *testing.T) {
	for _, tc := range []struct {
		order string
		want  []string
	}{
		{calendar.OrderFIFO, []string{"p1", "p2", "p3", "p1", "p2", "p3", "p1"}},
		{calendar.OrderLIFO, []string{"p3", "p2", "p1", "p3", "p2", "p1", "p3"}},
	} {
		t.Run(tc.order, func(t *testing.T) {
			s := newTestStore(t, monday)
			addChannel(t, s, "a", "UTC", false)
			addCategory(t, s, calendar.Category{Name: "tips", Order: tc.order})
			for i, slug := range []string{"p1", "p2", "p3"} {
				s.Now = func() time.Time { return monday.Add(-time.Hour + time.Duration(i)*time.Second) }
				addEvergreen(t, s, slug, "tips", nil)
			}
			s.Now = func() time.Time { return monday }
			if _, err := s.AddCategorySlot(context.Background(), "a", "daily 09:00", "tips"); err != nil {
				t.Fatal(err)
			}
			rep := fill(t, s, monday, calendar.FillOptions{})
			if got := fromOnly(rep); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fill order = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFillShuffleIsDeterministic(t *testing.T) {
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips", Order: "shuffle", MinGap: 24 * time.Hour})
	for _, slug := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		addEvergreen(t, s, slug, "tips", nil)
	}
	if _, err := s.AddCategorySlot(context.Background(), "a", "daily 09:00", "tips"); err != nil {
		t.Fatal(err)
	}
	dry := fill(t, s, monday, calendar.FillOptions{DryRun: true})
	if copiesOf(t, s) != 0 {
		t.Fatalf("a dry run wrote copies")
	}
	real := fill(t, s, monday, calendar.FillOptions{})
	if !reflect.DeepEqual(fromOnly(dry), fromOnly(real)) || len(real.Filled) != 7 {
		t.Errorf("shuffle: dry run %v, real run %v: want the same 7 picks", fromOnly(dry), fromOnly(real))
	}
	if reflect.DeepEqual(fromOnly(real), []string{"p1", "p2", "p3", "p4", "p5", "p6", "p1"}) {
		t.Errorf("shuffle picked in join order: %v", fromOnly(real))
	}
}

func TestFillIsIdempotentAndLeavesHeldSlotsAlone(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips"})
	addEvergreen(t, s, "p1", "tips", nil)
	addEvergreen(t, s, "p2", "tips", nil)
	if _, err := s.AddCategorySlot(ctx, "a", "daily 09:00", "tips"); err != nil {
		t.Fatal(err)
	}
	// A post placed by hand on Wednesday 09:00: that slot is left alone.
	wed := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	hand := calendar.Post{Slug: "launch", Body: "Launch day", Channels: []string{"a"}, PublishAt: &wed}
	if err := s.CreatePost(ctx, &hand); err != nil {
		t.Fatal(err)
	}
	rep := fill(t, s, monday, calendar.FillOptions{})
	if len(rep.Filled) != 6 {
		t.Fatalf("filled %d slots, want 6 (7 days less the one held by hand): %v", len(rep.Filled), sources(rep, time.UTC))
	}
	for _, f := range rep.Filled {
		if f.At.Equal(wed) {
			t.Errorf("the fill put %s in the slot held by hand", f.Slug)
		}
	}
	again := fill(t, s, monday, calendar.FillOptions{})
	if len(again.Filled) != 0 || copiesOf(t, s) != 6 {
		t.Errorf("second fill filled %d more (copies now %d), want none", len(again.Filled), copiesOf(t, s))
	}
	// A copy canceled by a person stays canceled: its slot is not refilled.
	if _, err := s.CancelPost(ctx, rep.Filled[0].Slug); err != nil {
		t.Fatal(err)
	}
	if again := fill(t, s, monday, calendar.FillOptions{}); len(again.Filled) != 0 {
		t.Errorf("after a cancel the fill refilled %v", sources(again, time.UTC))
	}
	// The copy is its own post: editing the original changes future fills only.
	orig, err := s.Post(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	orig.Body = "New text of p1"
	if err := s.UpdatePost(ctx, &orig); err != nil {
		t.Fatal(err)
	}
	cp, err := s.Post(ctx, rep.Filled[1].Slug)
	if err != nil {
		t.Fatal(err)
	}
	if cp.RecycledFrom == "" || strings.Contains(cp.Body, "New text") || cp.Status != calendar.StatusScheduled || len(cp.Deliveries) != 1 {
		t.Errorf("copy = %+v: want a scheduled post of its own, recycled_from set, with the old text", cp)
	}
	next := fill(t, s, monday.Add(7*24*time.Hour), calendar.FillOptions{Horizon: 24 * time.Hour})
	if len(next.Filled) != 1 {
		t.Fatalf("next week's fill: %v", sources(next, time.UTC))
	}
	if p, _ := s.Post(ctx, next.Filled[0].Slug); next.Filled[0].From == "p1" && p.Body != "New text of p1" {
		t.Errorf("a fill after the edit copied %q", p.Body)
	}
}

func TestFillLimits(t *testing.T) {
	ctx := context.Background()
	day := func(d int) time.Time { return monday.Add(time.Duration(d)*24*time.Hour + 9*time.Hour) }
	for _, tc := range []struct {
		name  string
		cat   calendar.Category
		posts map[string]func(*calendar.Post)
		want  []string
		empty int
	}{
		{"category max repeats", calendar.Category{MaxRepeats: 1}, nil, []string{"p1", "p2", "p3"}, 4},
		{"post max repeats", calendar.Category{}, map[string]func(*calendar.Post){"p1": func(p *calendar.Post) { p.MaxRepeats = 1 }},
			[]string{"p1", "p2", "p3", "p2", "p3", "p2", "p3"}, 0},
		{"post expires", calendar.Category{}, map[string]func(*calendar.Post){"p2": func(p *calendar.Post) { e := day(1).Add(time.Minute); p.ExpiresAt = &e }},
			[]string{"p1", "p2", "p3", "p1", "p3", "p1", "p3"}, 0},
		{"category expires", calendar.Category{ExpiresAt: ptrTime(day(4))}, nil, []string{"p1", "p2", "p3", "p1"}, 3},
		{"min gap", calendar.Category{MinGap: 4 * 24 * time.Hour}, nil, []string{"p1", "p2", "p3", "p1", "p2", "p3"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, monday)
			addChannel(t, s, "a", "UTC", false)
			c := tc.cat
			c.Name = "tips"
			addCategory(t, s, c)
			for i, slug := range []string{"p1", "p2", "p3"} {
				s.Now = func() time.Time { return monday.Add(-time.Hour + time.Duration(i)*time.Second) }
				addEvergreen(t, s, slug, "tips", tc.posts[slug])
			}
			s.Now = func() time.Time { return monday }
			if _, err := s.AddCategorySlot(ctx, "a", "daily 09:00", "tips"); err != nil {
				t.Fatal(err)
			}
			rep := fill(t, s, monday, calendar.FillOptions{})
			if got := fromOnly(rep); !reflect.DeepEqual(got, tc.want) || len(rep.Empty) != tc.empty {
				t.Errorf("filled %v with %d empty, want %v with %d empty", got, len(rep.Empty), tc.want, tc.empty)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestFillMinGapIsPerChannelAndVariantsCarry(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addChannel(t, s, "b", "UTC", false)
	addChannel(t, s, "c", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips", MinGap: 30 * 24 * time.Hour})
	addEvergreen(t, s, "p1", "tips", func(p *calendar.Post) {
		p.Channels = []string{"a", "b"}
		p.Variants = map[string]string{"b": "Short text for b"}
	})
	for _, ch := range []string{"a", "b", "c"} {
		if _, err := s.AddCategorySlot(ctx, ch, "mon 09:00", "tips"); err != nil {
			t.Fatal(err)
		}
	}
	rep := fill(t, s, monday, calendar.FillOptions{Horizon: 21 * 24 * time.Hour})
	// Once on a and once on b (the gap is per channel, 30 days), never on c
	// (p1 names a and b).
	if got := sources(rep, time.UTC); !reflect.DeepEqual(got, []string{"p1@a 11-30 09:00", "p1@b 11-30 09:00"}) {
		t.Fatalf("filled %v", got)
	}
	for _, f := range rep.Filled {
		p, err := s.Post(ctx, f.Slug)
		if err != nil {
			t.Fatal(err)
		}
		wantVariant := map[string]string{}
		if f.Channel == "b" {
			wantVariant["b"] = "Short text for b"
		}
		if !reflect.DeepEqual(p.Variants, wantVariant) || !reflect.DeepEqual(p.Channels, []string{f.Channel}) {
			t.Errorf("copy on %s: channels %v variants %v, want [%s] %v", f.Channel, p.Channels, p.Variants, f.Channel, wantVariant)
		}
	}
}

func TestFillSkipsWhatTheCheckRefuses(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips"})
	bad := addEvergreen(t, s, "p1", "tips", func(p *calendar.Post) { p.Body = "Share to enter!" })
	addEvergreen(t, s, "p2", "tips", nil)
	if _, err := s.AddCategorySlot(ctx, "a", "daily 09:00", "tips"); err != nil {
		t.Fatal(err)
	}
	check := func(p calendar.Post) error {
		if strings.Contains(p.Body, "Share to enter") {
			return errors.New(`no-share-to-enter: "share to enter" is against the network's rules`)
		}
		return nil
	}
	rep := fill(t, s, monday, calendar.FillOptions{Horizon: 3 * 24 * time.Hour, Check: check})
	if got := fromOnly(rep); !reflect.DeepEqual(got, []string{"p2", "p2", "p2"}) {
		t.Errorf("filled %v, want p2 every day (p1 refused)", got)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Post != "p1" || !strings.Contains(rep.Skipped[0].Reason, "no-share-to-enter") {
		t.Errorf("skipped = %+v, want p1 reported once with the reason", rep.Skipped)
	}
	hist, err := s.PostHistory(ctx, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k := hist[len(hist)-1].Kind; k != "category.skipped" {
		t.Errorf("last event of p1 = %s, want category.skipped", k)
	}
	// Refused again by the next runs (each reaching one day further, where
	// p1, never used, comes first): reported each time, recorded once a day.
	for i := 0; i < 3; i++ {
		again := fill(t, s, monday, calendar.FillOptions{Horizon: time.Duration(4+i) * 24 * time.Hour, Check: check})
		if len(again.Skipped) != 1 {
			t.Errorf("run %d skipped %+v, want p1 reported", i, again.Skipped)
		}
	}
	hist, err = s.PostHistory(ctx, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	skips := 0
	for _, e := range hist {
		if e.Kind == "category.skipped" {
			skips++
		}
	}
	if skips != 1 {
		t.Errorf("%d category.skipped events in a day, want 1", skips)
	}
}

// TestFillAcrossDST fills 09:00 Europe/Paris slots day by day, the clock
// advanced as a daemon's would, across the last Sunday of March and of
// October: every day has one copy at 09:00 local, none lost or doubled.
func TestFillAcrossDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	for _, start := range []time.Time{
		time.Date(2026, 3, 22, 12, 0, 0, 0, paris),  // spring forward on Sunday 29 March
		time.Date(2026, 10, 18, 12, 0, 0, 0, paris), // fall back on Sunday 25 October
	} {
		t.Run(start.Format("January"), func(t *testing.T) {
			ctx := context.Background()
			s := newTestStore(t, start)
			addChannel(t, s, "a", "Europe/Paris", false)
			addCategory(t, s, calendar.Category{Name: "tips"})
			for _, slug := range []string{"p1", "p2", "p3"} {
				addEvergreen(t, s, slug, "tips", nil)
			}
			if _, err := s.AddCategorySlot(ctx, "a", "daily 09:00", "tips"); err != nil {
				t.Fatal(err)
			}
			// Every 6 hours for 14 days, a 7-day horizon each time.
			for now := start; now.Before(start.Add(14 * 24 * time.Hour)); now = now.Add(6 * time.Hour) {
				s.Now = func() time.Time { return now }
				fill(t, s, now, calendar.FillOptions{})
			}
			posts, err := s.Posts(ctx, calendar.PostFilter{})
			if err != nil {
				t.Fatal(err)
			}
			days := map[string]int{}
			for _, p := range posts {
				if p.RecycledFrom == "" {
					continue
				}
				local := p.PublishAt.In(paris)
				if local.Hour() != 9 || local.Minute() != 0 {
					t.Errorf("copy %s at %s local, want 09:00", p.Slug, local)
				}
				days[local.Format("2006-01-02")]++
			}
			first := time.Date(start.Year(), start.Month(), start.Day()+1, 9, 0, 0, 0, paris)
			for d := 0; d < 20; d++ {
				key := first.AddDate(0, 0, d).Format("2006-01-02")
				if days[key] != 1 {
					t.Errorf("%s has %d copies, want 1", key, days[key])
				}
			}
		})
	}
}

func TestCategoryStatsAndDelete(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips", MaxRepeats: 5})
	for _, slug := range []string{"p1", "p2", "p3", "p4", "p5", "p6"} {
		addEvergreen(t, s, slug, "tips", nil)
	}
	if _, err := s.AddCategorySlot(ctx, "a", "mon,wed,fri 09:00", "tips"); err != nil {
		t.Fatal(err)
	}
	st, err := s.CategoryStats(ctx, "tips", true)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].Posts != 6 || st[0].SlotsPerWeek != 3 || st[0].RepeatDays != 14 || len(st[0].Members) != 6 || st[0].Members[0].MaxRepeats != 5 {
		t.Errorf("stats = %+v, want 6 posts, 3 slots a week, every 14 days, 6 members capped at 5", st[0])
	}
	if err := s.DeleteCategory(ctx, "tips", false); !errors.Is(err, calendar.ErrConflict) {
		t.Errorf("delete of a category with slots = %v, want a conflict", err)
	}
	if err := s.DeleteCategory(ctx, "tips", true); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Post(ctx, "p1"); p.Category != "" {
		t.Errorf("p1 still in category %q", p.Category)
	}
	if _, err := s.Category(ctx, "tips"); !errors.Is(err, calendar.ErrNotFound) {
		t.Errorf("deleted category found: %v", err)
	}
}

// TestFillRemembersEarlierRuns: repeats, the fifo order and the gap carry
// from one run to the next (each run reads what earlier ones made).
func TestFillRemembersEarlierRuns(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, monday)
	addChannel(t, s, "a", "UTC", false)
	addCategory(t, s, calendar.Category{Name: "tips", MaxRepeats: 2, MinGap: 2 * 24 * time.Hour})
	for _, slug := range []string{"p1", "p2", "p3"} {
		addEvergreen(t, s, slug, "tips", nil)
	}
	if _, err := s.AddCategorySlot(ctx, "a", "daily 09:00", "tips"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for d := 0; d < 8; d++ {
		now := monday.Add(time.Duration(d) * 24 * time.Hour)
		s.Now = func() time.Time { return now }
		got = append(got, fromOnly(fill(t, s, now, calendar.FillOptions{Horizon: 24 * time.Hour}))...)
	}
	// Day by day: fifo, each at most twice, never two days running.
	if want := []string{"p1", "p2", "p3", "p1", "p2", "p3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("eight daily runs filled %v, want %v", got, want)
	}
}
