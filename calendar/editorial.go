package calendar

import (
	"fmt"
	"time"
)

// Editorial rules (rules.yaml) are the brand's own: what every post that
// goes out must say or must not say, how often a channel posts. The rules
// themselves are calendar/rules; a store applies them, through
// EditorialRules, wherever a post is written to go out (post new, post
// edit, $EDITOR, post schedule), so that no command can skip them.

// Rule severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Finding is what one editorial rule says of a post.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Field is the post's field at fault: body, title, link, media[0],
	// variants.CHANNEL, at, tags.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Text is the finding as a person reads it: "rule NAME: message".
// A finding of no rule (a rules file that cannot be read) is its message.
func (f Finding) Text() string {
	if f.Rule == "" {
		return f.Message
	}
	return fmt.Sprintf("rule %s: %s", f.Rule, f.Message)
}

// Placement is a post's time on one channel, what the calendar rules (at
// most N a day, at least M minutes apart) count.
type Placement struct {
	Slug     string
	Channel  string
	At       time.Time
	Tags     []string
	Campaign string
}

// EditorialRules are the rules a store applies to every post it writes to
// go out (see NetworkChecked).
type EditorialRules interface {
	// Check lists what the rules find in p, a post on channels whose
	// networks nets gives (channel → network), placed at mine on them,
	// among others (other posts on the same channels, around the same
	// time). zone gives a channel's zone, in which its days are counted.
	Check(p *Post, nets map[string]string, mine, others []Placement, zone func(channel string) *time.Location) []Finding
	// NeedsApproval names the first rule that wants p approved before it
	// goes out (require_approval), or "".
	NeedsApproval(p *Post, nets map[string]string) string
	// Window is how far around a post's time the other posts matter to
	// the calendar rules (0: none of the rules counts other posts).
	Window() time.Duration
}

// RuleErrors is the refusal the error findings make (exit 3, nothing
// written), nil when there is none.
func RuleErrors(fs []Finding) error {
	verr := &ValidationError{}
	for _, f := range fs {
		if f.Severity == SeverityError {
			verr.Add(FieldError{Field: f.Field, Message: f.Text()})
		}
	}
	return verr.Err()
}
