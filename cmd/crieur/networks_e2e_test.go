package main

// End-to-end tests of every network adapter through the CLI: a channel points
// at a fake of the network on 127.0.0.1, a post is due a minute ago, and
// `crieur publish --due` (the daemon's path, once) publishes it. The fakes
// live in networks_fakes_test.go; this file holds the table, the CLI driver
// and the error classes.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/viper"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/oauth"
	"github.com/crieur/crieur/publishers/publishertest"
	"github.com/crieur/crieur/scheduler"
)

// The post every network receives.
const (
	e2eCampaign = "spring-launch"
	e2eTitle    = "Spring issue"
	e2eIntro    = "Our spring issue is out: https://example.org/spring — twelve stories inside."
	e2eLast     = "See you next season."
	e2eAlt      = "A cover in green"
	e2eImageURL = "https://cdn.example.org/cover.png"
)

// Where a post's media comes from, by what the network's adapter accepts.
const (
	mediaFile = "file" // a PNG on disk, uploaded
	mediaJPEG = "jpeg" // a JPEG on disk (Instagram takes no other)
	mediaURL  = "url"  // a public URL the network fetches (Slack, Forem)
)

// netCase is one network: its channel, its fake and what must reach it.
type netCase struct {
	network string
	// settings are the channel's --set values; base is the fake's URL (or
	// SMTP address), dir a directory for file networks.
	settings func(base, dir string) []string
	// secrets are the channel's secrets by name; each is given to the CLI as
	// an env: reference, and must never be printed.
	secrets func(base string) map[string]string
	media   string // mediaFile or mediaURL
	// limit > 0: the network threads a text longer than this, so the post's
	// body is made longer and must arrive as several parts.
	limit int
	// serve answers one request as the network documents a success; nil for
	// networks without an HTTP API.
	serve func(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte)
	smtp  bool // the fake is an SMTP server
	// check checks what the network received; got holds what the CLI recorded.
	check func(t *testing.T, f *fakeNet, got published)
	// faults, when set, drive the error classes through the CLI.
	faults *faultSet
}

// published is what the calendar says of a published delivery.
type published struct {
	remoteID, remoteURL string
	dir                 string // the channel's directory (file networks)
	want                wantPost
}

// wantPost is what the network must receive.
type wantPost struct {
	link  string // the body's link, UTM-tagged for the network
	image []byte
	path  string // the media's absolute path, or its URL
	long  bool   // the body is over the network's limit
}

// faultSet is how a network says each failure, on the request that creates
// the post.
type faultSet struct {
	on          func(r *http.Request) bool
	auth        fault // credentials refused
	transient   fault // a server error
	limited     fault // rate-limited, with the network's wait
	wait        time.Duration
	invalid     fault // the post refused, with the network's words
	invalidText string
}

// fault is one canned answer. on, when set, replaces the set's (e.g. a
// refused login is answered at the login call); after lets that many
// matching requests through first (a thread failing mid-way); drop closes
// the connection without a reply, after the request arrived.
type fault struct {
	status int
	header func() http.Header
	body   string
	on     func(r *http.Request) bool
	after  int
	drop   bool
}

func header(kv ...string) func() http.Header {
	return func() http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
}

// TestNetworksPublishThroughCLI publishes one post on each network through
// `crieur publish --due` and checks what the network received and what the
// calendar recorded.
func TestNetworksPublishThroughCLI(t *testing.T) {
	for _, nc := range networkCases() {
		t.Run(nc.network, func(t *testing.T) {
			env := newE2E(t, nc)
			env.cli("campaign", "add", e2eCampaign, "--utm", "utm_medium=social")
			w := env.addPost(true)

			rep, code := env.publish(nil)
			if code != exitOK || rep.Published != 1 || len(rep.Results) != 1 || rep.Results[0].Outcome != calendar.OutcomePublished {
				t.Fatalf("publish --due: exit %d, report %+v", code, rep)
			}
			p := env.post()
			d := p.Deliveries[0]
			if p.Status != calendar.StatusPublished || d.Status != calendar.DeliveryPublished || d.Attempts != 1 {
				t.Fatalf("post %s, delivery %+v: want published after one attempt", p.Status, d)
			}
			if d.RemoteID == "" || d.RemoteID != rep.Results[0].RemoteID || d.PublishedAt == nil {
				t.Errorf("delivery remote id %q (report %q), published_at %v: the network's id must be stored", d.RemoteID, rep.Results[0].RemoteID, d.PublishedAt)
			}
			env.wantHistory("delivery.attempt", "delivery.published")
			nc.check(t, env.fake, published{remoteID: d.RemoteID, remoteURL: d.RemoteURL, dir: env.dir, want: w})
		})
	}
}

// TestNetworkErrorsThroughCLI drives each error class of the networks with
// faults through `crieur publish --due`, and checks that each ends in the
// state the scheduler promises: nothing lost, nothing published twice.
func TestNetworkErrorsThroughCLI(t *testing.T) {
	classes := []struct {
		name    string
		threads bool // only for networks with threads
		run     func(t *testing.T, env *e2e, fs *faultSet)
	}{
		{name: "auth", run: wantAuthPauses},
		{name: "transient", run: wantTransientRetried},
		{name: "no-reply", run: wantNoReplySafe},
		{name: "rate-limited", run: wantRateLimitHonoured},
		{name: "invalid", run: wantInvalidFails},
		{name: "thread-cut-short", threads: true, run: wantCutThreadKeepsID},
	}
	for _, nc := range networkCases() {
		if nc.faults == nil {
			continue
		}
		for _, c := range classes {
			if c.threads && nc.limit == 0 {
				continue
			}
			t.Run(nc.network+"/"+c.name, func(t *testing.T) {
				env := newE2E(t, nc)
				env.addPost(false)
				c.run(t, env, nc.faults)
			})
		}
	}
}

// at is f answered where the set's faults are, unless f says where.
func (fs *faultSet) at(f fault) fault {
	if f.on == nil {
		f.on = fs.on
	}
	return f
}

// wantAuthPauses: refused credentials pause the channel, saying how to fix
// them; the delivery waits, its attempt given back, and goes out on resume.
func wantAuthPauses(t *testing.T, env *e2e, fs *faultSet) {
	env.fake.setFault(fs.at(fs.auth))
	rep, code := env.publish(nil)
	if code != exitRuntime || rep.Paused != 1 || rep.Results[0].Outcome != calendar.OutcomeAuth {
		t.Fatalf("exit %d, report %+v: want the channel paused (exit 1)", code, rep)
	}
	var ch calendar.Channel
	env.cliJSON(&ch, "channel", "show", env.channel)
	// An OAuth network's channel is mended by logging in again; another's
	// by giving it new secrets.
	fix := "crieur channel edit " + env.channel
	if _, ok := oauth.Lookup(env.nc.network); ok {
		fix = "`crieur channel login " + env.channel + "`"
	}
	if !ch.Paused || !strings.Contains(ch.PauseReason, fix) || !strings.Contains(ch.PauseReason, "crieur resume "+env.channel) {
		t.Errorf("channel paused=%v, reason %q: want paused, saying to run %s", ch.Paused, ch.PauseReason, fix)
	}
	d := env.delivery()
	if d.Status != calendar.DeliveryPending || d.Attempts != 0 || d.LastError == "" {
		t.Errorf("delivery %+v: want pending with its attempt given back and the error kept", d)
	}
	if rep, _ := env.publish(nil); len(rep.Results) != 0 {
		t.Errorf("a paused channel published: %+v", rep)
	}
	env.fake.setFault(fault{})
	env.cli("resume", env.channel)
	env.wantPublishedAfterRetry(nil, 1)
	env.wantHistory("delivery.attempt", "delivery.retry", "delivery.attempt", "delivery.published")
}

// wantTransientRetried: a server error is retried later, with backoff.
func wantTransientRetried(t *testing.T, env *e2e, fs *faultSet) {
	env.fake.setFault(fs.at(fs.transient))
	start := time.Now()
	rep, code := env.publish(nil)
	r := rep.Results
	if code != exitOK || rep.Retried != 1 || r[0].Outcome != calendar.OutcomeRetry || !r[0].RetryAt.After(start) {
		t.Fatalf("exit %d, report %+v: want a retry later", code, rep)
	}
	env.wantRetry(r[0].RetryAt)
	env.fake.setFault(fault{})
	env.wantPublishedAfterRetry(&r[0].RetryAt, 2)
}

// wantNoReplySafe: the request reached the network and no reply came. Only
// a network that deduplicates, or can be looked up, is retried; otherwise a
// person decides, as the post may be out.
func wantNoReplySafe(t *testing.T, env *e2e, fs *faultSet) {
	env.fake.setFault(fs.at(fault{drop: true}))
	nw, err := publishers.Lookup(env.nc.network)
	if err != nil {
		t.Fatal(err)
	}
	rep, code := env.publish(nil)
	r := rep.Results
	if nw.Safety != publishers.RetryUnsafe {
		if code != exitOK || rep.Retried != 1 || r[0].Outcome != calendar.OutcomeRetry {
			t.Fatalf("exit %d, report %+v: want a retry (%s retries are safe)", code, rep, nw.Safety)
		}
		env.wantRetry(r[0].RetryAt)
		env.fake.setFault(fault{})
		env.wantPublishedAfterRetry(&r[0].RetryAt, 2)
		return
	}
	if code != exitRuntime || rep.Held != 1 || r[0].Outcome != calendar.OutcomeHeld {
		t.Fatalf("exit %d, report %+v: want held for a person (exit 1)", code, rep)
	}
	if d := env.delivery(); d.Status != calendar.DeliveryHeld || !strings.Contains(d.LastError, "crieur post retry") {
		t.Errorf("delivery %+v: want held, saying how to decide", d)
	}
	later := time.Now().Add(time.Hour)
	if rep, _ := env.publish(&later); len(rep.Results) != 0 {
		t.Errorf("a held delivery was retried without a person: %+v", rep)
	}
	env.fake.setFault(fault{})
	env.cli("post", "retry", "spring-issue")
	env.wantPublishedAfterRetry(nil, 1)
	env.wantHistory("delivery.attempt", "delivery.held", "delivery.retried", "delivery.attempt", "delivery.published")
}

// wantRateLimitHonoured: a rate-limited post is retried once the network's
// own wait is over, not before, and not later.
func wantRateLimitHonoured(t *testing.T, env *e2e, fs *faultSet) {
	env.fake.setFault(fs.at(fs.limited))
	start := time.Now()
	rep, code := env.publish(nil)
	r := rep.Results
	if code != exitOK || rep.Retried != 1 || r[0].Outcome != calendar.OutcomeRetry {
		t.Fatalf("exit %d, report %+v: want a retry", code, rep)
	}
	// The wait runs from the network's answer, a little after start; the
	// backoff of a first retry would be 15s or more.
	if wait := r[0].RetryAt.Sub(start); wait < fs.wait-time.Second || wait > fs.wait+5*time.Second {
		t.Errorf("retry in %v, want the network's wait %v", wait, fs.wait)
	}
	env.wantRetry(r[0].RetryAt)
	env.fake.setFault(fault{})
	env.wantPublishedAfterRetry(&r[0].RetryAt, 2)
}

// wantInvalidFails: a post the network refuses fails with its words, once.
func wantInvalidFails(t *testing.T, env *e2e, fs *faultSet) {
	env.fake.setFault(fs.at(fs.invalid))
	rep, code := env.publish(nil)
	if code != exitRuntime || rep.Failed != 1 || rep.Results[0].Outcome != calendar.OutcomeFailed {
		t.Fatalf("exit %d, report %+v: want failed (exit 1)", code, rep)
	}
	p := env.post()
	d := p.Deliveries[0]
	if p.Status != calendar.StatusFailed || d.Status != calendar.DeliveryFailed || !strings.Contains(d.LastError, fs.invalidText) {
		t.Errorf("post %s, delivery %+v: want failed with the network's words %q", p.Status, d, fs.invalidText)
	}
	later := time.Now().Add(2 * time.Hour)
	if rep, _ := env.publish(&later); len(rep.Results) != 0 {
		t.Errorf("a failed delivery was retried: %+v", rep)
	}
	if n := env.fake.faulted(); n != 1 {
		t.Errorf("the network refused the post %d times, want once: a failed post is not retried", n)
	}
	env.wantHistory("delivery.attempt", "delivery.failed")
}

// wantCutThreadKeepsID: the second part of a thread is refused. The first
// is live, so the delivery fails (a retry would post it twice), keeping the
// first part's id.
func wantCutThreadKeepsID(t *testing.T, env *e2e, fs *faultSet) {
	ft := fs.at(fs.invalid)
	ft.after = 1
	env.fake.setFault(ft)
	rep, code := env.publish(nil)
	if code != exitRuntime || rep.Failed != 1 {
		t.Fatalf("exit %d, report %+v: want failed (exit 1)", code, rep)
	}
	d := env.delivery()
	if d.Status != calendar.DeliveryFailed || d.RemoteID == "" || d.RemoteID != rep.Results[0].RemoteID || !strings.Contains(d.LastError, fs.invalidText) {
		t.Errorf("delivery %+v: want failed with the network's words, keeping the id of the part that went out", d)
	}
	env.wantHistory("delivery.attempt", "delivery.failed")
	// The adapter recorded each live part: `post retry` (no --force needed)
	// resumes after them.
	if len(d.Parts) == 0 || d.Parts[0].RemoteID != d.RemoteID {
		t.Fatalf("parts %+v: want the live first part recorded, as the delivery's %s", d.Parts, d.RemoteID)
	}
	if show := env.cli("post", "show", env.post().Slug); !strings.Contains(show, "Thread on "+env.channel+", parts live:") ||
		!strings.Contains(show, firstSet(d.Parts[0].RemoteURL, d.Parts[0].RemoteID)) {
		t.Errorf("post show does not list the live parts:\n%s", show)
	}
	env.fake.setFault(fault{})
	env.cli("post", "retry", env.post().Slug)
	rep, code = env.publish(nil)
	after := env.delivery()
	if code != exitOK || rep.Published != 1 || after.RemoteID != d.RemoteID || len(after.Parts) < 2 {
		t.Errorf("retry of a thread cut short: exit %d, delivery %+v: want it completed, its first part's id kept", code, after)
	}
}

// e2e is one calendar, one channel on one network, and that network's fake.
type e2e struct {
	t       *testing.T
	nc      netCase
	dir     string
	channel string
	base    string
	fake    *fakeNet
	secrets map[string]string // by name: values the CLI must never print

	mu      sync.Mutex
	printed bytes.Buffer // everything the CLI printed, to look for secrets in
}

// newE2E creates a calendar and a channel pointing at a new fake of nc's
// network, its secrets given as env: references.
func newE2E(t *testing.T, nc netCase) *e2e {
	dir := t.TempDir()
	t.Setenv("CRIEUR_DB", filepath.Join(dir, "crieur.db"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("NO_COLOR", "1")
	env := &e2e{t: t, nc: nc, dir: dir, channel: "acme-" + nc.network, secrets: map[string]string{}}
	env.fake = &fakeNet{t: t, serve: nc.serve}
	switch {
	case nc.smtp:
		env.base = env.fake.startSMTP(t)
	case nc.serve != nil:
		srv := httptest.NewServer(env.fake)
		t.Cleanup(srv.Close)
		env.base = srv.URL
	}
	t.Cleanup(env.checkNoSecret)

	env.cli("init")
	env.watchKey()
	args := []string{"channel", "add", env.channel, "--network", nc.network}
	for _, s := range nc.settings(env.base, dir) {
		args = append(args, "--set", s)
	}
	if nc.secrets != nil {
		for name, value := range nc.secrets(env.base) {
			v := "CRIEUR_E2E_" + strings.ToUpper(nc.network+"_"+name)
			t.Setenv(v, value)
			env.secrets[name] = value
			if u, err := url.Parse(value); err == nil && u.Host != "" {
				env.secrets[name+"'s path"] = u.Path // a webhook URL's token
			}
			args = append(args, "--secret", name+"=env:"+v)
		}
	}
	env.cli(args...)
	return env
}

// addPost creates the post, due a minute ago: the body with its link, the
// media with alt text, a body over the limit on threading networks, and
// the campaign when withCampaign.
func (env *e2e) addPost(withCampaign bool) wantPost {
	nc := env.nc
	w := wantPost{link: "https://example.org/spring"}
	body := e2eIntro + " " + e2eLast
	if nc.limit > 0 {
		body, w.long = longBody(nc.limit), true
	}
	args := []string{"post", "new", "--slug", "spring-issue", "--title", e2eTitle, "--body", body, "--channel", env.channel,
		"--at", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), "--allow-past"}
	if w.long {
		args = append(args, "--thread") // the author allows the thread: it is never a surprise
	}
	if withCampaign {
		args = append(args, "--campaign", e2eCampaign)
		w.link += "?utm_campaign=" + e2eCampaign + "&utm_medium=social&utm_source=" + nc.network
	}
	switch nc.media {
	case mediaFile, mediaJPEG:
		// Given relative to where the post is written; published from
		// elsewhere, as a daemon is.
		name := "cover.png"
		w.image = []byte(publishertest.PNG)
		if nc.media == mediaJPEG {
			name, w.image = "cover.jpg", tinyJPEG(env.t)
		}
		w.path = filepath.Join(env.dir, "media", name)
		if err := os.MkdirAll(filepath.Dir(w.path), 0o700); err != nil {
			env.t.Fatal(err)
		}
		if err := os.WriteFile(w.path, w.image, 0o600); err != nil {
			env.t.Fatal(err)
		}
		env.t.Chdir(env.dir)
		defer env.t.Chdir(env.t.TempDir())
		args = append(args, "--media", filepath.Join("media", name)+"#"+e2eAlt)
	case mediaURL:
		w.path = e2eImageURL
		args = append(args, "--media", w.path+"#"+e2eAlt)
	}
	env.cli(args...)
	return w
}

// longBody is the intro, then sentences up to about twice limit, then the
// last sentence: the network must split it into a thread.
func longBody(limit int) string {
	var b strings.Builder
	b.WriteString(e2eIntro)
	for i := 1; b.Len() < 2*limit; i++ {
		fmt.Fprintf(&b, " Story %d is about a garden in the rain.", i)
	}
	b.WriteString(" " + e2eLast)
	return b.String()
}

// exec runs one command; now, when set, is the app's clock (to step past a
// retry time without sleeping).
func (env *e2e) exec(now *time.Time, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	if now == nil {
		code = run(args, strings.NewReader(""), &out, &errOut)
	} else {
		at := *now
		code = runAt(func() time.Time { return at }, args, &out, &errOut)
	}
	env.mu.Lock()
	env.printed.Write(out.Bytes())
	env.printed.Write(errOut.Bytes())
	env.mu.Unlock()
	return code, out.String(), errOut.String()
}

// runAt is run with the app's clock set to now: the same command tree and
// error reporting, without run's signal handling.
func runAt(now func() time.Time, args []string, out, errOut io.Writer) int {
	a := &app{v: viper.New(), in: strings.NewReader(""), out: out, errOut: errOut, now: now, ctx: context.Background()}
	defer a.close()
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	if err := root.ExecuteContext(a.ctx); err != nil {
		return a.reportError(err)
	}
	return exitOK
}

// cli runs a command that must succeed and returns its output.
func (env *e2e) cli(args ...string) string {
	env.t.Helper()
	code, out, errOut := env.exec(nil, args...)
	if code != exitOK {
		env.t.Fatalf("crieur %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// cliJSON runs a command with -o json that must succeed, decoding its output.
func (env *e2e) cliJSON(v any, args ...string) {
	env.t.Helper()
	out := env.cli(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		env.t.Fatalf("crieur %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// publish runs `publish --due -o json` at now (nil: the real time).
func (env *e2e) publish(now *time.Time) (scheduler.Report, int) {
	env.t.Helper()
	code, out, errOut := env.exec(now, "publish", "--due", "-o", "json")
	var rep scheduler.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		env.t.Fatalf("publish --due: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	return rep, code
}

func (env *e2e) post() calendar.Post {
	env.t.Helper()
	var p calendar.Post
	env.cliJSON(&p, "post", "show", "spring-issue")
	if len(p.Deliveries) != 1 {
		env.t.Fatalf("post has %d deliveries, want 1", len(p.Deliveries))
	}
	return p
}

func (env *e2e) delivery() calendar.Delivery { return env.post().Deliveries[0] }

// wantRetry checks a delivery left for a retry at retryAt: pending with the
// error kept, the retry time in its history, and not due a second before it.
func (env *e2e) wantRetry(retryAt time.Time) {
	t := env.t
	t.Helper()
	d := env.delivery()
	if d.Status != calendar.DeliveryPending || d.Attempts != 1 || d.LastError == "" {
		t.Errorf("delivery %+v: want pending after one attempt, its error kept", d)
	}
	ev := env.wantHistory("delivery.attempt", "delivery.retry")
	if got, _ := ev[len(ev)-1].Detail["retry_at"].(string); got != retryAt.UTC().Format(time.RFC3339Nano) {
		t.Errorf("history retry_at %q, want %v", got, retryAt)
	}
	early := retryAt.Add(-time.Second)
	if rep, _ := env.publish(&early); len(rep.Results) != 0 {
		t.Errorf("retried at %v, before its time %v: %+v", early, retryAt, rep)
	}
}

// wantPublishedAfterRetry publishes at retryAt+1s (nil: now) and wants the
// delivery published at its attempt-th attempt.
func (env *e2e) wantPublishedAfterRetry(retryAt *time.Time, attempt int) {
	t := env.t
	t.Helper()
	var at *time.Time
	if retryAt != nil {
		next := retryAt.Add(time.Second)
		at = &next
	}
	rep, code := env.publish(at)
	if code != exitOK || rep.Published != 1 {
		t.Fatalf("retry: exit %d, report %+v: want published", code, rep)
	}
	d := env.delivery()
	if d.Status != calendar.DeliveryPublished || d.RemoteID == "" || d.LastError != "" || d.Attempts != attempt {
		t.Errorf("delivery %+v: want published with a remote id at attempt %d", d, attempt)
	}
}

// wantHistory checks that the post's delivery events are kinds, in order.
func (env *e2e) wantHistory(kinds ...string) []calendar.Event {
	env.t.Helper()
	var all, evs []calendar.Event
	env.cliJSON(&all, "post", "history", "spring-issue")
	var got []string
	for _, e := range all {
		// delivery.part (a thread part went live) is checked where it matters.
		if strings.HasPrefix(e.Kind, "delivery.") && e.Kind != "delivery.part" {
			evs = append(evs, e)
			got = append(got, e.Kind)
		}
	}
	if strings.Join(got, " ") != strings.Join(kinds, " ") {
		env.t.Fatalf("history %v, want %v", got, kinds)
	}
	return evs
}

// checkNoSecret fails when a secret value was printed by any command.
func (env *e2e) checkNoSecret() {
	env.mu.Lock()
	defer env.mu.Unlock()
	for name, value := range env.secrets {
		if strings.Contains(env.printed.String(), value) {
			env.t.Errorf("the CLI printed the value of the secret %s", name)
		}
	}
}

// fakeNet is one network's fake: serve answers as the network does, every
// request is recorded, and a fault, when set, answers the requests it matches
// instead.
type fakeNet struct {
	t     *testing.T
	serve func(f *fakeNet, w http.ResponseWriter, r *http.Request, body []byte)

	mu      sync.Mutex
	reqs    []request
	fault   fault
	matched int // requests the fault matched, answered or let through
	nfaults int
	mail    []mailIn
	n       int // a counter for ids
}

// request is one request a fake received.
type request struct {
	Method, Path string
	Query        url.Values
	Header       http.Header
	Body         []byte
}

func (f *fakeNet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("%s %s: reading the body: %v", r.Method, r.URL.Path, err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.reqs = append(f.reqs, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
	ft := f.fault
	if ft.on != nil && ft.on(r) {
		f.matched++
	}
	if ft.on != nil && ft.on(r) && f.matched > ft.after {
		f.nfaults++
		f.mu.Unlock()
		if ft.drop {
			hangUp(f.t, w)
			return
		}
		if ft.header != nil {
			for k, v := range ft.header() {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(ft.status)
		_, _ = io.WriteString(w, ft.body)
		return
	}
	f.mu.Unlock()
	f.serve(f, w, r, body)
}

// hangUp closes the connection without answering.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

func (f *fakeNet) setFault(ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault, f.matched = ft, 0
}

// faulted is how many requests the faults answered, in all.
func (f *fakeNet) faulted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.nfaults
}

// next returns 1, 2, … for ids.
func (f *fakeNet) next() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return f.n
}

// calls returns the requests of method whose path is path.
func (f *fakeNet) calls(method, path string) []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []request
	for _, r := range f.reqs {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// unexpected fails the test for a request the network has no answer for.
func unexpected(f *fakeNet, w http.ResponseWriter, r *http.Request) {
	f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
	http.NotFound(w, r)
}

// decodeJSON decodes a request body, failing the test when it is not JSON.
func decodeJSON(t *testing.T, r request, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Errorf("%s %s: body is not JSON: %v\n%s", r.Method, r.Path, err, r.Body)
	}
}

// is matches requests by method and path.
func is(method, path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && r.URL.Path == path }
}
