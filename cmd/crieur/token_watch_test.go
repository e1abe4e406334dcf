package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers/oauth"
)

// stepClock is a clock a test moves by hand: After fires once Advance has
// moved it past the wait, and tells asked each time it is called.
type stepClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []stepWait
	asked chan time.Duration
}

type stepWait struct {
	at time.Time
	ch chan time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	ch := make(chan time.Time, 1)
	c.waits = append(c.waits, stepWait{c.now.Add(d), ch})
	c.mu.Unlock()
	c.asked <- d
	return ch
}

func (c *stepClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waits[:0]
	for _, w := range c.waits {
		if w.at.After(c.now) {
			kept = append(kept, w)
			continue
		}
		w.ch <- c.now
	}
	c.waits = kept
}

// The daemon repeats its warning of a token to renew by hand (within 7
// days) every 12 hours: not before, and again after each 12 hours.
func TestDaemonRepeatsTokenWarningEvery12Hours(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "c.db"), sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// A LinkedIn token without refresh, ending in 3 days.
	t.Setenv("TOKEN_WATCH_ACCESS", "at-1")
	t.Setenv("TOKEN_WATCH_EXPIRY", t0.Add(3*24*time.Hour).Format(time.RFC3339))
	ch := &calendar.Channel{Name: "acme-li", Network: "linkedin", Settings: map[string]string{"author": "urn:li:organization:1"},
		Secrets: map[string]string{oauth.KeyAccess: "env:TOKEN_WATCH_ACCESS", oauth.KeyExpiry: "env:TOKEN_WATCH_EXPIRY"}}
	if err := st.AddChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}

	clock := &stepClock{now: t0, asked: make(chan time.Duration, 1)}
	a := &app{now: clock.Now}
	var logs testsvc.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	warnings := func() int { return strings.Count(logs.String(), "OAuth token expires soon") }
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.watchTokensWith(ctx, st, log, clock.After)
	}()
	waitAsked := func() {
		t.Helper()
		select {
		case d := <-clock.asked:
			if d != 12*time.Hour {
				t.Fatalf("the watch waits %v, want 12h", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the watch never waited for its next look")
		}
	}
	waitAsked()
	// Not before 12 hours (the warning at start is the daemon's, not the watch's).
	clock.Advance(12*time.Hour - time.Second)
	time.Sleep(100 * time.Millisecond)
	if n := warnings(); n != 0 {
		t.Fatalf("%d warnings before 12 hours:\n%s", n, logs.String())
	}
	for want := 1; want <= 2; want++ {
		if want == 1 {
			clock.Advance(time.Second) // 12 hours after start
		} else {
			clock.Advance(12 * time.Hour)
		}
		waitAsked() // it looked, and waits for the next time
		if n := warnings(); n != want {
			t.Fatalf("after %d×12h, %d warnings, want %d:\n%s", want, n, want, logs.String())
		}
		if !strings.Contains(logs.String(), `fix="crieur channel login acme-li"`) {
			t.Errorf("the warning does not say what to run:\n%s", logs.String())
		}
	}
	cancel()
	<-done
}
