package calendar

import (
	"time"
)

// DaemonRow is one daemon's heartbeat: each daemon writes its own row, keyed
// by its lease owner, so several daemons on one calendar are each visible.
type DaemonRow struct {
	Owner   string
	Host    string
	PID     int
	Started time.Time
	Beat    time.Time  // the last heartbeat
	Stopped *time.Time // set when it stopped cleanly
	Jobs    string     // JSON: its recurring jobs
	Report  string     // JSON: its last report (concurrency, counts)
}

// DaemonRowsKept is how long a daemon's row outlives its last heartbeat:
// older rows are pruned by the next heartbeat of any daemon.
const DaemonRowsKept = 24 * time.Hour

// Leadership is who leads a group of daemons on one calendar: the holder of
// the lease row named Name until Until (a holder that stops renewing loses
// it when Until passes, and another daemon takes it over).
type Leadership struct {
	Name   string
	Holder string
	Since  time.Time // when this holder took it
	Until  time.Time
}

// LeaderMaintenance names the lease whose holder runs the daemons'
// maintenance jobs (lease recovery): one daemon at a time runs them.
const LeaderMaintenance = "maintenance"
