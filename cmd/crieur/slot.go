package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/when"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newSlotCmd) }

func newSlotCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slot",
		Short: "Manage a channel's recurring publish slots (the queue fills them)",
		Example: `  crieur slot add acme-mastodon "mon-fri 09:00,12:30"
  crieur slot list`,
	}
	var category string
	add := &cobra.Command{
		Use:   "add CHANNEL SPEC [--category NAME]",
		Short: "Add a recurring slot, in the channel's zone",
		Long: `Add a recurring publish slot. SPEC is a cron spec ("0 9 * * 1-5") or a readable
form: "mon-fri 09:00,12:30", "daily 09:00", "weekdays 9am", "weekends 10:00",
"mon,wed,fri 18:00". Times are the channel's local times (its --tz, else the
calendar's zone, tz in the config; UTC when neither is set), never the zone of
the machine or of --tz, and stay so across
daylight-saving changes: a slot in the spring-forward gap fires once, just after
it; one in the fall-back hour fires once.

With --category, the slot is the evergreen category's: the daemon (or
` + "`category fill`" + `) fills it ahead of time with a copy of one of the category's
posts, and the queue leaves it alone.`,
		Example: `  crieur slot add acme-mastodon "mon-fri 09:00,12:30"
  crieur slot add acme-bsky "0 18 * * 2,4"
  crieur slot add acme-mastodon "tue,thu 10:00" --category tips`,
		Args: exactArgs(2, "CHANNEL and SPEC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			sl, err := st.AddCategorySlot(a.ctx, args[0], args[1], category)
			if err != nil {
				return err
			}
			return a.emit(sl, func(w io.Writer) error {
				if a.quiet() {
					fmt.Fprintln(w, sl.ID)
					return nil
				}
				loc := a.slotZone(st, sl)
				fmt.Fprintf(w, "Added slot %d to %s: %s (%s time)\n", sl.ID, sl.Channel, sl.Cron, loc)
				if sl.Category != "" {
					fmt.Fprintf(w, "Category %s fills it ahead of time (see `crieur calendar`; `crieur category fill` to fill now).\n", sl.Category)
				}
				next := a.nextSlots(st, sl, 3)
				if len(next) > 0 {
					fmt.Fprintf(w, "Next: %s\n", joinTimes(next, loc))
				}
				if c, err := st.Channel(a.ctx, sl.Channel); err == nil && c.TZ == "" && a.calLoc == nil && a.calTZ == "" {
					fmt.Fprintf(a.errOut, "Note: %s has no zone and the calendar has none: its slots are UTC times. Set one with `crieur channel edit %s --tz ZONE`, or the calendar's with `crieur init --tz ZONE`.\n", sl.Channel, sl.Channel)
				}
				return nil
			})
		},
	}
	add.Flags().StringVar(&category, "category", "", "an evergreen category that fills this slot")
	cmd.AddCommand(add)
	cmd.AddCommand(&cobra.Command{
		Use:     "list [CHANNEL]",
		Aliases: []string{"ls"},
		Short:   "List slots with their next time",
		Example: `  crieur slot list
  crieur slot list acme-mastodon -o json`,
		Args: rangeArgs(0, 1, "at most a CHANNEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			ch := ""
			if len(args) == 1 {
				ch = args[0]
			}
			slots, err := st.Slots(a.ctx, ch)
			if err != nil {
				return err
			}
			type slotDoc struct {
				calendar.Slot
				Zone string     `json:"zone"`
				Next *time.Time `json:"next"`
				loc  *time.Location
			}
			docs := make([]slotDoc, len(slots))
			for i, sl := range slots {
				docs[i].Slot = sl
				docs[i].loc = a.slotZone(st, sl)
				docs[i].Zone = docs[i].loc.String()
				if n := a.nextSlots(st, sl, 1); len(n) > 0 {
					next := n[0].UTC()
					docs[i].Next = &next
				}
			}
			// The viewer's zone (--tz) is shown beside, labelled, when it differs.
			viewer := ""
			if fl := cmd.Flag(keyTZ); fl != nil && fl.Changed {
				for _, d := range docs {
					if d.Zone != a.zone().String() {
						viewer = a.zone().String()
					}
				}
			}
			return a.emit(docs, func(w io.Writer) error {
				if a.quiet() {
					for _, d := range docs {
						fmt.Fprintln(w, d.ID)
					}
					return nil
				}
				if len(docs) == 0 {
					fmt.Fprintln(w, "No slots. Add one: crieur slot add CHANNEL \"mon-fri 09:00\"")
					return nil
				}
				cols := []string{"ID", "CHANNEL", "SPEC", "CRON", "ZONE", "NEXT (SLOT'S ZONE)"}
				if viewer != "" {
					cols = append(cols, "NEXT IN "+viewer)
				}
				categories := false
				for _, d := range docs {
					categories = categories || d.Category != ""
				}
				if categories {
					cols = append(cols, "CATEGORY")
				}
				t := newTable(w, cols...)
				for _, d := range docs {
					row := []string{strconv.FormatInt(d.ID, 10), d.Channel, d.Spec, d.Cron, d.Zone, inZone(d.Next, d.loc)}
					if viewer != "" {
						row = append(row, a.when(d.Next))
					}
					if categories {
						row = append(row, dash(d.Category))
					}
					t.row(row...)
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "remove ID",
		Aliases: []string{"rm"},
		Short:   "Remove a slot (posts already placed keep their time)",
		Example: `  crieur slot remove 3`,
		Args:    exactArgs(1, "a slot ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return usageErr{fmt.Errorf("slot ID %q is not a number (see `crieur slot list`)", args[0])}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			if err := st.RemoveSlot(a.ctx, id); err != nil {
				return err
			}
			return a.emit(map[string]any{"removed": id}, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Removed slot %d.\n", id)
				}
				return nil
			})
		},
	})
	return addVerbs(a, cmd)
}

// slotZone is the zone a slot's times are in: its channel's, else the
// calendar's (the same rule the queue follows), never the viewer's.
func (a *app) slotZone(st calendar.Store, sl calendar.Slot) *time.Location {
	c, err := st.Channel(a.ctx, sl.Channel)
	if err != nil {
		return a.calendarZone()
	}
	return st.SlotZone(c)
}

// nextSlots returns a slot's next n instants, read in the slot's zone.
func (a *app) nextSlots(st calendar.Store, sl calendar.Slot, n int) []time.Time {
	sc, err := when.ParseSchedule(sl.Cron)
	if err != nil {
		return nil
	}
	now := a.now()
	return sc.Between(now, now.AddDate(1, 0, 0), a.slotZone(st, sl), n)
}

// inZone formats an instant in loc.
func inZone(t *time.Time, loc *time.Location) string {
	if t == nil {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func joinTimes(ts []time.Time, loc *time.Location) string {
	s := ""
	for i := range ts {
		if i > 0 {
			s += ", "
		}
		s += inZone(&ts[i], loc)
	}
	return s
}
