package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
)

// notHereFactory is the factory of a process that cannot read the secrets of
// any channel (an environment variable not set there): each publisher it
// is asked for is one more attempt this process made, counted in tries.
func notHereFactory(tries *atomic.Int32) Factory {
	return Factory{Lookup: func(name string) (publishers.Network, error) {
		return publishers.Network{Name: name, Safety: publishers.RetryIdempotent, New: func(publishers.Config) (publishers.Publisher, error) {
			tries.Add(1)
			return nil, calendar.SecretNotHere(errors.New("secret url: environment variable HOOK_URL is not set here"))
		}}, nil
	}}
}

// A process that cannot publish to a channel gives its due delivery back for
// a process that can to publish at once, at its due time (the clock never
// moves here), not a minute later; and it does not take the delivery again
// meanwhile: it is published once.
func TestNotHereLeavesTheDeliveryToAProcessThatCan(t *testing.T) {
	for _, tc := range []struct {
		name string
		// run has the process without the secret find it cannot publish
		// the delivery, and returns what stops it.
		run func(t *testing.T, s *Scheduler) (stop func())
	}{
		{"daemon", func(t *testing.T, s *Scheduler) func() { return runDaemon(t, s) }},
		{"publish --due", func(t *testing.T, s *Scheduler) func() {
			rep, err := s.RunOnce(context.Background(), 0)
			if err != nil || rep.NotHere != 1 || len(rep.Results) != 1 {
				t.Fatalf("publish --due without the secret: %+v, %v; want one delivery not tried here", rep, err)
			}
			return func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.channel("hook", "fake", nil)
			e.post("launch", t0, "hook")
			other, err := sqlstore.Open(ctx, e.st.Path(), sqlstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			var tries atomic.Int32
			without := New(other, Options{Owner: "h:1:without", Concurrency: 2, Clock: e.clock, Factory: notHereFactory(&tries)})
			stop := tc.run(t, without)
			defer stop()
			waitFor(t, "the process without the secret to give the delivery back", func() bool {
				d := e.delivery("launch", "hook")
				return tries.Load() > 0 && d.Status == calendar.DeliveryPending && strings.Contains(d.LastError, "from here")
			})
			if d := e.delivery("launch", "hook"); d.Attempts != 0 || d.RunAt == nil || d.RunAt.After(t0) {
				t.Errorf("given back as %+v: want the attempt given back, due at once (%s)", d, t0)
			}

			with := e.scheduler(Options{Owner: "h:2:with", Concurrency: 2})
			defer runDaemon(t, with)()
			waitFor(t, "the daemon with the secret to publish at the due time", func() bool {
				return e.delivery("launch", "hook").Status == calendar.DeliveryPublished
			})
			if now := e.clock.Now(); !now.Equal(t0) {
				t.Fatalf("the clock moved to %s", now)
			}
			d := e.delivery("launch", "hook")
			if n := e.fakes["fake"].Attempts(d.ID); n != 1 || len(e.fakes["fake"].Posts()) != 1 {
				t.Errorf("the network had %d attempts, %d posts; want one", n, len(e.fakes["fake"].Posts()))
			}
			if n := tries.Load(); n != 1 {
				t.Errorf("the process without the secret tried %d times, want once", n)
			}
		})
	}
}

// A process alone, without a channel's secret, does not spin on the due
// delivery it cannot publish: it takes it again once per notHereRetry (so a
// fixed configuration is picked up), not at every turn of its loop, and goes
// on publishing the other channels' deliveries at their time meanwhile.
func TestNotHereAloneTriesOncePerRetry(t *testing.T) {
	e := newEnv(t)
	hook := e.channel("hook", "fake", nil)
	e.channel("other", "fake-unsafe", nil)
	e.post("launch", t0, "hook")
	e.post("aside", t0.Add(30*time.Second), "other")
	var tries atomic.Int32
	lookup := e.factory().Lookup
	f := Factory{Lookup: func(name string) (publishers.Network, error) {
		if name == "fake" {
			return notHereFactory(&tries).Lookup(name)
		}
		return lookup(name)
	}}

	// publish --due: one try, and the run ends (the delivery, due again at
	// once, is not taken again by the same run).
	once := e.scheduler(Options{Owner: "h:0:once", Factory: f})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := once.RunOnce(ctx, 0)
	if err != nil || len(rep.Results) != 1 || rep.NotHere != 1 || tries.Load() != 1 {
		t.Fatalf("publish --due: %d results (%d not here), %d tries, %v; want one not tried here", len(rep.Results), rep.NotHere, tries.Load(), err)
	}
	if skip := once.skipping(t0); len(skip) != 1 || skip[0] != hook.ID {
		t.Errorf("after not here, the run skips channels %v, want [%d]", skip, hook.ID)
	}
	tries.Store(0)

	s := e.scheduler(Options{Owner: "h:1:alone", Concurrency: 2, Factory: f})
	defer runDaemon(t, s)()
	// steady: the tries stay at want while the daemon turns (real time)
	// and the clock stands at the same instant.
	steady := func(at string, want int32) {
		t.Helper()
		waitFor(t, "try "+at, func() bool { return tries.Load() >= want })
		deadline := time.Now().Add(300 * time.Millisecond)
		for time.Now().Before(deadline) {
			if n := tries.Load(); n != want {
				t.Fatalf("%s: %d tries, want %d (the daemon spins on what it cannot publish)", at, n, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Nor does it look again shortly (a poll, DefaultPoll by the
		// wall clock in production) for what it skips: a poll it may have
		// set while its call gave the delivery back runs once, and sets
		// no other.
		e.clock.Advance(DefaultPoll)
		time.Sleep(200 * time.Millisecond)
		if n := tries.Load(); n != want {
			t.Fatalf("%s: %d tries after a poll, want %d", at, n, want)
		}
		if first, ok := e.clock.firstWait(); ok && !first.After(e.clock.Now().Add(DefaultPoll)) {
			t.Fatalf("%s: the daemon waits only until %s (now %s): it polls what it cannot publish", at, first.Format(time.StampMilli), e.clock.Now().Format(time.StampMilli))
		}
	}
	// The clock is moved to each instant (steady moves it a poll on).
	for _, step := range []struct {
		at    time.Duration // after t0
		tries int32
	}{
		{0, 1}, {10 * time.Second, 1}, {30 * time.Second, 1}, {58 * time.Second, 1},
		{time.Minute, 2}, {time.Minute + 59*time.Second, 2}, {2 * time.Minute, 3},
	} {
		e.clock.Advance(t0.Add(step.at).Sub(e.clock.Now()))
		steady(e.clock.Now().Sub(t0).String()+" after the due time", step.tries)
		if step.at == 30*time.Second {
			waitFor(t, "the other channel's delivery published at its time", func() bool {
				return e.delivery("aside", "other").Status == calendar.DeliveryPublished
			})
		}
	}
	if d := e.delivery("launch", "hook"); d.Status != calendar.DeliveryPending || d.Attempts != 0 {
		t.Errorf("delivery %+v: want pending, every attempt given back", d)
	}
}

// firstWait is the earliest instant someone waits for (After).
func (c *fakeClock) firstWait() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	for _, w := range c.waiters {
		if first.IsZero() || w.at.Before(first) {
			first = w.at
		}
	}
	return first, !first.IsZero()
}
