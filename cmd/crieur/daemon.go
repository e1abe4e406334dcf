package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/internal/atomicfile"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerCommand(newDaemonCmd) }

// Scheduler settings: flags of daemon and publish, also read from the config
// file and CRIEUR_* variables.
const (
	keyConcurrency = "concurrency"
	keyMetricsAddr = "metrics-addr"
	keyMaxAttempts = "max-attempts"
	keyBackoffBase = "backoff-base"
	keyBackoffCap  = "backoff-cap"
)

func bindSchedulerFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Int(keyConcurrency, scheduler.DefaultConcurrency, "publish at most N deliveries at once")
	fl.Int(keyMaxAttempts, scheduler.DefaultMaxAttempts, "give a delivery up after N transient failures (rate-limited attempts may run to 3×N)")
	fl.Duration(keyBackoffBase, scheduler.DefaultBackoffBase, "first retry delay; doubled each attempt, with jitter")
	fl.Duration(keyBackoffCap, scheduler.DefaultBackoffCap, "longest retry delay")
	fl.String(keyLogFormat, "text", "log format: text or json")
	fl.String(keyFillHorizon, "", "fill category slots this far ahead (default 7d)")
}

// newScheduler builds the scheduler from the flags and config; side are the
// daemon's jobs run beside it, listed in its heartbeats.
func (a *app) newScheduler(log *slog.Logger, metrics *scheduler.Metrics, side ...*sideJob) (*scheduler.Scheduler, error) {
	st, err := a.db()
	if err != nil {
		return nil, err
	}
	n := a.v.GetInt(keyConcurrency)
	if n < 1 {
		return nil, usageErr{fmt.Errorf("--%s must be at least 1", keyConcurrency)}
	}
	if a.v.GetInt(keyMaxAttempts) < 1 {
		return nil, usageErr{fmt.Errorf("--%s must be at least 1", keyMaxAttempts)}
	}
	horizon, err := a.fillHorizon("")
	if err != nil {
		return nil, err
	}
	var sideJobs func() []scheduler.Job
	if len(side) > 0 {
		sideJobs = func() []scheduler.Job {
			jobs := make([]scheduler.Job, len(side))
			for i, j := range side {
				jobs[i] = j.job()
			}
			return jobs
		}
	}
	return scheduler.New(st, scheduler.Options{
		SideJobs:    sideJobs,
		FillHorizon: horizon,
		FillCheck:   a.fillCheck(st),
		Concurrency: n,
		MaxAttempts: a.v.GetInt(keyMaxAttempts),
		Backoff:     scheduler.Backoff{Base: a.v.GetDuration(keyBackoffBase), Cap: a.v.GetDuration(keyBackoffCap)},
		Clock:       appClock{a.now},
		Factory:     scheduler.Factory{Out: a.sideOut(), Zone: a.calendarZone()},
		Log:         log,
		Metrics:     metrics,
	}), nil
}

// appClock is the app's clock for the scheduler.
type appClock struct{ now func() time.Time }

func (c appClock) Now() time.Time                         { return c.now() }
func (c appClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// logger writes the scheduler's log to stderr: text (for a terminal) or JSON.
func (a *app) logger(level slog.Level) (*slog.Logger, error) {
	if a.verbose() {
		level = slog.LevelDebug
	} else if a.quiet() && level < slog.LevelError {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	switch f := a.v.GetString(keyLogFormat); f {
	case "", "text":
		return slog.New(slog.NewTextHandler(a.errOut, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(a.errOut, opts)), nil
	default:
		return nil, usageErr{fmt.Errorf("--log-format %q: use text or json", f)}
	}
}

func newDaemonCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Publish every post on time, until stopped",
		Long: `Run the scheduler: each delivery is handed to its network within a second of
its time. Edits, cancels, re-times and pauses made with other crieur commands
take effect at once. After a stop, deliveries later than their channel's
max lateness are marked missed; the rest are published (within rate limits).

SIGINT or SIGTERM stops claiming, waits up to 30s for posts being sent,
records them and exits 0. Logs go to stderr; posts of a log channel without
a path go to stdout.

--metrics-addr serves Prometheus metrics at /metrics and a health check at
/healthz (503 when deliveries are overdue and the daemon is not progressing;
200 under a pause, the body saying "paused: N deliveries are due but held by
the kill switch …" or naming the paused channels that hold deliveries back).`,
		Example: `  crieur daemon
  crieur daemon --ics /var/www/team/editorial.ics
  crieur daemon --concurrency 8 --metrics-addr 127.0.0.1:9464 --log-format json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			a.longLived = true // before the store is opened
			log, err := a.logger(slog.LevelInfo)
			if err != nil {
				return err
			}
			var metrics *scheduler.Metrics
			addr := a.v.GetString(keyMetricsAddr)
			if addr != "" {
				metrics = scheduler.NewMetrics()
			}
			// The stats collector runs beside the scheduler: its job is
			// listed with the scheduler's in the heartbeats.
			var statsJob *sideJob
			var side []*sideJob
			if every := a.v.GetDuration(keyStatsEvery); every > 0 {
				statsJob = newSideJob("stats-collect", every, a.now())
				statsJob.leaderOnly = true // only the leader collects (below)
				side = append(side, statsJob)
			}
			s, err := a.newScheduler(log, metrics, side...)
			if err != nil {
				return err
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			// OAuth channels: a warning a week before a login is needed, and
			// each token's expiry in /metrics.
			warnExpiring(a.ctx, st, a.now(), log)
			watch, stopWatch := context.WithCancel(a.ctx)
			defer stopWatch()
			go a.watchTokens(watch, st, log)
			if addr != "" {
				addTokenGauge(a.ctx, metrics, st)
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return fmt.Errorf("--metrics-addr: %w", err)
				}
				srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
				go func() {
					if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
						log.Error("metrics server", "err", err)
					}
				}()
				defer srv.Close()
				log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
			}
			if path := a.v.GetString(keyICS); path != "" {
				st, err := a.db()
				if err != nil {
					return err
				}
				private, _ := cmd.Flags().GetBool(keyPrivate)
				stop, err := keepICS(a.ctx, st, path, atomicfile.ExportModes(private), log)
				if err != nil {
					if a.ctx.Err() != nil {
						return nil // stopped while starting: a clean stop
					}
					return err
				}
				defer stop()
			}
			if every := a.v.GetDuration(keyStatsEvery); every > 0 {
				st, err := a.db()
				if err != nil {
					return err
				}
				c, err := a.statsCollector(st, log)
				if err != nil {
					return err
				}
				c.Publisher = s.Publisher
				// Beside publishing, never in its way: its own goroutine.
				ctx, cancel := context.WithCancel(a.ctx)
				done := make(chan struct{})
				go func() {
					defer close(done)
					// Only the leader collects: several daemons would read each post's numbers once each.
					c.Run(ctx, every, statsJob.after(a.now), func(context.Context) bool { return s.Leading(a.now()) })
				}()
				defer func() { cancel(); <-done }()
			}
			return s.Run(a.ctx)
		},
	}
	cmd.Flags().String(keyICS, "", "keep this iCalendar file up to date (atomic rename) for a team to subscribe to")
	cmd.Flags().Bool(keyPrivate, false, "--ics: "+privateUsage)
	bindSchedulerFlags(cmd)
	cmd.Flags().Duration(keyStatsEvery, 5*time.Minute, "look this often for posts whose engagement is due to be read (0: never; see \"crieur stats collect\")")
	cmd.Flags().String(keyMetricsAddr, "", "serve /metrics and /healthz on this address (e.g. 127.0.0.1:9464)")
	return cmd
}
