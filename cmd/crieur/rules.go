package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/rules"
)

// actor is who the person at the keyboard is, for the history, a post's
// author and its approver: config user (CRIEUR_USER), else the older
// author key (CRIEUR_AUTHOR), else "" (the OS user, the store's default).
func (a *app) actor() string {
	if u := a.v.GetString(keyUser); u != "" {
		return u
	}
	return a.v.GetString(keyAuthor)
}

// rulesPath is the editorial rules file: --rules (config rules, env
// CRIEUR_RULES), which must exist, else rules.yaml beside the config file,
// which may not.
func (a *app) rulesPath() (string, bool) {
	if p := a.v.GetString(keyRules); p != "" {
		return p, true
	}
	dir := filepath.Dir(a.configPath)
	if a.configPath == "" {
		dir = configDir()
	}
	return filepath.Join(dir, "rules.yaml"), false
}

// rules reads the editorial rules once; nil when there is no rules file.
func (a *app) rules() (*rules.Set, error) {
	if !a.rulesRead {
		a.rulesRead = true
		path, required := a.rulesPath()
		a.ruleSet, a.ruleErr = rules.Load(path, required)
	}
	return a.ruleSet, a.ruleErr
}

// ruleWarning prints a rule's warning about a post, once, on stderr
// (unless -q): the command goes on.
func (a *app) ruleWarning(slug string, f calendar.Finding) {
	if a.muteRuleWarnings {
		return
	}
	key := slug + "\x00" + f.Rule + "\x00" + f.Field + "\x00" + f.Message
	if a.warnedRule[key] {
		return
	}
	if a.warnedRule == nil {
		a.warnedRule = map[string]bool{}
	}
	a.warnedRule[key] = true
	a.warnf("post %s: %s", termSafe(slug), termSafe(f.Text()))
}

// brokenRules stands for a rules file that cannot be read: every post
// written to go out is refused with the file's problem, while commands
// that write no post (list, show, status) still work.
type brokenRules struct{ err error }

func (b brokenRules) Check(*calendar.Post, map[string]string, []calendar.Placement, []calendar.Placement, func(string) *time.Location) []calendar.Finding {
	return []calendar.Finding{{Severity: calendar.SeverityError, Field: "rules", Message: fmt.Sprintf("the editorial rules cannot be read, so no post goes out until they are fixed: %s", userText(b.err))}}
}
func (brokenRules) NeedsApproval(*calendar.Post, map[string]string) string { return "" }
func (brokenRules) Window() time.Duration                                  { return 0 }

// checkLoadRules holds a load's posts to the editorial rules before it
// runs, among the calendar's posts: what they refuse becomes the load's
// problems (with FILE:LINE, reported with every other problem, nothing
// written), what they warn of its warnings. The store's own check of the
// posts it then writes stays, silent (its warnings are these).
func (a *app) checkLoadRules(cmd *cobra.Command, st calendar.Store, set *rules.Set, load *calendar.LoadSet, o importOptions) error {
	if load == nil {
		return nil
	}
	chans, err := st.Channels(a.ctx)
	if err != nil {
		return err
	}
	nets := map[string]string{}
	zones := map[string]*time.Location{}
	for _, c := range chans {
		nets[c.Name] = c.Network
		zones[c.Name] = st.SlotZone(c)
	}
	forced := cmd.Flag(keyTZ).Changed
	zone := func(ch string) *time.Location {
		if forced {
			return a.zone()
		}
		if z, ok := zones[ch]; ok {
			return z
		}
		return a.calendarZone()
	}
	in := rules.Items{Items: load.Items, Nets: nets, Zone: zone, DefaultChannels: o.defaultChannels, Campaign: o.campaign, Now: a.now()}
	if w := set.Window(); w > 0 {
		in.Calendar = func(from, to time.Time) ([]calendar.Placement, error) {
			return calendarPlacements(a, st, from.Add(-w), to.Add(w))
		}
	}
	found, err := set.CheckItems(in)
	if err != nil {
		return err
	}
	for _, f := range found {
		if f.Severity == calendar.SeverityError {
			load.Problems = append(load.Problems, f.FieldError())
		} else {
			load.Warnings = append(load.Warnings, f.FieldError())
		}
	}
	a.muteRuleWarnings = true
	return nil
}

// calendarPlacements are the calendar's posts on their way out, or out,
// due in [from, to), as the calendar rules count them.
func calendarPlacements(a *app, st calendar.Store, from, to time.Time) ([]calendar.Placement, error) {
	// A queued post's deliveries have their own times: a day more either side.
	from, to = from.Add(-24*time.Hour), to.Add(24*time.Hour)
	posts, err := st.Posts(a.ctx, calendar.PostFilter{From: &from, To: &to, Light: true,
		Status: []string{calendar.StatusScheduled, calendar.StatusReview, calendar.StatusApproved, calendar.StatusPublished, calendar.StatusPartial}})
	if err != nil {
		return nil, err
	}
	var out []calendar.Placement
	for _, p := range posts {
		for _, d := range p.Deliveries {
			switch d.Status {
			case calendar.DeliveryPending, calendar.DeliveryPublishing, calendar.DeliveryPublished:
			default:
				continue
			}
			if d.DueAt != nil {
				out = append(out, calendar.Placement{Slug: p.Slug, Channel: d.Channel, At: *d.DueAt, Tags: p.Tags, Campaign: p.Campaign})
			}
		}
	}
	return out, nil
}
