package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
)

func init() { registerVerb("campaign", newCampaignShiftCmd) }

func newCampaignShiftCmd(a *app) *cobra.Command {
	var by string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "shift NAME --by DURATION [--dry-run]",
		Short: "Move every unpublished post of a campaign by the same amount",
		Long: `Move every post of the campaign that is not yet published by DURATION, in
one transaction: they keep their relative timing. DURATION is a signed sum of
weeks (w), days (d), hours (h) and minutes (m): 7d, -2h, 1w, 1d12h. Days are
calendar days in each post's channel zone (else the calendar's, as for
slots; not --tz), so a 09:00 post stays at 09:00
across a daylight-saving change; hours and minutes are exact. Published and
canceled posts stay where they are.`,
		Example: `  crieur campaign shift winter-sale --by 7d
  crieur campaign shift launch --by -2h --dry-run`,
		Args: exactArgs(1, "a campaign NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if by == "" {
				return usageErr{fmt.Errorf("give --by DURATION (e.g. 7d, -2h, 1w)")}
			}
			sh, err := calendar.ParseShift(by)
			if err != nil {
				return err
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			moves, err := st.ShiftCampaign(a.ctx, args[0], sh, a.calendarZone(), dryRun)
			if err != nil {
				return err
			}
			for _, mv := range moves {
				if err := a.warnBlackout(st, mv); err != nil {
					return err
				}
			}
			return a.emit(moves, func(w io.Writer) error {
				if a.quiet() && !dryRun {
					for _, mv := range moves {
						fmt.Fprintln(w, mv.Slug)
					}
					return nil
				}
				if len(moves) == 0 {
					fmt.Fprintf(w, "Campaign %s has no timed post left to move.\n", args[0])
					return nil
				}
				t := newTable(w, "ID", "SLUG", "FROM", "TO", "STATUS")
				for _, mv := range moves {
					t.row(fmt.Sprint(mv.PostID), mv.Slug, a.when(&mv.From), a.when(&mv.To), mv.Status)
				}
				if err := t.flush(); err != nil {
					return err
				}
				verb := "Shifted"
				if dryRun {
					verb = "Would shift"
				}
				fmt.Fprintf(w, "%s %s of %s by %s.\n", verb, calendar.Count(len(moves), "post", "posts"), args[0], sh)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&by, "by", "", "how far: 7d, -2h, 1w, 1d12h")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would move, change nothing")
	return cmd
}
