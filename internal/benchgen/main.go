// Command benchgen makes a large synthetic calendar for `make bench`:
//
//	go run ./internal/benchgen -db /tmp/big.db -posts 1000000 -channels 3
//	go run ./internal/benchgen -db postgres://postgres@127.0.0.1:5432/big -posts 1000000
//
// A SQLite file must not exist; a PostgreSQL database must exist and hold no
// calendar yet (its schema is made here).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
)

func main() {
	db := flag.String("db", "", "SQLite file to create (must not exist), or postgres:// URL of an empty database")
	posts := flag.Int("posts", 1_000_000, "how many posts")
	channels := flag.Int("channels", 3, "how many log channels")
	from := flag.String("from", "", "first publish time (RFC 3339; default: now minus half the span)")
	every := flag.Duration("every", time.Minute, "spacing between posts")
	published := flag.Int("published", 0, "mark this many of the first deliveries published, each with 4 engagement snapshots (+1h, +24h, +7d, +30d), their posts in -campaign")
	campaign := flag.String("campaign", "bench-campaign", "with -published: the campaign of the posts published")
	flag.Parse()
	if *db == "" {
		log.Fatal("-db is required")
	}
	ctx := context.Background()
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(140 << 20) // as an import does: a load of the largest size stays within it
	}
	st, err := open(ctx, *db)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	var names []string
	for i := 1; i <= *channels; i++ {
		c := &calendar.Channel{Name: fmt.Sprintf("bench-%d", i), Network: "log", Settings: map[string]string{"path": os.DevNull}}
		if *published > 0 {
			// Claimed long after their time, they must not be missed.
			c.MaxLateness = 1_000_000 * time.Hour
		}
		if err := st.AddChannel(ctx, c); err != nil {
			log.Fatal(err)
		}
		names = append(names, c.Name)
	}
	start := time.Now().Add(-time.Duration(*posts/2) * *every)
	if *from != "" {
		if start, err = time.Parse(time.RFC3339, *from); err != nil {
			log.Fatal(err)
		}
	}
	t0 := time.Now()
	inCampaign := 0
	if *published > 0 {
		if err := st.AddCampaign(ctx, &calendar.Campaign{Name: *campaign}); err != nil {
			log.Fatal(err)
		}
		inCampaign = (*published + len(names) - 1) / len(names)
	}
	if err := fill(ctx, st, *posts, names, start, *every, inCampaign, *campaign); err != nil {
		log.Fatal(err)
	}
	if *published > 0 {
		if err := publishWithSnapshots(ctx, st, *published, start.Add(time.Duration(inCampaign)**every)); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d deliveries published with 4 snapshots each, their posts in campaign %s\n", *published, *campaign)
	}
	fmt.Printf("%s: %d posts × %d channels from %s every %s, in %s\n", sqlstore.RedactURL(*db), *posts, *channels, start.UTC().Format(time.RFC3339), *every, time.Since(t0).Round(time.Millisecond))
}

// open makes the calendar target names: a new SQLite file (one that exists
// is refused), or the schema in an existing PostgreSQL database
// (sqlstore.OpenURL); one that holds a calendar already fails later, at its
// first channel.
func open(ctx context.Context, target string) (*sqlstore.Store, error) {
	if !sqlstore.IsPostgresURL(target) {
		if _, err := os.Stat(target); err == nil {
			return nil, fmt.Errorf("%s exists", target)
		}
	}
	return sqlstore.OpenURL(ctx, target, sqlstore.Options{Create: true})
}

// fill adds n scheduled posts spread evenly from `from`, every `every`, on
// every channel, through the load's own write path (Store.LoadFrom): as
// many loads as the load limit asks, each streamed a chunk at a time.
// The first inCampaign posts are in campaign.
func fill(ctx context.Context, st *sqlstore.Store, n int, channels []string, from time.Time, every time.Duration, inCampaign int, campaign string) error {
	for first := 1; first <= n; first += calendar.MaxLoadPosts {
		last := min(n, first+calendar.MaxLoadPosts-1)
		src := calendar.LoadSource{Size: last - first + 1, Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
			const chunk = 2000
			items := make([]calendar.LoadItem, 0, chunk)
			for i := first; i <= last; i++ {
				it := syntheticPost(i, channels, from, every)
				if i <= inCampaign {
					it.Campaign = campaign
				}
				items = append(items, it)
				if len(items) == chunk || i == last {
					emit(items)
					items = make([]calendar.LoadItem, 0, chunk)
				}
			}
			return &calendar.LoadSet{}
		}}
		res, err := st.LoadFrom(ctx, src, calendar.LoadOptions{AllowPast: true, Zone: time.UTC})
		if err != nil {
			return err
		}
		if res.Created != last-first+1 {
			return fmt.Errorf("posts %d to %d: %d created, %d unchanged (the calendar must be new)", first, last, res.Created, res.Unchanged)
		}
	}
	return nil
}

// syntheticPost is post i of a synthetic calendar.
func syntheticPost(i int, channels []string, from time.Time, every time.Duration) calendar.LoadItem {
	n := strconv.Itoa(i)
	return calendar.LoadItem{
		File: "benchgen", Line: i, Row: i,
		Slug:     "synthetic-" + n,
		At:       from.Add(time.Duration(i-1) * every).UTC().Format(time.RFC3339),
		Status:   calendar.StatusScheduled,
		Title:    "Synthetic post " + n,
		Body:     "Body of synthetic post " + n + " with a link https://example.com/p/" + n,
		Channels: channels,
		Tags:     []string{"bench"},
	}
}

// publishWithSnapshots marks the n earliest deliveries published (through
// the scheduler's own claim and outcome, at their planned time) and gives
// each the 4 snapshots of the default schedule.
func publishWithSnapshots(ctx context.Context, st *sqlstore.Store, n int, now time.Time) error {
	res, err := st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "benchgen", Now: now, Lease: time.Hour, Limit: n})
	if err != nil {
		return err
	}
	if len(res.Claimed) != n {
		return fmt.Errorf("claimed %d deliveries, want %d", len(res.Claimed), n)
	}
	for i, d := range res.Claimed {
		if err := st.RecordOutcome(ctx, d, "benchgen", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "bench-" + strconv.Itoa(i), PublishedAt: *d.DueAt}); err != nil {
			return err
		}
		for k, off := range calendar.DefaultStatsOffsets {
			g := int64((i%97 + 1) * (k + 1))
			sn := calendar.Snapshot{DeliveryID: d.ID, Offset: off, TakenAt: d.DueAt.Add(off), State: calendar.SnapshotOK,
				Counts: map[string]int64{"replies": g / 5, "reposts": g / 3, "likes": g}}
			if err := st.RecordSnapshot(ctx, sn); err != nil {
				return err
			}
		}
	}
	return nil
}
