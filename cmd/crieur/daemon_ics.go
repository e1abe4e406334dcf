package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/ics"
	"github.com/crieur/crieur/internal/atomicfile"
)

const keyICS = "ics"

// keyPrivate makes an export (and the daemon's --ics file) readable by its
// owner only: 0600 files, 0700 folders instead of 0644 and 0755.
const keyPrivate = "private"

const privateUsage = "readable by you only (0600 files, 0700 folders; default 0644/0755, to be shared)"

// icsPoll is how often the daemon asks whether the calendar changed before
// rewriting its iCalendar file; a rewrite costs a range query, a check costs
// one PRAGMA.
const icsPoll = time.Second

// keepICS writes the calendar to path now and again after every change
// (PRAGMA data_version sees every commit, the daemon's own included, since the
// watcher has its own connection), until ctx ends or stop is called.
func keepICS(ctx context.Context, st calendar.Store, path string, modes atomicfile.Modes, log *slog.Logger) (stop func(), err error) {
	if err := ics.WriteFile(ctx, st, path, calendar.ViewFilter{}, modes); err != nil {
		return nil, err
	}
	w, err := st.Watch(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Close()
		t := time.NewTicker(icsPoll)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				changed, err := w.Changed(ctx)
				if err != nil || !changed {
					continue
				}
				if err := ics.WriteFile(ctx, st, path, calendar.ViewFilter{}, modes); err != nil && ctx.Err() == nil {
					log.Error("ics", "path", path, "err", err)
				}
			}
		}
	}()
	log.Info("keeping an iCalendar file", "path", path)
	return func() { cancel(); <-done }, nil
}
