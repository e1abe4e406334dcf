package main

import (
	"fmt"
	"log/slog"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
)

func init() {
	registerVerb("post", newPostPublishCmd)
	registerVerb("post", func(a *app) *cobra.Command { return newPostDecideCmd(a, true) })
	registerVerb("post", func(a *app) *cobra.Command { return newPostDecideCmd(a, false) })
}

func newPostPublishCmd(a *app) *cobra.Command {
	var now bool
	cmd := &cobra.Command{
		Use:   "publish REF --now",
		Short: "Publish a post now, on every channel it has",
		Long: `Publish a post now: it is re-timed to now and its due deliveries are
published before the command returns (through the same claim as the daemon,
so a running daemon never publishes it a second time).`,
		Example: `  crieur post publish winter-sale --now`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !now {
				return usageErr{fmt.Errorf("say --now to publish at once (to publish later: `crieur post schedule %s --at WHEN`)", args[0])}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			cur, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			if err := a.checkPost(st, cur); err != nil {
				return err
			}
			p, err := st.PublishNow(a.ctx, args[0], a.now().UTC())
			if err != nil {
				return err
			}
			if p.Status != calendar.StatusScheduled {
				return fmt.Errorf("post %s is %s: it cannot be published before it is approved (`crieur post approve %s`): %w",
					p.Slug, calendar.StatusWords(p.Status), p.Slug, calendar.ErrConflict)
			}
			log, err := a.logger(slog.LevelWarn)
			if err != nil {
				return err
			}
			s, err := a.newScheduler(log, nil)
			if err != nil {
				return err
			}
			rep, err := s.RunOnce(a.ctx, p.ID)
			if err != nil {
				return err
			}
			return a.showReport(rep)
		},
	}
	cmd.Flags().BoolVar(&now, "now", false, "publish at once")
	bindSchedulerFlags(cmd)
	return cmd
}

// newPostDecideCmd builds `post retry` and `post dismiss`: a person's
// decision on deliveries that are held, failed or missed.
func newPostDecideCmd(a *app, retry bool) *cobra.Command {
	var channel string
	var force bool
	cmd := &cobra.Command{
		Use:   "dismiss REF [--channel C]",
		Short: "Give up on a post's held, failed or missed deliveries (they become canceled)",
		Long: `Dismiss a post's held, failed or missed deliveries: they are canceled and
will not be published. Use it when you checked that a held post did reach the
network, or decided it should not go out late.`,
		Example: `  crieur post dismiss winter-sale --channel acme-bsky`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			decide, verb := func(ref, channel string) ([]calendar.Delivery, error) {
				return st.DismissDeliveries(a.ctx, ref, channel)
			}, "Dismissed"
			if retry {
				decide, verb = func(ref, channel string) ([]calendar.Delivery, error) {
					return st.RetryDeliveries(a.ctx, ref, channel, force)
				}, "Retrying"
			}
			ds, err := decide(args[0], channel)
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			if !a.quiet() && a.format() == "table" {
				for _, d := range ds {
					fmt.Fprintf(a.out, "%s delivery %s on %s (%s).\n", verb, strconv.FormatInt(d.ID, 10), d.Channel, d.Status)
				}
			}
			return a.showPost(p, verb)
		},
	}
	if retry {
		cmd.Use = "retry REF [--channel C]"
		cmd.Short = "Put a post's held, failed or missed deliveries back in the queue, due now"
		cmd.Long = `Retry a post's held, failed or missed deliveries: they are pending again, due
now, with their attempts reset; the daemon (or the next publish --due) sends them.
For a held delivery, check first that the post did not reach the network.`
		cmd.Example = `  crieur post retry winter-sale
  crieur post retry winter-sale --channel acme-mastodon`
	}
	cmd.Flags().StringVar(&channel, "channel", "", "only this channel's delivery")
	if retry {
		cmd.Flags().BoolVar(&force, "force", false, "retry even a delivery whose first part is already live (it may be posted again)")
	}
	return cmd
}
