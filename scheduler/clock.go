package scheduler

import "time"

// Clock is the scheduler's time: Now, and a channel that fires after d.
// Tests inject a clock they advance by hand, so no test sleeps for a schedule.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// RealClock is the wall clock.
var RealClock Clock = realClock{}
