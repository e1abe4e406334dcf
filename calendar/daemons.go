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
