package when

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

var propertyZones = []string{"Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Pacific/Auckland", "UTC"}

// randomSpec builds a cron spec biased towards the small hours, where the
// clock changes.
func randomSpec(r *rand.Rand) string {
	field := func(lo, hi int, bias []int) string {
		pick := func() int {
			if len(bias) > 0 && r.IntN(2) == 0 {
				return bias[r.IntN(len(bias))]
			}
			return lo + r.IntN(hi-lo+1)
		}
		switch r.IntN(5) {
		case 0:
			return "*"
		case 1:
			return fmt.Sprintf("*/%d", 1+r.IntN(hi/2+1))
		case 2:
			a, b := pick(), pick()
			if a > b {
				a, b = b, a
			}
			return fmt.Sprintf("%d-%d", a, b)
		case 3:
			return fmt.Sprintf("%d,%d", pick(), pick())
		default:
			return fmt.Sprint(pick())
		}
	}
	day := func(lo, hi int) string {
		if r.IntN(3) > 0 {
			return "*"
		}
		return field(lo, hi, nil)
	}
	return fmt.Sprintf("%s %s %s %s %s",
		field(0, 59, []int{0, 15, 30, 45}), field(0, 23, []int{0, 1, 2, 3}),
		day(1, 31), day(1, 12), day(0, 6))
}

// randomInstant picks an instant in 2025-2028, often within a day of a
// clock change of loc.
func randomInstant(r *rand.Rand, loc *time.Location) time.Time {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t := start.Add(time.Duration(r.Int64N(int64(4 * 365 * 24 * time.Hour))))
	if r.IntN(2) == 0 {
		if _, end := t.In(loc).ZoneBounds(); !end.IsZero() {
			t = end.Add(time.Duration(r.Int64N(int64(48*time.Hour))) - 24*time.Hour)
		}
	}
	return t.Truncate(time.Minute).Add(time.Duration(r.IntN(3)-1) * time.Second)
}

func TestNextProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(2026, 3))
	for i := 0; i < 400; i++ {
		spec := randomSpec(r)
		s, err := ParseSchedule(spec)
		if err != nil {
			continue // an impossible day, such as 31 2
		}
		loc := mustZone(t, propertyZones[r.IntN(len(propertyZones))])
		t1 := randomInstant(r, loc)
		t2 := t1.Add(time.Duration(r.Int64N(int64(36 * time.Hour))))
		n1, n2 := s.Next(t1, loc), s.Next(t2, loc)
		if !n1.After(t1) {
			t.Fatalf("%q in %s: Next(%s) = %s, not after", spec, loc, t1, n1)
		}
		if n2.Before(n1) {
			t.Fatalf("%q in %s: Next(%s) = %s before Next(%s) = %s", spec, loc, t2, n2, t1, n1)
		}
		if n1.Sub(t1) > 10*366*24*time.Hour {
			t.Fatalf("%q in %s: Next(%s) = %s, too far", spec, loc, t1, n1)
		}

		firings := s.Between(t1, t1.Add(72*time.Hour), loc, 0)
		seen := map[string]bool{}
		for j, f := range firings {
			if j > 0 && !f.After(firings[j-1]) {
				t.Fatalf("%q in %s: firings out of order: %s then %s", spec, loc, firings[j-1], f)
			}
			wall := f.In(loc).Format("2006-01-02 15:04")
			if seen[wall] {
				t.Fatalf("%q in %s: two firings at wall time %s", spec, loc, wall)
			}
			seen[wall] = true
		}
		if want := bruteForce(t, spec, t1, t1.Add(72*time.Hour), loc); !slices.EqualFunc(firings, want, time.Time.Equal) {
			t.Fatalf("%q in %s from %s:\n got %v\nwant %v", spec, loc, t1, firings, want)
		}
	}
}

// bruteForce lists the firings in [from, to) by testing every minute
// instant against the package rule stated on instants, independently of
// resolve: an instant fires if its wall time matches and is its first
// occurrence, or if it ends a gap that swallowed a matching wall time.
func bruteForce(t *testing.T, spec string, from, to time.Time, loc *time.Location) []time.Time {
	t.Helper()
	rl, err := compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	matches := func(w time.Time) bool { // w: a wall time, written in UTC
		return rl.month&(1<<uint(w.Month())) != 0 && rl.dayMatches(w) &&
			rl.hour&(1<<uint(w.Hour())) != 0 && rl.minute&(1<<uint(w.Minute())) != 0
	}
	wallOfInstant := func(u time.Time) time.Time {
		l := u.In(loc)
		return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
	}
	var out []time.Time
	for u := from.Truncate(time.Minute); u.Before(to); u = u.Add(time.Minute) {
		if u.Before(from) {
			continue
		}
		w := wallOfInstant(u)
		fires := false
		if matches(w) {
			fires = true
			for k := 1; k <= 12; k++ { // an earlier pass of the same wall time, up to 3h back
				if wallOfInstant(u.Add(-time.Duration(k) * 15 * time.Minute)).Equal(w) {
					fires = false
				}
			}
		}
		if before := wallOfInstant(u.Add(-time.Minute)); !fires && w.Sub(before) > time.Minute {
			for g := before.Add(time.Minute); g.Before(w); g = g.Add(time.Minute) {
				if matches(g) {
					fires = true
					break
				}
			}
		}
		if fires {
			out = append(out, u)
		}
	}
	return out
}

// TestNextMatchesRobfigInUTC compares with robfig/cron where it is right: a
// zone without clock changes.
func TestNextMatchesRobfigInUTC(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := 0; i < 2000; i++ {
		spec := randomSpec(r)
		s, err := ParseSchedule(spec)
		if err != nil {
			continue
		}
		sched, err := cron.ParseStandard("CRON_TZ=UTC " + spec)
		if err != nil {
			t.Fatal(err)
		}
		after := randomInstant(r, time.UTC)
		want := sched.Next(after)
		if want.IsZero() { // robfig gives up after five years
			continue
		}
		if got := s.Next(after, time.UTC); !got.Equal(want) {
			t.Fatalf("%q: Next(%s) = %s, robfig says %s", spec, after, got, want)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	paris := mustZone(b, "Europe/Paris")
	after := time.Date(2026, 3, 28, 23, 0, 0, 0, paris)
	for _, spec := range []string{"0 9 * * 1-5", "mon-fri 09:00,12:30", "*/5 * * * *", "0 9 29 2 *", "0 9 13 * 5"} {
		s, err := ParseSchedule(spec)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(spec, func(b *testing.B) {
			for b.Loop() {
				if s.Next(after, paris).IsZero() {
					b.Fatal("no firing")
				}
			}
		})
	}
}
