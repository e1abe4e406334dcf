package main

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/report"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

func init() {
	registerCommand(newStatsCmd)
	registerVerb("slot", newSlotSuggestCmd)
}

// keyStatsAt is when, after a post went live, its numbers are read (the
// config's stats-at, CRIEUR_STATS_AT): durations, comma-separated.
const keyStatsAt = "stats-at"

// keyStatsEvery is how often the daemon looks for numbers to read.
const keyStatsEvery = "stats-every"

// statsOffsets reads stats-at: "1h,24h,7d,30d" (d is 24 hours).
func (a *app) statsOffsets() ([]time.Duration, error) {
	v := strings.TrimSpace(a.v.GetString(keyStatsAt))
	if v == "" {
		return calendar.DefaultStatsOffsets, nil
	}
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		var d time.Duration
		var err error
		if n, ok := strings.CutSuffix(f, "d"); ok {
			d, err = time.ParseDuration(n + "h")
			d *= 24
		} else {
			d, err = time.ParseDuration(f)
		}
		if err != nil || d <= 0 {
			return nil, usageErr{fmt.Errorf("%s %q: give durations after publishing, e.g. 1h,24h,7d,30d", keyStatsAt, f)}
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// statsCollector is the collector the daemon and `stats collect` run.
func (a *app) statsCollector(st calendar.Store, log *slog.Logger) (*scheduler.StatsCollector, error) {
	offsets, err := a.statsOffsets()
	if err != nil {
		return nil, err
	}
	return &scheduler.StatsCollector{Store: st, Offsets: offsets, Factory: scheduler.Factory{Out: io.Discard}, Now: a.now, Log: log}, nil
}

func newStatsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Read the engagement of published posts back from the networks",
		Example: `  crieur stats collect
  crieur stats collect --since 2026-10-01`,
	}
	var since string
	collect := &cobra.Command{
		Use:   "collect",
		Short: "Read the numbers that are due now, once (the daemon does it by itself)",
		Long: `Read back the engagement of each published post whose reading is due: 1 hour,
24 hours, 7 days and 30 days after it went live (stats-at in the config, e.g.
"1h,24h,7d,30d"). Every reading is kept. A post the network deleted, or that it
no longer lets crieur read, is recorded so, never as zero; a network that asks
to wait (rate limit) is left for the next run. For cron users: run it hourly.`,
		Example: `  crieur stats collect
  crieur stats collect --since 2026-10-01`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			var from time.Time
			if since != "" {
				if from, err = a.parseDay("since", since); err != nil {
					return err
				}
			}
			c, err := a.statsCollector(st, nil)
			if err != nil {
				return err
			}
			run, err := c.Collect(a.ctx, from)
			if err != nil {
				return err
			}
			sort.Strings(run.NoStats)
			next, err := c.Next(a.ctx)
			if err != nil {
				return err
			}
			out := struct {
				scheduler.StatsRun
				Next *statsNext `json:"next"` // null: no reading to come
			}{StatsRun: run}
			if next != nil {
				out.Next = &statsNext{Post: next.Post, Channel: next.Channel, At: next.At.In(a.zone()).Format(time.RFC3339), After: next.After}
			}
			return a.emit(out, func(w io.Writer) error {
				if a.quiet() {
					fmt.Fprintln(w, run.Recorded)
					return nil
				}
				fmt.Fprintf(w, "Read %d of %d readings due", run.Recorded, run.Due)
				if run.Deleted > 0 || run.Revoked > 0 {
					fmt.Fprintf(w, " (%d deleted by the network, %d no longer readable)", run.Deleted, run.Revoked)
				}
				fmt.Fprintln(w, ".")
				for _, ch := range sortedKeys(run.Deferred) {
					fmt.Fprintf(w, "%s: the network asked to wait (rate limit); left for the next run after %s.\n", ch, run.Deferred[ch])
				}
				for _, ch := range sortedKeys(run.Failed) {
					fmt.Fprintf(w, "%s: %s\n", ch, run.Failed[ch])
				}
				if next != nil {
					fmt.Fprintf(w, "Next reading: %s on %s at %s (+%s).\n", next.Post, next.Channel, a.when(&next.At), next.After)
				} else {
					fmt.Fprintln(w, "No reading to come: no post published lately on a channel that gives numbers.")
				}
				return nil
			})
		},
	}
	collect.Flags().StringVar(&since, "since", "", "also posts published since this day (default: the last reading's age and a week)")
	cmd.AddCommand(collect)
	return addVerbs(a, cmd)
}

// statsNext is the next reading as -o json gives it: its time in the
// calendar's zone, with its offset.
type statsNext struct {
	Post    string `json:"post"`
	Channel string `json:"channel"`
	At      string `json:"at"`
	After   string `json:"after"`
}

func newSlotSuggestCmd(a *app) *cobra.Command {
	var top, minPosts int
	cmd := &cobra.Command{
		Use:   "suggest CHANNEL",
		Short: "Propose slots from the channel's own history: the hours with the best median engagement",
		Long: `Rank the hours of the week (weekday and hour, in the channel's zone) by the
median engagement of the channel's posts published in them, each with the number
of posts behind it. With fewer than --min posts with numbers, it says there is too
little data instead (see "crieur stats collect").`,
		Example: `  crieur slot suggest acme-mastodon
  crieur slot suggest acme-bsky --top 3 -o json`,
		Args: exactArgs(1, "a CHANNEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			ch, err := st.Channel(a.ctx, args[0])
			if err != nil {
				return err
			}
			rows, err := st.Engagement(a.ctx, calendar.EngagementFilter{Channel: ch.Name})
			if err != nil {
				return err
			}
			s := report.Suggest(ch.Name, rows, st.SlotZone(ch), top, minPosts)
			if len(rows) > 0 && len(networkMetrics(ch.Network)) == 0 {
				s.Message = fmt.Sprintf("%s gives no numbers (network %s): nothing to suggest from", ch.Name, ch.Network)
			} else if nw, err := publishers.Lookup(ch.Network); err == nil && !s.Enough {
				if _, why := nw.MetricsFor(ch.Settings); why != "" {
					s.Message = fmt.Sprintf("%s gives no numbers (%s): nothing to suggest from", ch.Name, why)
				}
			}
			return a.emit(s, func(w io.Writer) error {
				if !s.Enough {
					fmt.Fprintln(w, s.Message+".")
					return nil
				}
				fmt.Fprintf(w, "Best hours for %s (%s time), from %d posts with numbers:\n", s.Channel, s.Zone, s.Posts)
				t := newTable(w, "SLOT", "MEDIAN ENGAGEMENT", "POSTS")
				for _, sl := range s.Slots {
					t.row(sl.Slot, median(&sl.Median), fmt.Sprint(sl.Posts))
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().IntVar(&top, "top", 5, "how many hours to propose")
	cmd.Flags().IntVar(&minPosts, "min", report.DefaultMinPosts, "posts with numbers needed before suggesting")
	return cmd
}
