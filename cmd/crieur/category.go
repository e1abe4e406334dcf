package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerCommand(newCategoryCmd) }

// keyFillHorizon is how far ahead category slots are filled: a flag of
// daemon, publish and category fill, and `fill-horizon` in the config.
const keyFillHorizon = "fill-horizon"

// categoryFlags are the settings of add and edit.
type categoryFlags struct {
	order, minGap, expires string
	maxRepeats             int
}

func (f *categoryFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.order, "order", "fifo", "which post comes next: fifo (least recently used), lifo (newest first among the least used) or shuffle")
	fl.IntVar(&f.maxRepeats, "max-repeats", 0, "recycle each post at most N times (0: no cap)")
	fl.StringVar(&f.minGap, "min-gap", "", "not again on one channel within this gap: 30d, 2w, 36h")
	fl.StringVar(&f.expires, "expires", "", "no copy at or after WHEN (a seasonal category); \"\" clears it on edit")
}

// apply writes the flags given onto c (all of them for add).
func (a *app) applyCategoryFlags(cmd *cobra.Command, f categoryFlags, c *calendar.Category) error {
	ch := cmd.Flags().Changed
	if ch("order") || c.ID == 0 {
		o, err := calendar.CheckOrder(f.order)
		if err != nil {
			return usageErr{fmt.Errorf("--order %q: use fifo, lifo or shuffle", f.order)}
		}
		c.Order = o
	}
	if ch("max-repeats") {
		if f.maxRepeats < 0 {
			return usageErr{errors.New("--max-repeats cannot be negative (0 is no cap)")}
		}
		c.MaxRepeats = f.maxRepeats
	}
	if ch("min-gap") {
		gap, err := calendar.ParseGap(f.minGap)
		if err != nil {
			return usageErr{fmt.Errorf("--min-gap: %v", err)}
		}
		c.MinGap = gap
	}
	if ch("expires") {
		if f.expires == "" {
			c.ExpiresAt = nil
		} else {
			t, err := a.parseExpires(f.expires, a.calendarZone())
			if err != nil {
				return err
			}
			c.ExpiresAt = &t
		}
	}
	return nil
}

func newCategoryCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "category",
		Short: "Manage evergreen categories: libraries of posts that category slots recycle",
		Long: `A category is a library of evergreen posts. A post joins with
` + "`post new|edit --category NAME`" + ` (or category: in its front matter, a category
column in a load); ` + "`slot add CHANNEL SPEC --category NAME`" + ` makes a slot the
category fills. The daemon fills those slots ahead of time (--fill-horizon,
7 days by default) with a copy of one of the category's posts: each copy is a
post of its own, shown by ` + "`crieur calendar`" + `, that you can edit, move or cancel
before it goes out. ` + "`category fill`" + ` (and ` + "`publish --due`" + `) do the same without a
daemon.`,
		Example: `  crieur category add tips --order fifo --min-gap 30d
  crieur category show tips
  crieur category fill --dry-run`,
	}
	var addFlags categoryFlags
	add := &cobra.Command{
		Use:   "add NAME [--order fifo|lifo|shuffle] [--max-repeats N] [--min-gap 30d] [--expires WHEN]",
		Short: "Add a category",
		Example: `  crieur category add tips --order shuffle --max-repeats 6 --min-gap 30d
  crieur category add winter --expires 2027-03-01`,
		Args: exactArgs(1, "a category NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := calendar.Category{Name: args[0]}
			if cmd.Flags().Changed("expires") {
				// An expiry's local time is read in the calendar's zone, kept in it.
				if _, err := a.db(); err != nil {
					return err
				}
			}
			if err := a.applyCategoryFlags(cmd, addFlags, &c); err != nil {
				return err
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			if err := st.AddCategory(a.ctx, &c); err != nil {
				return err
			}
			return a.emit(c, func(w io.Writer) error {
				if a.quiet() {
					fmt.Fprintln(w, c.Name)
					return nil
				}
				fmt.Fprintf(w, "Added category %s (order %s%s).\n", c.Name, c.Order, prefixed(", ", categoryLimits(a, c)))
				fmt.Fprintf(w, "Add posts with `crieur post edit SLUG --category %s` and a slot with `crieur slot add CHANNEL SPEC --category %s`.\n", c.Name, c.Name)
				return nil
			})
		},
	}
	addFlags.bind(add)
	cmd.AddCommand(add)

	var editFlags categoryFlags
	var rename string
	edit := &cobra.Command{
		Use:   "edit NAME [--order …] [--max-repeats N] [--min-gap D] [--expires WHEN] [--name NEW]",
		Short: "Change a category's order and limits (the fills after the change follow them)",
		Example: `  crieur category edit tips --order lifo --min-gap 14d
  crieur category edit winter --expires ""`,
		Args: exactArgs(1, "a category NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			c, err := st.Category(a.ctx, args[0])
			if err != nil {
				return err
			}
			if err := a.applyCategoryFlags(cmd, editFlags, &c); err != nil {
				return err
			}
			if cmd.Flags().Changed("name") {
				c.Name = rename
			}
			if err := st.UpdateCategory(a.ctx, &c); err != nil {
				return err
			}
			return a.emit(c, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Updated category %s (order %s%s). Copies already in the calendar keep their post; later fills follow the change.\n", c.Name, c.Order, prefixed(", ", categoryLimits(a, c)))
				}
				return nil
			})
		},
	}
	editFlags.bind(edit)
	edit.Flags().StringVar(&rename, "name", "", "rename the category")
	cmd.AddCommand(edit)

	cmd.AddCommand(&cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List categories: posts, slots, how often each post comes back",
		Example: `  crieur category list
  crieur category list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			stats, err := st.CategoryStats(a.ctx, "", false)
			if err != nil {
				return err
			}
			return a.emit(stats, func(w io.Writer) error {
				if a.quiet() {
					for _, s := range stats {
						fmt.Fprintln(w, s.Name)
					}
					return nil
				}
				if len(stats) == 0 {
					fmt.Fprintln(w, "No categories. Add one: crieur category add tips --min-gap 30d")
					return nil
				}
				t := newTable(w, "NAME", "ORDER", "POSTS", "SLOTS/WEEK", "EACH POST", "LIMITS")
				for _, s := range stats {
					t.row(s.Name, s.Order, strconv.Itoa(s.Posts), strconv.Itoa(s.SlotsPerWeek), repeatText(s), dash(categoryLimits(a, s.Category)))
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "show NAME",
		Short:   "Show a category: its limits, its rate, and each post's copies and expiry",
		Example: `  crieur category show tips`,
		Args:    exactArgs(1, "a category NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			stats, err := st.CategoryStats(a.ctx, args[0], true)
			if err != nil {
				return err
			}
			s := stats[0]
			return a.emit(s, func(w io.Writer) error {
				t := newTable(w)
				t.row("name:", s.Name)
				t.row("order:", s.Order)
				t.row("limits:", dash(categoryLimits(a, s.Category)))
				t.row("posts:", strconv.Itoa(s.Posts))
				t.row("slots:", fmt.Sprintf("%d (%d a week)", s.Slots, s.SlotsPerWeek))
				t.row("each post:", repeatText(s))
				if err := t.flush(); err != nil {
					return err
				}
				if len(s.Members) == 0 {
					fmt.Fprintf(w, "\nNo posts yet: `crieur post edit SLUG --category %s`.\n", s.Name)
					return nil
				}
				fmt.Fprintln(w)
				t = newTable(w, "POST", "COPIES", "MAX", "LATEST COPY", "EXPIRES")
				for _, m := range s.Members {
					max := "-"
					if m.MaxRepeats > 0 {
						max = strconv.Itoa(m.MaxRepeats)
					}
					t.row(m.Slug, strconv.Itoa(m.Copies), max, a.when(m.LatestCopy), a.when(m.ExpiresAt))
				}
				return t.flush()
			})
		},
	})
	var force bool
	del := &cobra.Command{
		Use:     "delete NAME [--force]",
		Aliases: []string{"remove", "rm"},
		Short:   "Delete a category (its posts stay, outside any category; copies already made stay)",
		Example: `  crieur category delete winter
  crieur category delete tips --force   # also removes the slots it fills`,
		Args: exactArgs(1, "a category NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			if err := st.DeleteCategory(a.ctx, args[0], force); err != nil {
				return err
			}
			return a.emit(map[string]any{"deleted": args[0]}, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Deleted category %s.\n", args[0])
				}
				return nil
			})
		},
	}
	del.Flags().BoolVar(&force, "force", false, "also remove the slots the category fills")
	cmd.AddCommand(del)

	var dryRun bool
	var horizonFlag string
	fill := &cobra.Command{
		Use:   "fill [--horizon 7d] [--dry-run]",
		Short: "Fill category slots ahead now (what the daemon does every 15 minutes)",
		Long: `Fill every category slot of the coming horizon (7 days by default;
fill-horizon in the config) that nothing holds yet with a copy of one of the
category's posts, and print what was filled. For cron users without a
daemon; ` + "`publish --due`" + ` runs it too. Running it again fills nothing more: each
slot time is filled once (a copy you cancel or delete is not replaced), and a
slot time a post placed by hand or by the queue holds is left alone.

A post that no longer passes its network's checks is skipped and reported,
never published; the next post in the category's order takes the slot.`,
		Example: `  crieur category fill
  crieur category fill --horizon 14d --dry-run -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			horizon, err := a.fillHorizon(horizonFlag)
			if err != nil {
				return err
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			rep, err := scheduler.FillEvergreen(a.ctx, st, calendar.FillOptions{Now: a.now(), Horizon: horizon, Check: a.fillCheck(st), DryRun: dryRun}, nil)
			if err != nil {
				return err
			}
			return a.showFill(rep, dryRun)
		},
	}
	fill.Flags().StringVar(&horizonFlag, "horizon", "", "how far ahead to fill (default 7d; fill-horizon in the config)")
	fill.Flags().BoolVar(&dryRun, "dry-run", false, "show what would be filled, change nothing")
	cmd.AddCommand(fill)
	return addVerbs(a, cmd)
}

// fillHorizon is the flag's value when given, else --fill-horizon /
// fill-horizon in the config (CRIEUR_FILL_HORIZON), else 7 days.
func (a *app) fillHorizon(flag string) (time.Duration, error) {
	v := flag
	if v == "" {
		v = a.v.GetString(keyFillHorizon)
	}
	if v == "" {
		return calendar.DefaultFillHorizon, nil
	}
	d, err := calendar.ParseGap(v)
	if err != nil || d <= 0 {
		return 0, usageErr{fmt.Errorf("fill horizon %q: write days (7d), weeks (2w) or hours (36h)", v)}
	}
	return d, nil
}

// fillCheck is what a recycled copy must pass before the fill writes it:
// its network's validation, as for any post saved. The editorial rules
// (rules.yaml) plug in here, after the network's checks, so a copy breaking
// a rule is skipped and reported like one a network would refuse.
func (a *app) fillCheck(st calendar.Store) func(calendar.Post) error {
	return func(p calendar.Post) error {
		return a.checkPost(st, p)
	}
}

// showFill prints a fill's report: the copies made, the posts skipped and
// the slots left empty (notices on stderr).
func (a *app) showFill(rep calendar.FillReport, dryRun bool) error {
	for _, n := range rep.Skipped {
		fmt.Fprintf(a.note(), "Skipped %s for %s at %s (category %s): %s. It was not scheduled.\n", n.Post, n.Channel, a.when(&n.At), n.Category, n.Reason)
	}
	return a.emit(rep, func(w io.Writer) error {
		if a.quiet() {
			for _, f := range rep.Filled {
				fmt.Fprintln(w, f.Slug)
			}
			return nil
		}
		verb := "Filled"
		if dryRun {
			verb = "Would fill"
		}
		if len(rep.Filled) == 0 && len(rep.Empty) == 0 && len(rep.Skipped) == 0 {
			fmt.Fprintln(w, "Nothing to fill: every category slot of the horizon is taken.")
		} else if len(rep.Filled) == 0 {
			// Some slots are still open: "every slot is taken" would contradict the lines below.
			fmt.Fprintln(w, "Nothing filled.")
		} else {
			t := newTable(w, "AT", "CHANNEL", "CATEGORY", "COPY OF", "NEW POST")
			for _, f := range rep.Filled {
				slug := f.Slug
				if dryRun {
					slug = "-"
				}
				t.row(a.when(&f.At), f.Channel, f.Category, f.From, slug)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(w, "%s %s.\n", verb, calendar.Count(len(rep.Filled), "slot", "slots"))
		}
		if len(rep.Empty) > 0 {
			fmt.Fprintf(w, "%s left empty: no post of the category may fill them (expired, repeated enough, or too recent on the channel).\n",
				calendar.Count(len(rep.Empty), "slot", "slots"))
		}
		if len(rep.Skipped) > 0 {
			fmt.Fprintf(w, "%s skipped (see above).\n", calendar.Count(len(rep.Skipped), "post", "posts"))
		}
		return nil
	})
}

// categoryLimits words a category's limits: "at most 6 times, min gap 30d".
func categoryLimits(a *app, c calendar.Category) string {
	var out []string
	if c.MaxRepeats > 0 {
		out = append(out, "at most "+calendar.Count(c.MaxRepeats, "time", "times")+" each")
	}
	if c.MinGap > 0 {
		out = append(out, "min gap "+calendar.GapText(c.MinGap))
	}
	if c.ExpiresAt != nil {
		out = append(out, "expires "+a.when(c.ExpiresAt))
	}
	return strings.Join(out, ", ")
}

// repeatText says how often each post comes back at the slot rate.
func repeatText(s calendar.CategoryStats) string {
	switch {
	case s.Posts == 0:
		return "no posts"
	case s.SlotsPerWeek == 0:
		return "no slot"
	case s.RepeatDays < 1:
		return fmt.Sprintf("~%.1f times a day", 1/s.RepeatDays)
	}
	return fmt.Sprintf("every ~%.0f days", s.RepeatDays)
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// parseExpires reads an expiry: a WHEN, or a bare date (its midnight in loc).
func (a *app) parseExpires(s string, loc *time.Location) (time.Time, error) {
	if d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), loc); err == nil {
		return d.UTC(), nil
	}
	return a.parseWhen("expires", s, loc, true)
}
