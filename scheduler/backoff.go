package scheduler

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces the retries of a transient failure: exponential from Base,
// capped at Cap, with "equal jitter" (half fixed, half random) so that many
// deliveries failing together do not retry together.
type Backoff struct {
	Base time.Duration
	Cap  time.Duration
	// Rand returns a number in [0, 1); tests inject theirs.
	Rand func() float64
}

// Default retry spacing: 30s, 1m, 2m, … up to an hour.
const (
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffCap  = time.Hour
)

// Delay is the wait before attempt+1, after attempt (1-based) failed.
func (b Backoff) Delay(attempt int) time.Duration {
	base, ceiling := b.Base, b.Cap
	if base <= 0 {
		base = DefaultBackoffBase
	}
	if ceiling <= 0 {
		ceiling = DefaultBackoffCap
	}
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	return d/2 + time.Duration(r()*float64(d/2))
}
