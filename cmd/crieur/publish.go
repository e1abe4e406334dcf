package main

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerCommand(newPublishCmd) }

func newPublishCmd(a *app) *cobra.Command {
	var due, dryRun bool
	cmd := &cobra.Command{
		Use:   "publish --due [--dry-run]",
		Short: "Publish what is due now, once (for cron or CI instead of the daemon)",
		Long: `Publish every delivery due now and exit: the daemon's work, once. It is safe
beside a running daemon or another publish: each delivery is claimed by one.
Deliveries later than their channel's max lateness are marked missed.
Failures to retry are left pending for a later run. It first fills the
category slots of the coming week (--fill-horizon), as the daemon does.

Exits 1 when a delivery failed, was held, missed, or its channel was paused,
and when deliveries are due but held back by the kill switch (pause --all) or
a paused channel (it says how many, and how to resume): a person should look
(crieur status).`,
		Example: `  crieur publish --due --dry-run
  crieur publish --due -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !due {
				return usageErr{fmt.Errorf("nothing to do: use --due (or `crieur post publish REF --now`)")}
			}
			if dryRun {
				return a.publishDryRun()
			}
			log, err := a.logger(slog.LevelWarn)
			if err != nil {
				return err
			}
			s, err := a.newScheduler(log, nil)
			if err != nil {
				return err
			}
			// The evergreen fill first, so cron users need no second line;
			// a failed fill is logged and never keeps due posts back.
			if fr, err := s.FillEvergreen(a.ctx); err != nil {
				log.Error("evergreen fill", "err", err)
			} else if n := len(fr.Filled); n > 0 && a.format() == "table" {
				// New posts in the calendar: say so, not "Nothing was due" alone.
				slugs := make([]string, 0, n)
				for _, f := range fr.Filled {
					slugs = append(slugs, f.Slug)
				}
				fmt.Fprintf(a.note(), "Filled %s ahead of time: %s (see `crieur calendar`).\n",
					count(n, "category slot", "category slots"), strings.Join(slugs, ", "))
			}
			rep, err := s.RunOnce(a.ctx, 0)
			if err != nil {
				return err
			}
			return a.showReport(rep)
		},
	}
	cmd.Flags().BoolVar(&due, "due", false, "publish the deliveries due now")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be published, change nothing")
	bindSchedulerFlags(cmd)
	return cmd
}

type dueDoc struct {
	Post    string     `json:"post"`
	Channel string     `json:"channel"`
	Network string     `json:"network"`
	DueAt   *time.Time `json:"due_at"`
	RunAt   *time.Time `json:"run_at"`
	Late    string     `json:"late"`
	Action  string     `json:"action"` // publish or miss
}

func (a *app) publishDryRun() error {
	st, err := a.db()
	if err != nil {
		return err
	}
	paused, reason, err := st.PausedAll(a.ctx)
	if err != nil {
		return err
	}
	entries, err := st.DueDeliveries(a.ctx, a.now(), 0)
	if err != nil {
		return err
	}
	docs := make([]dueDoc, 0, len(entries))
	for _, e := range entries {
		action := "publish"
		if e.WouldMiss {
			action = "miss"
		}
		docs = append(docs, dueDoc{Post: e.Slug, Channel: e.Channel, Network: e.Network, DueAt: e.DueAt, RunAt: e.RunAt,
			Late: e.Late.Round(time.Second).String(), Action: action})
	}
	return a.emit(docs, func(w io.Writer) error {
		if paused {
			fmt.Fprintf(w, "Nothing would be published: every channel is paused (%s). `crieur resume --all` lifts it.\n", reason)
			return nil
		}
		if len(docs) == 0 {
			fmt.Fprintln(w, "Nothing is due.")
			return nil
		}
		t := newTable(w, "POST", "CHANNEL", "DUE", "LATE", "WOULD")
		for _, d := range docs {
			t.row(d.Post, d.Channel, a.when(d.RunAt), d.Late, d.Action)
		}
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "%d due (dry run: nothing was claimed or published).\n", len(docs))
		return nil
	})
}

// errAttention makes publish exit 1 after printing its report.
type errAttention struct{ n int }

func (e errAttention) Error() string {
	if e.n == 1 {
		return "1 delivery needs a person (failed, held, missed, channel paused, or not publishable from here): see `crieur status`"
	}
	return strconv.Itoa(e.n) + " deliveries need a person (failed, held, missed, channel paused, or not publishable from here): see `crieur status`"
}

func (a *app) showReport(rep scheduler.Report) error {
	if rep.Results == nil {
		rep.Results = []scheduler.Result{}
	}
	err := a.emit(rep, func(io.Writer) error {
		w := a.info()
		if len(rep.Results) == 0 {
			if rep.HeldByPause.Total() == 0 {
				fmt.Fprintln(w, "Nothing was due.")
			}
			return nil
		}
		t := newTable(w, "POST", "CHANNEL", "OUTCOME", "ATTEMPT", "DETAIL")
		for _, r := range rep.Results {
			detail := r.RemoteURL
			if detail == "" {
				detail = r.RemoteID
			}
			if r.Error != "" {
				detail = r.Error
			}
			if r.Outcome == calendar.OutcomeRetry {
				detail = "retry at " + a.when(&r.RetryAt) + ": " + r.Error
			}
			t.row(dash(r.Post), r.Channel, a.paint(statusColor(outcomeStatus(r.Outcome)), r.Outcome), strconv.Itoa(r.Attempt), dash(truncate(detail, 80)))
		}
		if err := t.flush(); err != nil {
			return err
		}
		// rep.Paused counts deliveries; the line counts the channels they paused.
		paused := map[string]bool{}
		for _, r := range rep.Results {
			if r.Outcome == calendar.OutcomeAuth {
				paused[r.Channel] = true
			}
		}
		fmt.Fprintf(w, "Published %d, retrying %d, failed %d, held %d, missed %d, channels paused %d.\n",
			rep.Published, rep.Retried, rep.Failed, rep.Held, rep.Missed, len(paused))
		if rep.NotHere > 0 {
			fmt.Fprintf(w, "%s cannot be published from here (a secret this machine cannot read): left for a process that can, or set it up here.\n",
				calendar.Count(rep.NotHere, "delivery", "deliveries"))
		}
		return nil
	})
	if err != nil {
		return err
	}
	held := rep.HeldByPause.Lines()
	if n := rep.Failed + rep.Held + rep.Missed + rep.Paused + rep.NotHere; n > 0 {
		if len(held) > 0 {
			return fmt.Errorf("%w\n%s", errAttention{n}, strings.Join(held, "\n"))
		}
		return errAttention{n}
	}
	if len(held) > 0 {
		// Due deliveries a pause holds back need a person too: a run that
		// published nothing must not look like one that had nothing to do.
		return errHeld{held}
	}
	return nil
}

// errHeld makes publish exit 1 when due deliveries are held by the kill
// switch or a paused channel; it says how many and how to release them.
type errHeld struct{ lines []string }

func (e errHeld) Error() string { return strings.Join(e.lines, "\n") }

// outcomeStatus maps an outcome to the delivery status word it colours like.
func outcomeStatus(o string) string {
	switch o {
	case calendar.OutcomeRetry, calendar.OutcomeRecovered:
		return calendar.DeliveryPending
	case calendar.OutcomeAuth:
		return calendar.DeliveryFailed
	}
	return o
}
