package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/rules"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newLintCmd) }

// lintReport is what `crieur lint -o json` prints.
type lintReport struct {
	Errors   int             `json:"errors"`
	Warnings int             `json:"warnings"`
	Rules    string          `json:"rules,omitempty"`
	Findings []rules.Located `json:"findings"`
}

func newLintCmd(a *app) *cobra.Command {
	var o importOptions
	var channels []string
	cmd := &cobra.Command{
		Use:   "lint [PATH...] [--rules FILE] [--channel NAME=NETWORK]...",
		Short: "Check a campaign's files against the editorial rules and the networks, without a calendar",
		Long: `Check campaign files (CSV, YAML, JSON, a Markdown folder: what import reads)
as a CI step would, without a database: the files must read (times, media,
fields), each post that goes out must pass the editorial rules (rules.yaml
beside the config, or --rules) and the offline rules of its channels'
networks (text length, media, threads).

A channel's network comes from the rules file's channels: section
(NAME: NETWORK) or --channel NAME=NETWORK; a channel of neither is not
checked against a network, with a warning. Drafts are not held to the rules.

Prints one FILE:LINE: RULE: MESSAGE line per finding (warnings say
"warning:"; with -q, errors only), or -o json. Exit 3 when anything is an error, 0 when there are
only warnings, 4 when a PATH does not exist. With no PATH, checks the rules
file alone.`,
		Example: `  crieur lint campaign/ --rules rules.yaml
  crieur lint posts.csv --channel acme-fb=webhook -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			set, err := a.rules()
			if err != nil {
				return err
			}
			nets := map[string]string{}
			if set != nil {
				for k, v := range set.Channels {
					nets[k] = v
				}
			}
			pairs, err := parsePairs("channel", channels)
			if err != nil {
				return usageErr{fmt.Errorf("--channel: expected NAME=NETWORK")}
			}
			for k, v := range pairs {
				if _, err := network(v); err != nil {
					return usageErr{fmt.Errorf("--channel %s=%s: %w", k, v, err)}
				}
				nets[k] = v
			}
			rep := lintReport{Findings: []rules.Located{}}
			if set != nil {
				rep.Rules = set.File
				rep.Findings = append(rep.Findings, lintRulesFile(set)...)
			}
			if len(args) > 0 {
				o.whole = true
				load, _, err := a.readLoadFiles(args, o)
				if err != nil {
					return err
				}
				rep.Findings = append(rep.Findings, a.lintLoad(cmd, set, nets, load, o)...)
			}
			for _, f := range rep.Findings {
				if f.Severity == calendar.SeverityError {
					rep.Errors++
				} else {
					rep.Warnings++
				}
			}
			if err := a.emit(rep, func(w io.Writer) error {
				for _, f := range rep.Findings {
					if a.quiet() && f.Severity != calendar.SeverityError {
						continue // -q: errors only
					}
					fmt.Fprintln(w, termSafe(lintLine(f)))
				}
				return nil
			}); err != nil {
				return err
			}
			summary := fmt.Sprintf("%s, %s", calendar.Count(rep.Errors, "error", "errors"), calendar.Count(rep.Warnings, "warning", "warnings"))
			if rep.Errors > 0 {
				return &calendar.ValidationError{Problems: []calendar.FieldError{{Message: "lint: " + summary}}}
			}
			if a.format() == "table" {
				rulesNote := "no rules file"
				if set != nil {
					rulesNote = "rules " + set.File
				}
				fmt.Fprintf(a.note(), "lint: %s (%s)\n", summary, rulesNote)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&channels, "channel", nil, "a channel's network, NAME=NETWORK (repeatable; also the rules file's channels: section)")
	fl.StringVar(&o.format, "format", "", "csv, yaml, json or md (default: from the extension; a folder is md)")
	fl.StringVar(&o.campaign, "campaign", "", "the campaign of posts that name none")
	fl.StringSliceVar(&o.defaultChannels, "default-channel", nil, "channels of posts that name none")
	fl.StringVar(&o.dateFormat, "date-format", "", "how a CSV's slash dates read: DD/MM/YYYY or MM/DD/YYYY (default ISO, YYYY-MM-DD)")
	fl.StringVar(&o.mediaRoot, "media-root", "", "the folder every media file must lie in (default: each file's own folder)")
	fl.IntVar(&o.maxFileMB, "max-file-size", calendar.DefaultMaxLoadFile>>20, "the largest file read, in MB")
	return cmd
}

// lintRulesFile finds what in the rules file names no network crieur
// knows: a rule on a misspelt network would never apply.
func lintRulesFile(set *rules.Set) []rules.Located {
	var out []rules.Located
	for _, name := range sortedKeys(set.Channels) {
		if _, err := network(set.Channels[name]); err != nil {
			out = append(out, rules.Located{File: set.File, Severity: calendar.SeverityError, Field: "channels." + name, Message: err.Error()})
		}
	}
	for _, r := range set.Rules {
		for _, nw := range r.When.Network {
			if _, err := network(nw); err != nil {
				out = append(out, rules.Located{File: set.File, Line: r.Line, Rule: r.Name, Severity: calendar.SeverityWarning, Field: "when.network",
					Message: fmt.Sprintf("the rule applies to network %q, which crieur does not publish to: it never applies", nw)})
			}
		}
	}
	return out
}

// lintLine is a finding as a CI log shows it: FILE:LINE: RULE: MESSAGE
// (a problem of no rule names its field).
func lintLine(f rules.Located) string {
	var b strings.Builder
	if f.File != "" {
		b.WriteString(f.File)
		if f.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Line)
		}
		b.WriteString(": ")
	}
	if f.Severity == calendar.SeverityWarning {
		b.WriteString("warning: ")
	}
	if name := calendar.FirstNonEmpty(f.Rule, f.Field); name != "" {
		b.WriteString(name + ": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// lintLoad checks files read as a load, as import would, without a
// calendar: how they read, the networks' offline rules, the editorial rules.
func (a *app) lintLoad(cmd *cobra.Command, set *rules.Set, nets map[string]string, load *calendar.LoadSet, o importOptions) []rules.Located {
	var out []rules.Located
	problem := func(sev string, fe calendar.FieldError) {
		out = append(out, rules.Located{File: fe.File, Line: fe.Line, Severity: sev, Field: fe.Field, Message: fe.Message})
	}
	for _, p := range load.Problems {
		problem(calendar.SeverityError, p)
	}
	for _, w := range load.Warnings {
		problem(calendar.SeverityWarning, w)
	}
	// Every channel the files name is known to the plan, with its network
	// when the rules file or --channel gives it.
	pl := &calendar.Plan{Channels: map[string]*calendar.Channel{}}
	unknown := map[string]bool{}
	for _, it := range load.Items {
		names := it.Channels
		if len(names) == 0 {
			names = o.defaultChannels
		}
		for _, n := range names {
			n = strings.TrimSpace(n)
			if _, ok := pl.Channels[n]; ok || n == "" {
				continue
			}
			settings := map[string]string{}
			if set != nil {
				for k, v := range set.Settings[n] {
					settings[k] = v
				}
			}
			pl.Channels[n] = &calendar.Channel{Name: n, Network: nets[n], Settings: settings, Secrets: map[string]string{}}
			if nets[n] == "" {
				unknown[n] = true
				problem(calendar.SeverityWarning, it.Problem("channels", "channel %q has no network here, so its posts are not checked against one: add it to the rules file's channels: section, or pass --channel %s=NETWORK", n, n))
			}
		}
	}
	opt := calendar.LoadOptions{Zone: a.calendarZone(), ForceZone: cmd.Flag(keyTZ).Changed, DefaultChannels: o.defaultChannels, Campaign: o.campaign, MediaRoot: o.mediaRoot}
	if opt.ForceZone {
		opt.Zone = a.zone()
	}
	check := networkCheck()
	now := a.now()
	built := pl.BuildAll(load.Items, opt, nil, now)
	// No zone given (--tz, CRIEUR_TZ, the config's tz): times without an
	// offset were read in UTC, which is said once, at the first of them.
	zoneSet := a.v.GetString(keyTZ) != "" || a.calTZ != ""
	var unzoned []int
	for i := range built {
		pp, it := &built[i], &load.Items[i]
		if pp.Post.PublishAt == nil {
			continue
		}
		at := strings.TrimSpace(it.At)
		if !zoneSet && readsByZone(at, now) {
			unzoned = append(unzoned, i)
		}
		// The load refuses a new or re-timed post in the past: lint cannot
		// tell which posts the calendar holds, so it warns.
		if pp.PastTime {
			problem(calendar.SeverityWarning, it.Problem("at", "%s is in the past (%s); pass --allow-past to load it anyway",
				at, pp.Post.PublishAt.In(opt.Zone).Format("2006-01-02 15:04 MST")))
		}
	}
	if len(unzoned) > 0 {
		it := &load.Items[unzoned[0]]
		others := ""
		if n := len(unzoned) - 1; n > 0 {
			others = " and " + calendar.Count(n, "other post", "other posts")
		}
		problem(calendar.SeverityWarning, it.Problem("at", "times without an offset (%q here%s) were read in UTC, as no zone is set: set one with --tz ZONE, CRIEUR_TZ=ZONE or tz: ZONE in the config (e.g. Europe/Paris), or write the offset (2030-01-02T09:00:00+01:00)",
			strings.TrimSpace(it.At), others))
	}
	for i := range built {
		pp := &built[i]
		for _, p := range pp.Problems {
			problem(calendar.SeverityError, p)
		}
		if len(pp.Problems) > 0 || !calendar.NetworkChecked(pp.Post.Status) {
			continue
		}
		post := pp.Post.AsPost(pp.Source())
		var camp *calendar.Campaign
		if post.Campaign != "" {
			camp = &calendar.Campaign{Name: post.Campaign}
		}
		it := &load.Items[i]
		for _, ch := range pp.Chans {
			if unknown[ch.Name] {
				continue
			}
			for _, prob := range check(*ch, &post, camp) {
				field := prob.Field
				if field == "" || field == "text" {
					field = "body"
					if _, ok := post.Variants[ch.Name]; ok {
						field = "variants." + ch.Name
					}
				}
				problem(calendar.SeverityError, it.Problem(field, "%s (%s): %s", ch.Name, ch.Network, prob.Message))
			}
		}
	}
	found, _ := set.CheckItems(rules.Items{Items: load.Items, Nets: nets, Zone: func(string) *time.Location { return opt.Zone }, DefaultChannels: o.defaultChannels, Campaign: o.campaign, Now: now})
	out = append(out, found...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out
}

// readsByZone says whether time at (as a load reads it) depends on the zone
// it is read in: it has no offset.
func readsByZone(at string, now time.Time) bool {
	far := time.FixedZone("", 5*3600+45*60)
	t1, err1 := calendar.ParseWhen(at, now, time.UTC)
	t2, err2 := calendar.ParseWhen(at, now, far)
	return err1 == nil && err2 == nil && !t1.Equal(t2)
}
