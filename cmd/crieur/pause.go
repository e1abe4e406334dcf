package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

func init() {
	registerCommand(func(a *app) *cobra.Command { return newPauseCmd(a, true) })
	registerCommand(func(a *app) *cobra.Command { return newPauseCmd(a, false) })
}

// newPauseCmd builds `pause` (the kill switch, or one channel) and `resume`.
func newPauseCmd(a *app, pause bool) *cobra.Command {
	var all bool
	var reason string
	cmd := &cobra.Command{
		Use:   "resume [--all | CHANNEL]",
		Short: "Resume publishing, everywhere or on one channel",
		Example: `  crieur resume --all
  crieur resume acme-mastodon`,
		Args: rangeArgs(0, 1, "--all or a CHANNEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) {
				return usageErr{fmt.Errorf("give either --all or one CHANNEL")}
			}
			if !all {
				return a.pauseChannel(a.ctx, args[0], pause, reason)
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			if pause {
				err = st.PauseAll(a.ctx, reason)
			} else {
				err = st.ResumeAll(a.ctx)
			}
			if err != nil {
				return err
			}
			on, why, err := st.PausedAll(a.ctx)
			if err != nil {
				return err
			}
			return a.emit(map[string]any{"paused_all": on, "reason": why}, func(w io.Writer) error {
				if a.quiet() {
					return nil
				}
				if on {
					fmt.Fprintf(w, "Paused every channel: %s. Nothing will be published until `crieur resume --all`.\n", why)
				} else {
					fmt.Fprintln(w, "Resumed: due posts publish again (paused channels stay paused).")
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every channel (the kill switch)")
	if pause {
		cmd.Use = "pause [--all | CHANNEL] [--reason TEXT]"
		cmd.Short = "Stop publishing at once, everywhere (--all) or on one channel"
		cmd.Long = `Stop publishing. With --all, the kill switch: no delivery is claimed anywhere
from now on (a running daemon sees it within a second); posts being sent at
that moment finish and are recorded. With a CHANNEL, only that channel.`
		cmd.Example = `  crieur pause --all --reason "breaking news: hold every post"
  crieur pause acme-mastodon --reason "rebranding"`
		cmd.Flags().StringVar(&reason, "reason", "", "why, shown by crieur status")
	}
	return cmd
}
