package calendar

import (
	"strings"
)

// Export is what an export writes.
type Export struct {
	Campaigns []Campaign
	Posts     []Post
}

// A spreadsheet opening a CSV runs a cell that starts with = + - @ (or a
// tab or CR before one) as a formula: an export neutralises such cells by
// putting a single quote before them, as OWASP advises, and ReadCSV takes
// that quote off again. So that a text really starting with quotes and one
// of those characters survives too, the rule counts the quotes: a cell made
// of quotes then a formula character gets one more quote on the way out and
// loses one on the way in; any other cell is written and read as it is.
func GuardCell(s string) string {
	if needsGuard(s, 0) {
		return "'" + s
	}
	return s
}

// UnguardCell undoes guardCell.
func UnguardCell(s string) string {
	if needsGuard(s, 1) {
		return s[1:]
	}
	return s
}

// needsGuard says whether s is at least quotes single quotes followed by a
// character a spreadsheet reads as the start of a formula.
func needsGuard(s string, quotes int) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	return i >= quotes && i < len(s) && strings.IndexByte("=+-@\t\r", s[i]) >= 0
}

type ExportCampaign struct {
	Name  string            `json:"name" yaml:"name"`
	From  string            `json:"from,omitempty" yaml:"from,omitempty"`
	To    string            `json:"to,omitempty" yaml:"to,omitempty"`
	UTM   map[string]string `json:"utm,omitempty" yaml:"utm,omitempty"`
	Color string            `json:"color,omitempty" yaml:"color,omitempty"`
}

type ExportMedia struct {
	Path string `json:"path" yaml:"path"`
	Alt  string `json:"alt,omitempty" yaml:"alt,omitempty"`
}

type ExportNote struct {
	At     string `json:"at" yaml:"at"`
	Author string `json:"author,omitempty" yaml:"author,omitempty"`
	Text   string `json:"text" yaml:"text"`
}

type ExportPost struct {
	Slug     string            `json:"slug" yaml:"slug"`
	At       string            `json:"at,omitempty" yaml:"at,omitempty"`
	Status   string            `json:"status" yaml:"status"`
	Channels []string          `json:"channels" yaml:"channels,flow"`
	Campaign string            `json:"campaign,omitempty" yaml:"campaign,omitempty"`
	Tags     []string          `json:"tags,omitempty" yaml:"tags,omitempty,flow"`
	Title    string            `json:"title,omitempty" yaml:"title,omitempty"`
	Body     string            `json:"body,omitempty" yaml:"body,omitempty"`
	Link     string            `json:"link,omitempty" yaml:"link,omitempty"`
	Excerpt  string            `json:"excerpt,omitempty" yaml:"excerpt,omitempty"`
	Media    []ExportMedia     `json:"media,omitempty" yaml:"media,omitempty"`
	Variants map[string]string `json:"variants,omitempty" yaml:"variants,omitempty"`
	// Thread is the explicit parts, or true when the author allows an
	// over-long text to become a thread.
	Thread any `json:"thread,omitempty" yaml:"thread,omitempty"`
	// Times are the channels' own times (a queued post's slots).
	Times      map[string]string `json:"times,omitempty" yaml:"times,omitempty"`
	ApprovedBy string            `json:"approved_by,omitempty" yaml:"approved_by,omitempty"`
	ApprovedAt string            `json:"approved_at,omitempty" yaml:"approved_at,omitempty"`
	Notes      []ExportNote      `json:"notes,omitempty" yaml:"notes,omitempty"`
}

type ExportDoc struct {
	Campaigns []ExportCampaign `json:"campaigns,omitempty" yaml:"campaigns,omitempty"`
	Posts     []ExportPost     `json:"posts" yaml:"posts"`
}
