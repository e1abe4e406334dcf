package main

import (
	"fmt"
	"path/filepath"
	"time"

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
