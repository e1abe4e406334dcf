package main

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerCommand(newStatusCmd) }

// A heartbeat older than this means the daemon is not running any more.
const heartbeatStale = time.Minute

type statusDoc struct {
	// Daemon is the latest running daemon (or, with none running, the one
	// that beat last); Daemons lists every daemon seen in the last day.
	Daemon         daemonDoc      `json:"daemon"`
	Daemons        []daemonDoc    `json:"daemons"`
	KillSwitch     killSwitchDoc  `json:"kill_switch"`
	PausedChannels []pausedDoc    `json:"paused_channels"`
	Deliveries     map[string]int `json:"deliveries"`
	Overdue        int            `json:"overdue"`
	// HeldByPause counts what is due but held back by the kill switch or a paused channel.
	HeldByPause calendar.HeldDue `json:"held_by_pause"`
	NextDue     *time.Time       `json:"next_due"`
	Attention   []attentionDoc   `json:"attention"`
	// Tokens are the OAuth channels' token expiries.
	Tokens []tokenDoc `json:"tokens"`
	// Zone is the calendar's zone (UTC when none is recorded in it): every
	// process reads the slots of channels without their own zone in it.
	Zone         string `json:"zone"`
	ZoneRecorded bool   `json:"zone_recorded"`
}

type daemonDoc struct {
	State       string     `json:"state"` // running, stopped, unresponsive, never-ran
	LastBeat    *time.Time `json:"last_heartbeat"`
	Host        string     `json:"host,omitempty"`
	PID         int        `json:"pid,omitempty"`
	Owner       string     `json:"owner,omitempty"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	Concurrency int        `json:"concurrency,omitempty"`
	// Leader: this daemon holds the leader lease and runs the maintenance jobs.
	Leader bool     `json:"leader"`
	Jobs   []jobDoc `json:"jobs"`
}

// jobDoc is one of a daemon's recurring jobs. A maintenance job (the
// leader's alone) of a daemon that does not lead is on standby: it has no
// next run (Next is null) until that daemon leads. A daemon that is not
// running runs no job: none has a next run.
type jobDoc struct {
	Name    string     `json:"name"`
	Spec    string     `json:"spec"`
	Next    *time.Time `json:"next"`
	Standby bool       `json:"standby,omitempty"`
}

// jobsOf is what status says of a daemon's jobs, leader telling whether it
// leads and running whether it runs (a daemon without a recent heartbeat
// does not: the next runs its last heartbeat named are not to come).
func jobsOf(jobs []scheduler.Job, leader, running bool) []jobDoc {
	out := make([]jobDoc, 0, len(jobs))
	for _, j := range jobs {
		d := jobDoc{Name: j.Name, Spec: j.Spec}
		switch {
		case !running:
		case j.LeaderOnly && !leader:
			d.Standby = true
		default:
			next := j.Next
			d.Next = &next
		}
		out = append(out, d)
	}
	return out
}

type killSwitchDoc struct {
	On     bool   `json:"on"`
	Reason string `json:"reason,omitempty"`
}

type pausedDoc struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type attentionDoc struct {
	Post    string     `json:"post"`
	Channel string     `json:"channel"`
	Status  string     `json:"status"`
	DueAt   *time.Time `json:"due_at"`
	Error   string     `json:"error"`
}

func newStatusCmd(a *app) *cobra.Command {
	var check bool
	var within string
	cmd := &cobra.Command{
		Use:   "status [--check [--expiring-within DUR]]",
		Short: "Is the daemon running, is anything stuck, what needs a person",
		Long: `Show each daemon's last heartbeat and its recurring jobs (every daemon seen
in the last day), the kill switch, paused channels, deliveries by state, what
is overdue, the deliveries that need a person: held (unknown outcome
after a crash), failed, missed, and when the OAuth channels' tokens expire.

--check, for a monitoring cron, exits 1 when an OAuth channel needs
` + "`crieur channel login`" + ` within --expiring-within (default 7d; days or a
duration such as 36h): its token ends by then and crieur cannot renew it
past that, or it is not connected. It prints those channels on stderr;
with -q, nothing else (no report), so that a cron mails only a problem.`,
		Example: `  crieur status
  crieur status -o json
  crieur status --check --expiring-within 14d`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			span := 7 * 24 * time.Hour
			if cmd.Flags().Changed("expiring-within") {
				if !check {
					return usageErr{fmt.Errorf("--expiring-within goes with --check")}
				}
				d, err := parseWithin(within)
				if err != nil {
					return usageErr{err}
				}
				span = d
			}
			doc, err := a.status()
			if err != nil {
				return err
			}
			// A monitoring cron's `status --check -q` mails only what needs a
			// person: the report is for a person reading it.
			if !(check && a.quiet() && a.format() == "table") {
				if err := a.emit(doc, func(w io.Writer) error { return a.statusTable(w, doc) }); err != nil {
					return err
				}
			}
			if !check {
				return nil
			}
			var due []string
			for _, t := range doc.Tokens {
				if t.Error != "" || t.ExpiresWithin(a.now(), span) {
					why := "not connected"
					switch {
					case t.Error != "":
						why = t.Error
					case t.Deadline != nil:
						why = "login needed by " + a.when(t.Deadline)
					}
					due = append(due, fmt.Sprintf("%s (%s): run `crieur channel login %s`", t.Channel, why, t.Channel))
				}
			}
			if len(due) > 0 {
				return fmt.Errorf("%s within %s: %s", count(len(due), "OAuth channel needs a login", "OAuth channels need a login"), within, strings.Join(due, "; "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "exit 1 when an OAuth channel needs \"crieur channel login\" within --expiring-within")
	cmd.Flags().StringVar(&within, "expiring-within", "7d", "with --check: how far ahead to look (7d, 36h)")
	return cmd
}

func (a *app) status() (statusDoc, error) {
	var doc statusDoc
	st, err := a.db()
	if err != nil {
		return doc, err
	}
	now := a.now()
	doc.Zone, doc.ZoneRecorded = a.calendarZone().String(), a.calRec != ""
	doc.Daemon = daemonDoc{State: "never-ran", Jobs: []jobDoc{}}
	beats, err := scheduler.ReadHeartbeats(a.ctx, st)
	if err != nil {
		return doc, err
	}
	lead, led, err := st.Leader(a.ctx, calendar.LeaderMaintenance)
	if err != nil {
		return doc, err
	}
	doc.Daemons = []daemonDoc{}
	for _, hb := range beats {
		d := daemonOf(hb, now, led && lead.Holder == hb.Owner && lead.Until.After(now))
		doc.Daemons = append(doc.Daemons, d)
	}
	// Running daemons first, each group by latest heartbeat (as read).
	sort.SliceStable(doc.Daemons, func(i, j int) bool {
		return doc.Daemons[i].State == "running" && doc.Daemons[j].State != "running"
	})
	if len(doc.Daemons) > 0 {
		doc.Daemon = doc.Daemons[0]
	}
	doc.KillSwitch.On, doc.KillSwitch.Reason, err = st.PausedAll(a.ctx)
	if err != nil {
		return doc, err
	}
	paused, err := st.PausedChannels(a.ctx)
	if err != nil {
		return doc, err
	}
	doc.PausedChannels = []pausedDoc{}
	for _, c := range paused {
		doc.PausedChannels = append(doc.PausedChannels, pausedDoc{Name: c.Name, Reason: c.PauseReason})
	}
	sum, err := st.DeliverySummary(a.ctx, now)
	if err != nil {
		return doc, err
	}
	doc.Deliveries, doc.Overdue, doc.NextDue = sum.Counts, sum.Overdue, sum.NextDue
	if doc.HeldByPause, err = st.HeldDeliveriesDue(a.ctx, now, 0); err != nil {
		return doc, err
	}
	entries, err := st.HeldDeliveries(a.ctx, []string{calendar.DeliveryHeld, calendar.DeliveryFailed, calendar.DeliveryMissed}, 50)
	if err != nil {
		return doc, err
	}
	doc.Attention = []attentionDoc{}
	for _, e := range entries {
		doc.Attention = append(doc.Attention, attentionDoc{Post: e.Slug, Channel: e.Channel, Status: e.Status, DueAt: e.DueAt, Error: e.LastError})
	}
	chans, err := st.Channels(a.ctx)
	if err != nil {
		return doc, err
	}
	doc.Tokens = tokens(st, chans)
	return doc, nil
}

// daemonOf is what status says of one daemon's heartbeat at now, leads
// telling whether it holds the leader lease (it leads if it also runs).
func daemonOf(hb scheduler.Heartbeat, now time.Time, leads bool) daemonDoc {
	at, started := hb.At, hb.Started
	d := daemonDoc{LastBeat: &at, Host: hb.Host, PID: hb.PID, Owner: hb.Owner, StartedAt: &started,
		Concurrency: hb.Concurrency}
	switch {
	case hb.Stopped:
		d.State = "stopped"
	case now.Sub(hb.At) > heartbeatStale:
		d.State = "unresponsive"
	default:
		d.State = "running"
	}
	d.Leader = leads && d.State == "running"
	d.Jobs = jobsOf(hb.Jobs, d.Leader, d.State == "running")
	return d
}

func (a *app) statusTable(w io.Writer, doc statusDoc) error {
	now := a.now()
	t := newTable(w)
	if len(doc.Daemons) == 0 {
		t.row("daemon:", "never ran on this calendar (start it with `crieur daemon`)")
	}
	for i, d := range doc.Daemons {
		label := "daemon:"
		if i > 0 {
			label = ""
		}
		state := d.State
		if d.State == "running" {
			state = a.paint("32", state)
		} else if d.State == "unresponsive" {
			state = a.paint("31", state)
		}
		leads := ""
		if d.Leader {
			leads = ", leader (runs the maintenance jobs)"
		}
		t.row(label, fmt.Sprintf("%s — %s pid %d, last heartbeat %s ago (%s)%s", state, d.Host, d.PID,
			now.Sub(*d.LastBeat).Round(time.Second), a.when(d.LastBeat), leads))
		if d.State == "unresponsive" && len(d.Jobs) > 0 {
			t.row("", "jobs: none runs (no heartbeat since "+a.when(d.LastBeat)+")")
		}
		if d.State == "running" {
			for _, j := range d.Jobs {
				if j.Standby {
					t.row("", fmt.Sprintf("job %s (%s): standby (the leader runs it)", j.Name, j.Spec))
					continue
				}
				t.row("", fmt.Sprintf("job %s (%s): next %s", j.Name, j.Spec, a.when(j.Next)))
			}
		}
	}
	if doc.ZoneRecorded {
		t.row("zone:", doc.Zone+" (the calendar's: slots and fills; `crieur init --tz ZONE` changes it)")
	} else {
		t.row("zone:", doc.Zone+" (none recorded in the calendar; `crieur init --tz ZONE` sets it)")
	}
	if doc.KillSwitch.On {
		t.row("kill switch:", a.paint("31", "ON")+" — "+doc.KillSwitch.Reason+" (`crieur resume --all` lifts it)")
	} else {
		t.row("kill switch:", "off")
	}
	if len(doc.PausedChannels) == 0 {
		t.row("paused:", "none")
	}
	for _, p := range doc.PausedChannels {
		t.row("paused:", p.Name+" — "+dash(p.Reason))
	}
	t.row("deliveries:", countsText(doc.Deliveries))
	t.row("next due:", a.when(doc.NextDue))
	over := strconv.Itoa(doc.Overdue)
	if doc.Overdue > 0 {
		over = a.paint("31", over) + " due more than a minute ago and not yet claimed"
	}
	t.row("overdue:", over)
	if lines := doc.HeldByPause.Lines(); len(lines) > 0 {
		for i, l := range lines {
			label := ""
			if i == 0 {
				label = "held back:"
			}
			t.row(label, a.paint("33", l))
		}
	} else {
		t.row("held back:", "0")
	}
	held := doc.Deliveries[calendar.DeliveryHeld]
	t.row("held:", strconv.Itoa(held))
	for i, tok := range doc.Tokens {
		label := ""
		if i == 0 {
			label = "tokens:"
		}
		text := tok.Channel + " — "
		switch {
		case tok.Error != "":
			text += a.paint("31", tok.Error)
		case !tok.Connected:
			text += "not connected: run `crieur channel login " + tok.Channel + "`"
		default:
			text += strings.Join(a.expiryLines(tok.Expiry), "; ")
		}
		t.row(label, text)
	}
	if err := t.flush(); err != nil {
		return err
	}
	if len(doc.Attention) > 0 {
		fmt.Fprintln(w, "\nNeeds a person (`crieur post retry REF` or `crieur post dismiss REF`):")
		tt := newTable(w, "POST", "CHANNEL", "STATUS", "DUE", "WHY")
		for _, e := range doc.Attention {
			tt.row(e.Post, e.Channel, a.paint(statusColor(e.Status), e.Status), a.when(e.DueAt), dash(truncate(e.Error, 70)))
		}
		return tt.flush()
	}
	return nil
}

// countsText is "2 pending, 5 published" in workflow order.
func countsText(m map[string]int) string {
	order := []string{calendar.DeliveryPending, calendar.DeliveryPublishing, calendar.DeliveryPublished, calendar.DeliveryHeld,
		calendar.DeliveryFailed, calendar.DeliveryMissed, calendar.DeliveryCanceled}
	var parts []string
	for _, k := range order {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
		}
	}
	var rest []string
	for k := range m {
		if !contains(order, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
