package main

import (
	"testing"
	"time"

	"github.com/crieur/crieur/scheduler"
)

// A daemon's jobs have a next run only while it runs: a dead daemon's last
// heartbeat named next runs that are not to come (they showed in the past).
func TestStatusJobsOnlyForRunningDaemons(t *testing.T) {
	now := time.Date(2027, 12, 1, 9, 0, 0, 0, time.UTC)
	jobs := []scheduler.Job{
		{Name: "heartbeat", Spec: "@every 5s", Next: now.Add(-10 * time.Minute)},
		{Name: "lease-recovery", Spec: "@every 10s", Next: now.Add(-10 * time.Minute), LeaderOnly: true},
	}
	tests := []struct {
		name      string
		beat      time.Time
		stopped   bool
		state     string
		wantNexts int
	}{
		{name: "running", beat: now.Add(-2 * time.Second), state: "running", wantNexts: 1},
		{name: "unresponsive", beat: now.Add(-10 * time.Minute), state: "unresponsive", wantNexts: 0},
		{name: "stopped", beat: now.Add(-10 * time.Minute), stopped: true, state: "stopped", wantNexts: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := daemonOf(scheduler.Heartbeat{At: tc.beat, Stopped: tc.stopped, Jobs: jobs}, now, false)
			if d.State != tc.state {
				t.Fatalf("state %q, want %q", d.State, tc.state)
			}
			nexts := 0
			for _, j := range d.Jobs {
				if j.Next != nil {
					nexts++
				}
			}
			if nexts != tc.wantNexts || len(d.Jobs) != len(jobs) {
				t.Errorf("%d jobs, %d with a next run; want %d, %d", len(d.Jobs), nexts, len(jobs), tc.wantNexts)
			}
		})
	}
}
