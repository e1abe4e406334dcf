package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/calview"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newBlackoutCmd) }

func newBlackoutCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blackout",
		Short: "Spans when nothing is published (holidays, a crisis, a quiet period)",
		Long: `A blackout stops publishing for a span, on one channel or on all. The queue
never fills a slot inside one; a delivery that falls due inside one waits for
its end, or, with --drop, is canceled (with an event saying why). The calendar
shades blacked-out days.`,
		Example: `  crieur blackout add 2026-12-24 2026-12-26 --reason "Christmas"
  crieur blackout add "2026-12-01 12:00" "2026-12-01 18:00" --channel acme-mastodon --reason "Outage" --drop
  crieur blackout list
  crieur blackout remove 3`,
	}
	cmd.AddCommand(newBlackoutAddCmd(a), newBlackoutListCmd(a), newBlackoutRemoveCmd(a))
	return addVerbs(a, cmd)
}

func newBlackoutAddCmd(a *app) *cobra.Command {
	var channel, reason string
	var drop bool
	cmd := &cobra.Command{
		Use:   "add FROM TO --reason TEXT [--channel C] [--drop]",
		Short: "Add a blackout",
		Long: `Add a blackout from FROM to TO. A date alone starts at midnight for FROM
and, for TO, covers that whole day (2026-12-24 2026-12-26 is three days).
Times are read in --tz, else the channel's zone, else the calendar's.`,
		Example: `  crieur blackout add 2026-12-24 2026-12-26 --reason "Christmas"
  crieur blackout add "2026-12-01 12:00" "+6h" --channel acme-mastodon --reason "Outage" --drop`,
		Args: exactArgs(2, "FROM and TO"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			var chans []string
			if channel != "" {
				chans = []string{channel}
			}
			loc := a.timeZoneFor(cmd, st, chans)
			from, err := a.blackoutBound("from", args[0], loc, false)
			if err != nil {
				return err
			}
			to, err := a.blackoutBound("to", args[1], loc, true)
			if err != nil {
				return err
			}
			b := &calendar.Blackout{Channel: channel, StartsAt: from, EndsAt: to, Reason: reason, Drop: drop}
			if err := st.AddBlackout(a.ctx, b); err != nil {
				return err
			}
			if inside, err := st.PostsInBlackout(a.ctx, *b); err != nil {
				return err
			} else if len(inside) > 0 {
				fate := "wait for its end"
				if b.Drop {
					fate = "be canceled"
				}
				a.warnf("%s due inside this blackout will %s: %s", calendar.Count(len(inside), "post", "posts"), fate, namesText(inside))
			}
			return a.emit(b, func(w io.Writer) error {
				if a.quiet() {
					fmt.Fprintln(w, b.ID)
					return nil
				}
				fmt.Fprintf(w, "Added blackout %d: %s, %s – %s (%s)", b.ID, blackoutScope(*b), a.when(&b.StartsAt), a.when(&b.EndsAt), b.Reason)
				if b.Drop {
					fmt.Fprint(w, "; what falls due inside it is canceled")
				}
				fmt.Fprintln(w, ".")
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel (default: every channel)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (required)")
	cmd.Flags().BoolVar(&drop, "drop", false, "cancel what falls due inside it instead of holding it to the end")
	return cmd
}

// blackoutBound reads FROM or TO: a date is midnight in loc, and a TO date
// means the end of that day.
func (a *app) blackoutBound(field, s string, loc *time.Location, end bool) (time.Time, error) {
	if end {
		if t, ok := dayEnd(s, loc); ok {
			return t, nil
		}
	} else if d, err := time.Parse(time.DateOnly, s); err == nil {
		return calview.Midnight(d.Year(), d.Month(), d.Day(), loc).UTC(), nil
	}
	return a.parseWhen(field, s, loc, true)
}

// dayEnd is the end of day s, a date (YYYY-MM-DD), in loc: the next day's
// first instant (01:00 where clocks spring forward at midnight), in UTC.
func dayEnd(s string, loc *time.Location) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	return calview.Midnight(d.Year(), d.Month(), d.Day()+1, loc).UTC(), true
}

func blackoutScope(b calendar.Blackout) string {
	if b.Channel == "" {
		return "every channel"
	}
	return b.Channel
}

func newBlackoutListCmd(a *app) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:     "list [--all]",
		Aliases: []string{"ls"},
		Short:   "List blackouts that have not ended (--all: past ones too)",
		Example: `  crieur blackout list
  crieur blackout list --all -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			from := a.now()
			if all {
				from = time.Time{}
			}
			bs, err := st.Blackouts(a.ctx, from, time.Time{})
			if err != nil {
				return err
			}
			return a.emit(bs, func(w io.Writer) error {
				if a.quiet() {
					for _, b := range bs {
						fmt.Fprintln(w, b.ID)
					}
					return nil
				}
				if len(bs) == 0 {
					fmt.Fprintln(w, "No blackouts.")
					return nil
				}
				t := newTable(w, "ID", "CHANNEL", "FROM", "TO", "DROP", "REASON")
				for _, b := range bs {
					t.row(strconv.FormatInt(b.ID, 10), blackoutScope(b), a.when(&b.StartsAt), a.when(&b.EndsAt), yesNo(b.Drop, "yes", "no"), b.Reason)
				}
				return t.flush()
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "include blackouts that have ended")
	return cmd
}

func newBlackoutRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "remove ID",
		Aliases: []string{"rm"},
		Short:   "Remove a blackout: what it held becomes due again",
		Example: `  crieur blackout remove 3`,
		Args:    exactArgs(1, "a blackout ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageErr{fmt.Errorf("%q is not a blackout id (see `crieur blackout list`)", args[0])}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			b, err := st.RemoveBlackout(a.ctx, id)
			if err != nil {
				return err
			}
			return a.emit(b, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Removed blackout %d (%s).\n", b.ID, b.Reason)
				}
				return nil
			})
		},
	}
}

// namesText lists names for a message, the first ten and a count of the rest.
func namesText(names []string) string {
	const most = 10
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:most], ", ") + fmt.Sprintf(", and %d more", len(names)-most)
}

// warnBlackout says on stderr that a move lands inside a blackout.
func (a *app) warnBlackout(st calendar.Store, mv calendar.Move) error {
	b, err := st.BlackoutCovering(a.ctx, mv.PostID, mv.To)
	if err != nil || b == nil || a.quiet() {
		return err
	}
	fate := "it will wait for the blackout's end"
	if b.Drop {
		fate = "it will be canceled then"
	}
	a.warnf("post %s at %s falls inside blackout %d (%s, %s – %s): %s",
		mv.Slug, a.when(&mv.To), b.ID, b.Reason, a.when(&b.StartsAt), a.when(&b.EndsAt), fate)
	return nil
}
