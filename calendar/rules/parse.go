// Package rules reads a calendar's editorial rules (rules.yaml) and checks
// posts against them. The file's shape is part of crieur's contract:
//
//	rules:
//	  - name: disclosure
//	    severity: error            # error refuses (exit 3); warning prints
//	    when: {tag: partenariat}   # optional: tag, channel, network, campaign
//	    require_any: ["#ad", "#sponsorisé"]
//
// Each rule has exactly one kind: require_any, forbid, require_utm,
// require_alt, max_per_day, min_gap (minutes) or require_approval. Unknown
// keys and kinds are refused, naming the file, line and key: a typo in a
// rule must not turn it off silently.
package rules

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// Kinds of rule, the closed set.
const (
	KindRequireAny      = "require_any"
	KindForbid          = "forbid"
	KindRequireUTM      = "require_utm"
	KindRequireAlt      = "require_alt"
	KindMaxPerDay       = "max_per_day"
	KindMinGap          = "min_gap"
	KindRequireApproval = "require_approval"
)

var kinds = []string{KindRequireAny, KindForbid, KindRequireUTM, KindRequireAlt, KindMaxPerDay, KindMinGap, KindRequireApproval}

// When filters the posts a rule applies to: every key given must match
// (one of its values); channel and network pick the channels of the post
// the rule looks at.
type When struct {
	Tag, Channel, Network, Campaign []string
}

// Rule is one rule of the file.
type Rule struct {
	Name     string
	Severity string
	When     When
	Kind     string
	// Message, when given, is said instead of the rule's own words.
	Message string
	Words   []string // require_any, forbid
	N       int      // max_per_day: posts; min_gap: minutes
	Line    int
	words   []*regexp.Regexp
}

// Set is a rules file, read.
type Set struct {
	File  string
	Rules []Rule
	// Channels maps channel names to networks for `crieur lint`, which
	// has no calendar to ask (the channels: section).
	Channels map[string]string
	// Settings are the channels' settings the networks' offline rules
	// read (a Mastodon instance's URL, for its limits).
	Settings map[string]map[string]string
}

// Load reads the rules file at path; a file that does not exist is no
// rules (nil, nil) unless required (given with --rules).
func Load(path string, required bool) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			return nil, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, &calendar.ValidationError{Problems: []calendar.FieldError{{File: path, Message: "no such rules file"}}}
		}
		return nil, err
	}
	return Parse(data, path)
}

// Parse reads a rules file's content; file names it in problems. Every
// problem is reported, each with its line.
func Parse(data []byte, file string) (*Set, error) {
	set := &Set{File: file, Channels: map[string]string{}, Settings: map[string]map[string]string{}}
	verr := &calendar.ValidationError{}
	bad := func(n *yaml.Node, field, format string, args ...any) {
		line := 0
		if n != nil {
			line = n.Line
		}
		verr.Add(calendar.FieldError{File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			if _, after, ok := strings.Cut(err.Error(), "line "); ok {
				fmt.Sscanf(after, "%d", &line)
			}
		}
		verr.Add(calendar.FieldError{File: file, Line: line, Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")})
		return nil, verr
	}
	if len(doc.Content) == 0 {
		return set, nil // an empty file: no rules
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		bad(root, "", "expected a mapping with a rules: list")
		return nil, verr
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			if v.Kind != yaml.SequenceNode {
				bad(v, "rules", "expected a list of rules")
				continue
			}
			for j, rn := range v.Content {
				if r, ok := parseRule(rn, fmt.Sprintf("rules[%d]", j), bad); ok {
					set.Rules = append(set.Rules, r)
				}
			}
		case "channels":
			if v.Kind != yaml.MappingNode {
				bad(v, "channels", "expected channel: network pairs")
				continue
			}
			for c := 0; c+1 < len(v.Content); c += 2 {
				name, nw := v.Content[c], v.Content[c+1]
				parseChannel(set, name.Value, nw, bad)
			}
		default:
			bad(k, k.Value, "unknown key %q (a rules file has rules: and channels:)", k.Value)
		}
	}
	seen := map[string]int{}
	for _, r := range set.Rules {
		if l, dup := seen[r.Name]; dup {
			verr.Add(calendar.FieldError{File: file, Line: r.Line, Field: "name", Message: fmt.Sprintf("rule %q is already defined at line %d", r.Name, l)})
		}
		seen[r.Name] = r.Line
	}
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return set, nil
}

// parseChannel reads a channels: entry: NAME: NETWORK, or NAME: {network:
// NETWORK, settings: {KEY: VALUE}}.
func parseChannel(set *Set, name string, n *yaml.Node, bad func(*yaml.Node, string, string, ...any)) {
	at := "channels." + name
	if n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) != "" {
		set.Channels[name] = strings.TrimSpace(n.Value)
		return
	}
	if n.Kind != yaml.MappingNode {
		bad(n, at, "expected a network's name, or {network: NAME, settings: {…}}")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "network":
			if v.Kind != yaml.ScalarNode || strings.TrimSpace(v.Value) == "" {
				bad(v, at+".network", "expected a network's name")
				continue
			}
			set.Channels[name] = strings.TrimSpace(v.Value)
		case "settings":
			m := map[string]string{}
			if v.Kind != yaml.MappingNode || v.Decode(&m) != nil {
				bad(v, at+".settings", "expected KEY: VALUE settings")
				continue
			}
			set.Settings[name] = m
		default:
			bad(k, at+"."+k.Value, "unknown key %q (a channel has network and settings)", k.Value)
		}
	}
	if set.Channels[name] == "" {
		bad(n, at+".network", "channel %s has no network", name)
	}
}

func parseRule(n *yaml.Node, at string, bad func(*yaml.Node, string, string, ...any)) (Rule, bool) {
	r := Rule{Line: n.Line, Severity: calendar.SeverityError}
	if n.Kind != yaml.MappingNode {
		bad(n, at, "expected a rule (name, severity, when and one kind: %s)", strings.Join(kinds, ", "))
		return r, false
	}
	ok := true
	fail := func(node *yaml.Node, field, format string, args ...any) {
		bad(node, at+"."+field, format, args...)
		ok = false
	}
	var kindNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			r.Name = strings.TrimSpace(v.Value)
			if v.Kind != yaml.ScalarNode || r.Name == "" {
				fail(v, "name", "expected the rule's name")
			}
		case "severity":
			switch v.Value {
			case calendar.SeverityError, calendar.SeverityWarning:
				r.Severity = v.Value
			default:
				fail(v, "severity", "%q: use error or warning", v.Value)
			}
		case "message":
			r.Message = strings.TrimSpace(v.Value)
		case "when":
			if !parseWhen(v, &r.When, at+".when", bad) {
				ok = false
			}
		case KindRequireAny, KindForbid, KindRequireUTM, KindRequireAlt, KindMaxPerDay, KindMinGap, KindRequireApproval:
			if kindNode != nil {
				fail(k, k.Value, "a rule has one kind: this one has %s (line %d) and %s; write two rules", r.Kind, kindNode.Line, k.Value)
				continue
			}
			r.Kind, kindNode = k.Value, k
			switch k.Value {
			case KindRequireAny, KindForbid:
				words, good := strings1(v)
				if !good || len(words) == 0 {
					fail(v, k.Value, "expected a list of words or phrases")
				}
				r.Words = words
			case KindRequireUTM, KindRequireAlt, KindRequireApproval:
				if v.Kind != yaml.ScalarNode || v.Value != "true" {
					fail(v, k.Value, "expected true (leave the rule out to turn it off)")
				}
			case KindMaxPerDay, KindMinGap:
				var n int
				if v.Kind != yaml.ScalarNode || v.Decode(&n) != nil || n < 1 {
					unit := "posts a day"
					if k.Value == KindMinGap {
						unit = "minutes"
					}
					fail(v, k.Value, "expected a whole number of %s, at least 1", unit)
				}
				r.N = n
			}
		default:
			fail(k, k.Value, "unknown key %q%s (a rule has name, severity, when, message and one of %s)", k.Value, near(k.Value), strings.Join(kinds, ", "))
		}
	}
	if r.Name == "" {
		fail(n, "name", "the rule has no name (it is shown in every message)")
	}
	if r.Kind == "" {
		fail(n, "kind", "the rule has no kind: give one of %s", strings.Join(kinds, ", "))
	}
	if r.Kind == KindRequireApproval && len(r.When.Tag)+len(r.When.Campaign) == 0 {
		fail(kindNode, r.Kind, "require_approval needs a when: {tag: …} or {campaign: …} (a channel's own approval is `crieur channel edit NAME --require-approval`)")
	}
	for _, w := range r.Words {
		r.words = append(r.words, wordPattern(w))
	}
	return r, ok
}

// near suggests the kind a misspelt key is close to, or the rule's key
// one or two letters away from it (requir_any, severty).
func near(key string) string {
	for _, k := range kinds {
		if strings.Contains(k, key) || strings.Contains(key, k) || strings.ReplaceAll(key, "-", "_") == k {
			return fmt.Sprintf("; did you mean %s?", k)
		}
	}
	if len(key) < 4 {
		return ""
	}
	for _, k := range append([]string{"name", "severity", "when", "message"}, kinds...) {
		if suggest.Distance(key, k) <= 2 {
			return fmt.Sprintf("; did you mean %s?", k)
		}
	}
	return ""
}

func parseWhen(n *yaml.Node, w *When, at string, bad func(*yaml.Node, string, string, ...any)) bool {
	if n.Kind != yaml.MappingNode {
		bad(n, at, "expected a mapping of tag, channel, network, campaign")
		return false
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		vals, good := strings1(v)
		if !good || len(vals) == 0 {
			bad(v, at+"."+k.Value, "expected a name or a list of names")
			ok = false
			continue
		}
		switch k.Value {
		case "tag":
			w.Tag = vals
		case "channel":
			w.Channel = vals
		case "network":
			w.Network = vals
		case "campaign":
			w.Campaign = vals
		default:
			bad(k, at+"."+k.Value, "unknown filter %q (use tag, channel, network or campaign)", k.Value)
			ok = false
		}
	}
	return ok
}

// strings1 reads a scalar or a list of scalars.
func strings1(n *yaml.Node) ([]string, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		if s := strings.TrimSpace(n.Value); s != "" {
			return []string{s}, true
		}
		return nil, true
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, false
			}
			if s := strings.TrimSpace(c.Value); s != "" {
				out = append(out, s)
			}
		}
		return out, true
	}
	return nil, false
}

// wordPattern matches w in any case; where w starts or ends with a letter
// or digit, only as a whole word there ("ad" is not in "adorable").
func wordPattern(w string) *regexp.Regexp {
	q := strings.Join(strings.Fields(regexp.QuoteMeta(w)), `\s+`)
	rs := []rune(w)
	if isWord(rs[0]) {
		q = `(?:^|[^\p{L}\p{N}_])` + q
	}
	if isWord(rs[len(rs)-1]) {
		q += `(?:$|[^\p{L}\p{N}_])`
	}
	return regexp.MustCompile(`(?i)` + q)
}
