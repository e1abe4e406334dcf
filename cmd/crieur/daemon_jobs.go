package main

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/crieur/crieur/scheduler"
)

// sideJob is a recurring job the daemon runs beside the scheduler's own
// (the stats collector, in its goroutine): listed with them in each
// heartbeat, so that `crieur status` shows it as it shows the others.
type sideJob struct {
	name, spec string
	next       atomic.Int64 // unix ms of its next run
	leaderOnly bool         // run by the leading daemon alone
}

func newSideJob(name string, every time.Duration, now time.Time) *sideJob {
	j := &sideJob{name: name, spec: "@every " + shortDuration(every)}
	j.next.Store(now.UnixMilli()) // the first run is at once
	return j
}

// after is time.After noting when the job runs next.
func (j *sideJob) after(now func() time.Time) func(time.Duration) <-chan time.Time {
	return func(d time.Duration) <-chan time.Time {
		j.next.Store(now().Add(d).UnixMilli())
		return time.After(d)
	}
}

func (j *sideJob) job() scheduler.Job {
	return scheduler.Job{Name: j.name, Spec: j.spec, Next: time.UnixMilli(j.next.Load()).UTC(), LeaderOnly: j.leaderOnly}
}

// shortDuration is d as a cron spec says it: 5m, 1h30m, 45s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
