package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/atomicfile"
	"github.com/crieur/crieur/internal/report"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerCommand(newReportCmd) }

// networkMetrics is what a network reports (nil: no numbers, or unknown).
func networkMetrics(network string) []string {
	nw, err := publishers.Lookup(network)
	if err != nil {
		return nil
	}
	return nw.Metrics
}

// channelMetrics is what each channel reports as its settings make it,
// and why one whose network has numbers gives none (X bills each read;
// LinkedIn and Threads need a scope): such a channel enables them with
// stats=on.
type channelMetrics struct {
	metrics map[string][]string
	why     map[string]string
}

func (a *app) channelMetrics(st calendar.Store) (channelMetrics, error) {
	cm := channelMetrics{metrics: map[string][]string{}, why: map[string]string{}}
	chans, err := st.Channels(a.ctx)
	if err != nil {
		return cm, err
	}
	for _, ch := range chans {
		nw, err := publishers.Lookup(ch.Network)
		if err != nil {
			continue
		}
		m, why := nw.MetricsFor(ch.Settings)
		cm.metrics[ch.Name] = m
		if why != "" {
			cm.why[ch.Name] = why
		}
	}
	return cm, nil
}

// of is what e's channel reports (its network's, for a channel not found).
func (cm channelMetrics) of(e calendar.DeliveryEngagement) []string {
	if m, ok := cm.metrics[e.Channel]; ok {
		return m
	}
	return networkMetrics(e.Network)
}

func taggedLink(e calendar.DeliveryEngagement) string {
	var c *calendar.Campaign
	if e.Campaign != "" {
		c = &calendar.Campaign{Name: e.Campaign, UTM: e.CampaignUTM}
	}
	return scheduler.TaggedLink(e.Link, e.Network, c)
}

func newReportCmd(a *app) *cobra.Command {
	var campaign, from, to, by, format, file string
	var top int
	var private bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Show the engagement of what was published: totals, medians, top posts",
		Long: `Report the engagement crieur read back from the networks (see "crieur stats
collect"; the daemon reads each post 1 hour, 24 hours, 7 days and 30 days after it
went live). Numbers are each post's latest reading: its engagement is the sum of
its interactions (replies, reposts, likes, quotes, comments, reactions); views are
shown beside. A channel whose network gives no numbers (log, feed, webhook, …)
is said so, never counted as zero. Weekdays and hours are in the calendar's zone.

--format csv writes one row per post and channel (standard output without
--out); --format html writes one self-contained page with plots (--out needed).`,
		Example: `  crieur report --campaign spring-launch
  crieur report --from 2026-11-01 --to 2026-12-01 --by weekday
  crieur report --campaign spring-launch --format csv --out spring.csv
  crieur report --campaign spring-launch --format html --out report.html`,
		Args: exactArgs(0, "no arguments (the campaign is --campaign)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := report.CheckBy(by); err != nil {
				return usageErr{err}
			}
			switch format {
			case "", "table", "csv":
			case "html":
				if file == "" || file == "-" {
					return usageErr{fmt.Errorf("--format html needs --out FILE (the page is written to a file)")}
				}
			default:
				return usageErr{fmt.Errorf("--format %q: use table, csv or html", format)}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			// A table or a spreadsheet needs each post's latest numbers only;
			// the page's curve and -o json every reading.
			f := calendar.EngagementFilter{Campaign: campaign, Latest: format != "html" && a.format() == "table"}
			if from != "" {
				t, err := a.parseDay("from", from)
				if err != nil {
					return err
				}
				f.From = &t
			}
			if to != "" {
				t, err := a.parseDay("to", to)
				if err != nil {
					return err
				}
				f.To = &t
			}
			rows, err := st.Engagement(a.ctx, f)
			if err != nil {
				return err
			}
			cm, err := a.channelMetrics(st)
			if err != nil {
				return err
			}
			rep, err := report.Build(rows, report.Options{By: by, Zone: a.calendarZone(), Metrics: networkMetrics, ChannelMetrics: cm.of, TaggedLink: taggedLink, Top: top})
			if err != nil {
				return usageErr{err}
			}
			for _, ch := range rep.NoNumbers {
				if why := cm.why[ch]; why != "" {
					if rep.Why == nil {
						rep.Why = map[string]string{}
					}
					rep.Why[ch] = why
				}
			}
			rep.Campaign, rep.From, rep.To = campaign, f.From, f.To
			modes := atomicfile.ExportModes(private)
			switch format {
			case "csv":
				write := func(w io.Writer) error { return a.reportCSV(w, rep) }
				if file == "" || file == "-" {
					return write(a.out)
				}
				if err := modes.WriteFile(file, write); err != nil {
					return err
				}
				return a.exported(file)
			case "html":
				title := "crieur report"
				if campaign != "" {
					title += " — " + campaign
				}
				if err := modes.WriteFile(file, func(w io.Writer) error { return report.HTML(w, rep, title, a.now()) }); err != nil {
					return err
				}
				return a.exported(file)
			}
			return a.emit(rep, func(w io.Writer) error { return a.reportTable(w, rep) })
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&campaign, "campaign", "", "only this campaign's posts")
	fl.StringVar(&from, "from", "", "published from this day or WHEN")
	fl.StringVar(&to, "to", "", "published before this day or WHEN")
	fl.StringVar(&by, "by", "channel", "group by channel, campaign, tag, weekday, hour or post")
	fl.StringVar(&format, "format", "table", "table, csv or html")
	fl.StringVar(&file, "out", "", "the file to write (csv, html)")
	fl.IntVar(&top, "top", 5, "how many top and bottom posts to list")
	fl.BoolVar(&private, keyPrivate, false, privateUsage)
	return cmd
}

// figure writes a count, or "-" when unknown.
func figure(v int64, known bool) string {
	if !known {
		return "-"
	}
	return strconv.FormatInt(v, 10)
}

func median(m *float64) string {
	if m == nil {
		return "-"
	}
	return strconv.FormatFloat(*m, 'f', -1, 64)
}

func (a *app) reportTable(w io.Writer, rep *report.Report) error {
	scope := "every campaign"
	if rep.Campaign != "" {
		scope = "campaign " + rep.Campaign
	}
	if rep.From != nil || rep.To != nil {
		scope += ", published " + a.when(rep.From) + " to " + a.when(rep.To)
	}
	fmt.Fprintf(w, "Report: %s · %s · %d with numbers · zone %s\n", scope, count(rep.Total.Posts, "delivery", "deliveries"), rep.Total.WithNumbers, rep.Zone)
	if rep.Total.Posts == 0 {
		fmt.Fprintln(w, "Nothing published here yet.")
		return nil
	}
	fmt.Fprintln(w)
	cols := []string{strings.ToUpper(rep.By), "POSTS", "WITH NUMBERS", "ENGAGEMENT", "MEDIAN/POST"}
	for _, m := range rep.Metrics {
		cols = append(cols, strings.ToUpper(m))
	}
	t := newTable(w, cols...)
	line := func(g report.Group) {
		if g.NoNumbers && rep.By == "channel" && rep.Why[g.Key] != "" {
			t.row(g.Key, strconv.Itoa(g.Posts), "no numbers from this channel (see below)")
			return
		}
		if g.NoNumbers {
			// Every column keeps its cell ("-", never a zero), so the rows
			// after this one stay aligned; the words follow the last one.
			row := []string{g.Key, strconv.Itoa(g.Posts)}
			for range len(cols) - 2 {
				row = append(row, "-")
			}
			t.row(append(row, "no numbers from this network")...)
			return
		}
		row := []string{g.Key, strconv.Itoa(g.Posts), strconv.Itoa(g.WithNumbers), figure(g.Engagement, g.WithNumbers > 0), median(g.Median)}
		for _, m := range rep.Metrics {
			v, ok := g.Metrics[m]
			row = append(row, figure(v, ok))
		}
		t.row(row...)
	}
	for _, g := range rep.Groups {
		line(g)
	}
	total := rep.Total
	total.Key = "TOTAL"
	line(total)
	if err := t.flush(); err != nil {
		return err
	}
	list := func(title string, ps []report.Post) error {
		if len(ps) == 0 {
			return nil
		}
		fmt.Fprintf(w, "\n%s\n", title)
		t := newTable(w, "POST", "CHANNEL", "PUBLISHED", "ENGAGEMENT", "LINK")
		for _, p := range ps {
			at := p.PublishedAt
			t.row(p.Post, p.Channel, a.when(&at), figure(*p.Engagement, true), dash(p.Link))
		}
		return t.flush()
	}
	if err := list("Top posts", rep.Top); err != nil {
		return err
	}
	if err := list("Bottom posts", rep.Bottom); err != nil {
		return err
	}
	var none []string
	for _, ch := range rep.NoNumbers {
		if rep.Why[ch] == "" {
			none = append(none, ch)
		}
	}
	if len(none) > 0 {
		fmt.Fprintf(w, "\nNo numbers from: %s (their networks give none).\n", strings.Join(none, ", "))
	}
	for _, ch := range rep.NoNumbers {
		if why := rep.Why[ch]; why != "" {
			fmt.Fprintf(w, "No numbers from %s: %s.\n", ch, why)
		}
	}
	if rep.Total.WithNumbers == 0 && !rep.Total.NoNumbers {
		fmt.Fprintln(w, "\nNo numbers read yet: run `crieur stats collect` (the daemon does it by itself).")
	}
	return nil
}

func (a *app) reportCSV(w io.Writer, rep *report.Report) error {
	cw := csv.NewWriter(w)
	head := []string{"post", "title", "channel", "network", "campaign", "tags", "published_at", "url", "link", "state", "engagement"}
	head = append(head, rep.Metrics...)
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, p := range rep.Posts {
		eng := ""
		if p.Engagement != nil {
			eng = strconv.FormatInt(*p.Engagement, 10)
		}
		row := []string{p.Post, p.Title, p.Channel, p.Network, p.Campaign, strings.Join(p.Tags, " "),
			p.PublishedAt.In(a.calendarZone()).Format(time.RFC3339), p.URL, p.Link, p.State, eng}
		for _, m := range rep.Metrics {
			v, ok := p.Counts[m]
			cell := ""
			if ok {
				cell = strconv.FormatInt(v, 10)
			}
			row = append(row, cell)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// count writes n with the noun that fits it.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
