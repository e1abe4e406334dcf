package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/when"
)

func init() { registerCommand(newSlotCmd) }

func newSlotCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slot",
		Short: "Manage a channel's recurring publish slots (the queue fills them)",
		Example: `  crieur slot add acme-mastodon "mon-fri 09:00,12:30"
  crieur slot list`,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "add CHANNEL SPEC",
		Short: "Add a recurring slot, in the channel's zone",
		Long: `Add a recurring publish slot. SPEC is a cron spec ("0 9 * * 1-5") or a readable
form: "mon-fri 09:00,12:30", "daily 09:00", "weekdays 9am", "weekends 10:00",
"mon,wed,fri 18:00". Times are the channel's local times, and stay so across
daylight-saving changes: a slot in the spring-forward gap fires once, just after
it; one in the fall-back hour fires once.`,
		Example: `  crieur slot add acme-mastodon "mon-fri 09:00,12:30"
  crieur slot add acme-bsky "0 18 * * 2,4"`,
		Args: exactArgs(2, "CHANNEL and SPEC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			sl, err := st.AddSlot(a.ctx, args[0], args[1])
			if err != nil {
				return err
			}
			return a.emit(sl, func(w io.Writer) error {
				if a.quiet() {
					fmt.Fprintln(w, sl.ID)
					return nil
				}
				fmt.Fprintf(w, "Added slot %d to %s: %s\n", sl.ID, sl.Channel, sl.Cron)
				next := a.nextSlots(st, sl, 3)
				if len(next) > 0 {
					fmt.Fprintf(w, "Next: %s\n", joinTimes(a, next))
				}
				return nil
			})
		},
	})
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
				Next *time.Time `json:"next"`
			}
			docs := make([]slotDoc, len(slots))
			for i, sl := range slots {
				docs[i].Slot = sl
				if n := a.nextSlots(st, sl, 1); len(n) > 0 {
					next := n[0].UTC() // JSON instants are UTC; the table shows the viewer's zone
					docs[i].Next = &next
				}
			}
			return a.emit(docs, func(w io.Writer) error {
				if len(docs) == 0 {
					fmt.Fprintln(w, "No slots. Add one: crieur slot add CHANNEL \"mon-fri 09:00\"")
					return nil
				}
				t := newTable(w, "ID", "CHANNEL", "SPEC", "CRON", "NEXT")
				for _, d := range docs {
					t.row(strconv.FormatInt(d.ID, 10), d.Channel, d.Spec, d.Cron, a.when(d.Next))
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

// nextSlots returns a slot's next n instants in its channel's zone.
func (a *app) nextSlots(st *calendar.Store, sl calendar.Slot, n int) []time.Time {
	c, err := st.Channel(a.ctx, sl.Channel)
	if err != nil {
		return nil
	}
	sc, err := when.ParseSchedule(sl.Cron)
	if err != nil {
		return nil
	}
	now := a.now()
	return sc.Between(now, now.AddDate(1, 0, 0), c.Zone(a.zone()), n)
}

func joinTimes(a *app, ts []time.Time) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += a.when(&t)
	}
	return s
}
