package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/testsvc"
	"github.com/crieur/crieur/publishers"
)

// Each failure a network can give ends in the state DESIGN.md promises.
func TestFaultsEndInTheirState(t *testing.T) {
	ctx := context.Background()
	retryAfter := func(s string) http.Header { return http.Header{"Retry-After": {s}} }
	tests := []struct {
		name        string
		fault       func(n int) (int, http.Header, string)
		slow        bool // the network answers after the call timeout
		maxAttempts int
		wantStatus  string
		wantRunAt   time.Duration // after t0, for pending
		wantError   string
		wantPaused  bool
		wantEvent   string
	}{
		{name: "ok", wantStatus: calendar.DeliveryPublished, wantEvent: "delivery.published"},
		{name: "500 retries with backoff", fault: func(int) (int, http.Header, string) { return 500, nil, "boom" },
			wantStatus: calendar.DeliveryPending, wantRunAt: 15 * time.Second, wantError: "boom", wantEvent: "delivery.retry"},
		{name: "503 with Retry-After waits longer", fault: func(int) (int, http.Header, string) { return 503, retryAfter("600"), "later" },
			wantStatus: calendar.DeliveryPending, wantRunAt: 10 * time.Minute, wantEvent: "delivery.retry"},
		{name: "500 out of attempts fails", maxAttempts: 1, fault: func(int) (int, http.Header, string) { return 500, nil, "boom" },
			wantStatus: calendar.DeliveryFailed, wantError: "gave up after 1 attempt: ", wantEvent: "delivery.failed"},
		{name: "429 honours Retry-After", fault: func(int) (int, http.Header, string) { return 429, retryAfter("90"), "slow down" },
			wantStatus: calendar.DeliveryPending, wantRunAt: 90 * time.Second, wantError: "slow down", wantEvent: "delivery.retry"},
		{name: "429 is not counted as harshly", maxAttempts: 1, fault: func(int) (int, http.Header, string) { return 429, retryAfter("5"), "" },
			wantStatus: calendar.DeliveryPending, wantRunAt: 5 * time.Second, wantEvent: "delivery.retry"},
		{name: "401 pauses the channel", fault: func(int) (int, http.Header, string) { return 401, nil, "bad token" },
			wantStatus: calendar.DeliveryPending, wantRunAt: 0, wantPaused: true, wantError: "bad token", wantEvent: "delivery.retry"},
		{name: "422 fails with the network's message", fault: func(int) (int, http.Header, string) { return 422, nil, "text too long" },
			wantStatus: calendar.DeliveryFailed, wantError: "text too long", wantEvent: "delivery.failed"},
		{name: "timeout retries", slow: true,
			wantStatus: calendar.DeliveryPending, wantRunAt: 15 * time.Second, wantEvent: "delivery.retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			nw := newNetwork(t, true)
			release := make(chan struct{})
			defer close(release)
			if tt.fault != nil {
				nw.Fault = func(_ string, n int) (int, http.Header, string) { return tt.fault(n) }
			}
			if tt.slow {
				nw.Fault = func(string, int) (int, http.Header, string) { <-release; return 0, nil, "" }
			}
			e.channel("acme", "http", nil)
			e.post("p1", t0, "acme")
			timeout := 5 * time.Second
			if tt.slow {
				timeout = 50 * time.Millisecond
			}
			s := e.scheduler(Options{MaxAttempts: tt.maxAttempts, Factory: Factory{Lookup: func(string) (publishers.Network, error) {
				return httpNetwork("http", nw.srv.URL, publishers.RetryIdempotent, timeout), nil
			}}})
			if _, err := s.RunOnce(ctx, 0); err != nil {
				t.Fatal(err)
			}
			d := e.delivery("p1", "acme")
			if d.Status != tt.wantStatus {
				t.Fatalf("status %s, want %s (last error %q)", d.Status, tt.wantStatus, d.LastError)
			}
			if tt.wantStatus == calendar.DeliveryPending {
				if d.RunAt == nil || !d.RunAt.Equal(t0.Add(tt.wantRunAt)) {
					t.Errorf("run_at %v, want t0+%v", d.RunAt, tt.wantRunAt)
				}
			}
			if tt.wantStatus == calendar.DeliveryPublished && (d.RemoteID == "" || d.PublishedAt == nil) {
				t.Errorf("published without remote id or time: %+v", d)
			}
			if !strings.Contains(d.LastError, tt.wantError) {
				t.Errorf("last error %q, want it to contain %q", d.LastError, tt.wantError)
			}
			ch, _ := e.st.Channel(ctx, "acme")
			if ch.Paused != tt.wantPaused {
				t.Errorf("channel paused %v, want %v", ch.Paused, tt.wantPaused)
			}
			if tt.wantPaused && !strings.Contains(ch.PauseReason, "crieur channel edit acme --secret") {
				t.Errorf("pause reason %q does not say how to fix it", ch.PauseReason)
			}
			if h := e.history("p1"); !contains(h, "delivery.attempt") || !contains(h, tt.wantEvent) {
				t.Errorf("history %v lacks delivery.attempt and %s", h, tt.wantEvent)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// An adapter that panics or returns an unclassified error loses nothing.
func TestPanicAndUnknownErrorsAreRetried(t *testing.T) {
	for _, fail := range []func() error{
		func() error { panic("nil map") },
		func() error { return errors.New("something odd") },
	} {
		e := newEnv(t)
		e.fakes["fake"].Fail = func(publishers.Post, int) error { return fail() }
		e.channel("acme", "fake", nil)
		e.post("p1", t0, "acme")
		if _, err := e.scheduler(Options{}).RunOnce(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		d := e.delivery("p1", "acme")
		if d.Status != calendar.DeliveryPending || d.RunAt == nil || !d.RunAt.After(t0) {
			t.Errorf("delivery %s run_at %v, want pending and later", d.Status, d.RunAt)
		}
	}
}

// A retried transient failure publishes once the clock reaches its run_at.
func TestRetryThenPublish(t *testing.T) {
	e := newEnv(t)
	e.fakes["fake"].Fail = func(_ publishers.Post, n int) error {
		if n < 3 {
			return &publishers.Error{Class: publishers.Transient, Status: 502}
		}
		return nil
	}
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	s := e.scheduler(Options{Backoff: Backoff{Base: 10 * time.Second, Cap: time.Minute}})
	var waits []time.Duration
	var behind []string
	for range 3 {
		rep, err := s.RunOnce(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			behind = append(behind, r.Behind)
		}
		d := e.delivery("p1", "acme")
		if d.Status == calendar.DeliveryPublished {
			break
		}
		waits = append(waits, d.RunAt.Sub(e.clock.Now()))
		e.clock.Advance(d.RunAt.Sub(e.clock.Now()))
	}
	d := e.delivery("p1", "acme")
	if d.Status != calendar.DeliveryPublished || d.Attempts != 3 {
		t.Fatalf("status %s after %d attempts, want published after 3", d.Status, d.Attempts)
	}
	// Equal jitter with Rand=0: half of 10s, then half of 20s.
	if len(waits) != 2 || waits[0] != 5*time.Second || waits[1] != 10*time.Second {
		t.Errorf("waits %v, want [5s 10s]", waits)
	}
	if got := len(e.fakes["fake"].Posts()); got != 1 {
		t.Errorf("network received %d posts, want 1", got)
	}
	// The retries ran on time (late 0s) but 5s, then 15s, after the post's
	// planned time: Behind says so; the first attempt was not behind.
	if want := []string{"", "5s", "15s"}; !slices.Equal(behind, want) {
		t.Errorf("behind %q, want %q", behind, want)
	}
}

func TestPostStatusFollowsDeliveries(t *testing.T) {
	tests := []struct {
		name string
		fail map[string]bool // channel → permanent failure
		want string
	}{
		{"all published", nil, calendar.StatusPublished},
		{"some failed", map[string]bool{"b": true}, calendar.StatusPartial},
		{"all failed", map[string]bool{"a": true, "b": true}, calendar.StatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fakes["fake"].Fail = func(p publishers.Post, _ int) error {
				if tt.fail[p.Text] {
					return publishers.Errorf(publishers.Permanent, "rejected")
				}
				return nil
			}
			for _, name := range []string{"a", "b"} {
				e.channel(name, "fake", nil)
			}
			p := calendar.Post{Slug: "p1", Body: "x", Variants: map[string]string{"a": "a", "b": "b"}, Channels: []string{"a", "b"},
				Status: calendar.StatusScheduled, PublishAt: &t0}
			if err := e.st.CreatePost(context.Background(), &p); err != nil {
				t.Fatal(err)
			}
			if _, err := e.scheduler(Options{}).RunOnce(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			got := e.get("p1")
			if got.Status != tt.want {
				t.Errorf("post %s, want %s", got.Status, tt.want)
			}
			if tt.want != calendar.StatusFailed && got.PublishedAt == nil {
				t.Errorf("post published_at not set")
			}
		})
	}
}

// The calendar is the truth: a re-timed post never goes out at its old time,
// a canceled one never goes out, an edit made before the time is what goes out.
func TestCalendarIsTheTruth(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	at := t0.Add(10 * time.Minute)
	e.post("moved", at, "acme")
	e.post("canceled", at, "acme")
	edited := e.post("edited", at, "acme")
	s := e.scheduler(Options{})

	later := at.Add(time.Hour)
	if _, err := e.st.SchedulePost(ctx, "moved", &later, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CancelPost(ctx, "canceled"); err != nil {
		t.Fatal(err)
	}
	edited = e.get("edited")
	edited.Body = "Corrected text"
	if err := e.st.UpdatePost(ctx, &edited); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	if _, err := s.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	posts := e.fakes["fake"].Posts()
	if len(posts) != 1 || posts[0].Slug != "edited" || posts[0].Text != "Corrected text" {
		t.Fatalf("published %+v, want only the edited post with its new text", posts)
	}
	e.clock.Advance(time.Hour)
	if _, err := s.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	posts = e.fakes["fake"].Posts()
	if len(posts) != 2 || posts[1].Slug != "moved" {
		t.Fatalf("published %d posts, want the moved one at its new time", len(posts))
	}
	if d := e.delivery("canceled", "acme"); d.Status != calendar.DeliveryCanceled {
		t.Errorf("canceled post's delivery is %s", d.Status)
	}
}

// The daemon wakes at the due instant of the injected clock, and sees a post
// added while it runs (PRAGMA data_version) without waiting for a sweep.
func TestDaemonWakesOnTimeAndOnChange(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("first", t0.Add(time.Minute), "acme")
	s := e.scheduler(Options{Poll: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	published := func(slug string) func() bool {
		return func() bool { return e.delivery(slug, "acme").Status == calendar.DeliveryPublished }
	}
	// Nothing before its time.
	e.clock.Advance(59 * time.Second)
	time.Sleep(50 * time.Millisecond) // let the daemon look (it must not publish)
	if n := len(e.fakes["fake"].Posts()); n != 0 {
		t.Fatalf("published %d posts before their time", n)
	}
	e.clock.Advance(time.Second)
	eventually(t, "first published", published("first"))

	// A post added by another connection, due now.
	e.post("second", e.clock.Now(), "acme")
	eventually(t, "second published", published("second"))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	hb, ok, err := ReadHeartbeat(context.Background(), e.st)
	if err != nil || !ok || !hb.Stopped || hb.Published != 2 || hb.Owner != s.Owner() {
		t.Errorf("heartbeat %+v ok=%v err=%v, want stopped with 2 published", hb, ok, err)
	}
}

// The kill switch and a channel's pause stop claims; resume restarts them.
func TestPauseStopsClaims(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("a", "fake", nil)
	e.channel("b", "fake", nil)
	e.post("pa", t0, "a")
	e.post("pb", t0, "b")
	s := e.scheduler(Options{})
	if err := e.st.PauseAll(ctx, "crisis"); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.RunOnce(ctx, 0); rep.Published != 0 {
		t.Fatalf("published %d while paused", rep.Published)
	}
	if err := e.st.ResumeAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SetChannelPaused(ctx, "b", true, "rebrand"); err != nil {
		t.Fatal(err)
	}
	rep, _ := s.RunOnce(ctx, 0)
	if rep.Published != 1 || e.delivery("pa", "a").Status != calendar.DeliveryPublished || e.delivery("pb", "b").Status != calendar.DeliveryPending {
		t.Fatalf("with b paused: %+v", rep)
	}
	if err := e.st.SetChannelPaused(ctx, "b", false, ""); err != nil {
		t.Fatal(err)
	}
	if rep, _ := s.RunOnce(ctx, 0); rep.Published != 1 {
		t.Fatalf("after resume: %+v", rep)
	}
}

// A pause while the daemon runs stops further claims at once; the call in
// flight finishes and is recorded.
func TestDaemonKillSwitchLetsInFlightFinish(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	e.post("p2", t0.Add(time.Minute), "acme")
	entered, release := make(chan struct{}), make(chan struct{})
	e.fakes["fake"].Fail = func(p publishers.Post, _ int) error {
		if p.Slug == "p1" {
			close(entered)
			<-release
		}
		return nil
	}
	s := e.scheduler(Options{Poll: 10 * time.Millisecond})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx) }()
	<-entered
	if err := e.st.PauseAll(ctx, "crisis"); err != nil {
		t.Fatal(err)
	}
	close(release)
	eventually(t, "p1 recorded", func() bool { return e.delivery("p1", "acme").Status == calendar.DeliveryPublished })
	e.clock.Advance(time.Minute)
	time.Sleep(50 * time.Millisecond) // give the daemon turns; it must not claim
	if d := e.delivery("p2", "acme"); d.Status != calendar.DeliveryPending {
		t.Fatalf("p2 is %s under the kill switch", d.Status)
	}
	if err := e.st.ResumeAll(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "p2 published after resume", func() bool { return e.delivery("p2", "acme").Status == calendar.DeliveryPublished })
	cancel()
	<-done
}

// SIGTERM (ctx canceled) while a call is in flight: the daemon waits for it,
// records it, and returns nil.
func TestGracefulStopRecordsInFlight(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	entered, release := make(chan struct{}), make(chan struct{})
	e.fakes["fake"].Fail = func(publishers.Post, int) error { close(entered); <-release; return nil }
	s := e.scheduler(Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	<-entered
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned before the call in flight ended")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublished {
		t.Errorf("in-flight delivery is %s after a graceful stop", d.Status)
	}
}

// A grace period that runs out cancels the call; the delivery is retried, not lost.
func TestGraceExpiredRetries(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	e.fakes["fake"].Latency = time.Hour
	s := e.scheduler(Options{Grace: 30 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	eventually(t, "claimed", func() bool { return e.delivery("p1", "acme").Status == calendar.DeliveryPublishing })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPending {
		t.Errorf("canceled call left the delivery %s, want pending", d.Status)
	}
}

// Catch-up after a stop: too late → missed (event, report); late but within
// max lateness → published.
func TestCatchUpMarksMissed(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "fake", func(c *calendar.Channel) { c.MaxLateness = time.Hour })
	e.post("old", t0.Add(-2*time.Hour), "acme")
	e.post("recent", t0.Add(-30*time.Minute), "acme")
	rep, err := e.scheduler(Options{}).RunOnce(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Missed != 1 || rep.Published != 1 {
		t.Fatalf("report %+v, want 1 missed and 1 published", rep)
	}
	if d := e.delivery("old", "acme"); d.Status != calendar.DeliveryMissed {
		t.Errorf("old is %s", d.Status)
	}
	if h := e.history("old"); !contains(h, "delivery.missed") {
		t.Errorf("history %v lacks delivery.missed", h)
	}
	if p := e.get("old"); p.Status != calendar.StatusFailed {
		t.Errorf("a post missed everywhere is %s, want failed", p.Status)
	}
}

// A channel's rate limit spreads a catch-up instead of bursting.
func TestRateLimitSpreadsCatchUp(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", func(c *calendar.Channel) { c.RatePerMinute = 2 })
	e.channel("free", "fake", nil)
	for i := range 5 {
		e.post("p"+string(rune('a'+i)), t0.Add(-time.Duration(5-i)*time.Minute), "acme")
	}
	e.post("other", t0.Add(-time.Minute), "free")
	s := e.scheduler(Options{})
	var perMinute []int
	for range 3 {
		rep, err := s.RunOnce(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		perMinute = append(perMinute, rep.Published)
		run, _, err := e.st.NextWake(ctx, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if run != nil && run.Before(e.clock.Now()) {
			t.Fatalf("next wake %v is in the past: the daemon would spin", run)
		}
		e.clock.Advance(time.Minute + time.Millisecond)
	}
	// 2 of acme + the free channel's one, then 2, then the last.
	if want := []int{3, 2, 1}; perMinute[0] != want[0] || perMinute[1] != want[1] || perMinute[2] != want[2] {
		t.Errorf("published per minute %v, want %v", perMinute, want)
	}
}

// Retry and dismiss, a person's decisions on held/failed/missed deliveries.
func TestRetryAndDismiss(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.channel("acme", "fake", nil)
	e.post("p1", t0, "acme")
	e.fakes["fake"].Fail = func(publishers.Post, int) error { return publishers.Errorf(publishers.Permanent, "nope") }
	s := e.scheduler(Options{})
	if _, err := s.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if p := e.get("p1"); p.Status != calendar.StatusFailed {
		t.Fatalf("post %s, want failed", p.Status)
	}
	e.fakes["fake"].Fail = nil
	if _, err := e.st.RetryDeliveries(ctx, "p1", "", false); err != nil {
		t.Fatal(err)
	}
	if p := e.get("p1"); p.Status != calendar.StatusScheduled || p.Deliveries[0].Status != calendar.DeliveryPending {
		t.Fatalf("after retry: post %s delivery %s", p.Status, p.Deliveries[0].Status)
	}
	if _, err := s.RunOnce(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if p := e.get("p1"); p.Status != calendar.StatusPublished {
		t.Fatalf("after retry and run: %s", p.Status)
	}
	if _, err := e.st.RetryDeliveries(ctx, "p1", "", false); !errors.Is(err, calendar.ErrConflict) {
		t.Errorf("retrying a published post: %v, want a conflict", err)
	}
	if h := e.history("p1"); !contains(h, "delivery.retried") || !contains(h, "post.published") {
		t.Errorf("history %v", h)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		r       float64
		want    time.Duration
	}{
		{1, 0, 5 * time.Second},
		{1, 0.999999999, 10 * time.Second},
		{2, 0, 10 * time.Second},
		{3, 0.5, 30 * time.Second},
		{10, 0, 30 * time.Second}, // capped at a minute, half fixed
	}
	for _, tt := range tests {
		b := Backoff{Base: 10 * time.Second, Cap: time.Minute, Rand: func() float64 { return tt.r }}
		if got := b.Delay(tt.attempt).Round(time.Second); got != tt.want {
			t.Errorf("Delay(%d) with r=%v = %v, want %v", tt.attempt, tt.r, got, tt.want)
		}
	}
}

// An adapter that cannot tell whether the post is out (X refused a repeat
// of it as a duplicate, and the lookup did not confirm it) asks for a
// person: the delivery is held, neither failed nor retried, with what to do.
func TestHoldAskedByTheAdapter(t *testing.T) {
	e := newEnv(t)
	e.fakes["fake-lookup"].Fail = func(publishers.Post, int) error {
		return &publishers.Error{Class: publishers.Permanent, Status: 403, Hold: true, Message: "refused as a duplicate, not found"}
	}
	e.channel("acme", "fake-lookup", nil)
	e.post("p1", t0, "acme")
	s := e.scheduler(Options{})
	if _, err := s.RunOnce(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	d := e.delivery("p1", "acme")
	if d.Status != calendar.DeliveryHeld || !strings.Contains(d.LastError, "refused as a duplicate") || !strings.Contains(d.LastError, "crieur post retry") {
		t.Fatalf("delivery %s (%q), want held, saying what to do", d.Status, d.LastError)
	}
	e.clock.Advance(24 * time.Hour)
	if _, err := s.RunOnce(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if n := e.fakes["fake-lookup"].Attempts(d.ID); n != 1 {
		t.Errorf("a held delivery was tried %d times without a person, want once", n)
	}
}

// A delivery this process does not try (a secret it cannot read) or whose
// channel is paused (no publisher can be built) is logged with its post's
// slug, as every other outcome is.
func TestNotTriedAndPausedLogsNameThePost(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		fail       error
	}{
		{"not tried", "will retry", calendar.SecretNotHere(errors.New("CRIEUR_TOKEN is not set here"))},
		{"paused", "channel paused", errors.New("no such app")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.channel("acme", "broken", nil)
			e.post("launch-day", t0, "acme")
			var logs testsvc.SyncBuffer
			s := e.scheduler(Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), Factory: Factory{Lookup: func(string) (publishers.Network, error) {
				return publishers.Network{Name: "broken", New: func(publishers.Config) (publishers.Publisher, error) { return nil, tc.fail }}, nil
			}}})
			rep, err := s.RunOnce(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Results) != 1 || rep.Results[0].Post != "launch-day" {
				t.Errorf("results %+v, want one for post launch-day", rep.Results)
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, tc.want) {
					line = l
				}
			}
			if !strings.Contains(line, "post=launch-day") {
				t.Errorf("log line %q, want post=launch-day; logs:\n%s", line, logs.String())
			}
		})
	}
}
