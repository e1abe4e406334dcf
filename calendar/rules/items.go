package rules

import (
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
)

// Located is a finding about a post of a file, where the file says it.
type Located struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Slug     string `json:"slug,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Severity string `json:"severity"`
	Field    string `json:"field,omitempty"`
	Message  string `json:"message"`
}

// FieldError is the finding as a load's problem (file:line: field: rule
// NAME: message).
func (l Located) FieldError() calendar.FieldError {
	return calendar.FieldError{File: l.File, Line: l.Line, Field: l.Field, Message: calendar.Finding{Rule: l.Rule, Message: l.Message}.Text()}
}

// Items says where the posts of a load or a campaign's files are placed
// and what they say, for CheckItems.
type Items struct {
	Items []calendar.LoadItem
	// Nets gives each channel's network; Zone its zone (nil: UTC), in
	// which the files' local times are read and days counted.
	Nets map[string]string
	Zone func(channel string) *time.Location
	// Calendar, when set, gives the posts outside the files (the
	// calendar's) due in [from, to]; those the files hold are left out.
	Calendar func(from, to time.Time) ([]calendar.Placement, error)
	// DefaultChannels and Campaign are those of items that name none.
	DefaultChannels []string
	Campaign        string
	Now             time.Time
}

// CheckItems holds the files' posts that go out (not drafts, not canceled)
// to the rules, each among the others and the calendar's posts. A post
// whose time cannot be read is left to the load, which says why.
func (s *Set) CheckItems(in Items) ([]Located, error) {
	if s == nil {
		return nil, nil
	}
	zone := func(ch string) *time.Location {
		if in.Zone != nil {
			if z := in.Zone(ch); z != nil {
				return z
			}
		}
		return time.UTC
	}
	type entry struct {
		it   *calendar.LoadItem
		post calendar.Post
		mine []calendar.Placement
	}
	var posts []entry
	var others []calendar.Placement
	var from, to time.Time
	slugs := map[string]bool{}
	for i := range in.Items {
		it := &in.Items[i]
		p := calendar.Post{Slug: it.Slug, Title: it.Title, Body: it.Body, Link: it.Link, Excerpt: it.Excerpt,
			Campaign: calendar.FirstNonEmpty(it.Campaign, in.Campaign), Tags: it.Tags, Channels: it.Channels,
			Variants: it.Variants, Media: it.Media, Thread: it.Thread}
		if len(p.Channels) == 0 {
			p.Channels = in.DefaultChannels
		}
		if p.Slug == "" {
			p.Slug = calendar.DefaultSlug(it.File, it.Row)
		}
		calendar.NormalizePost(&p)
		first := time.UTC
		if len(p.Channels) > 0 {
			first = zone(p.Channels[0])
		}
		if at := strings.TrimSpace(it.At); at != "" {
			t, err := calendar.ParseWhen(at, in.Now, first)
			if err != nil {
				continue
			}
			p.PublishAt = &t
		}
		p.Status = calendar.InitialStatus(calendar.StatusWord(it.Status), p.PublishAt)
		switch p.Status {
		case calendar.StatusScheduled, calendar.StatusReview, calendar.StatusApproved:
		default:
			continue
		}
		e := entry{it: it, post: p}
		for _, ch := range p.Channels {
			at := p.PublishAt
			if w := strings.TrimSpace(it.Times[ch]); w != "" {
				if t, err := calendar.ParseWhen(w, in.Now, zone(ch)); err == nil {
					at = &t
				}
			}
			if at != nil {
				e.mine = append(e.mine, calendar.Placement{Slug: p.Slug, Channel: ch, At: *at, Tags: p.Tags, Campaign: p.Campaign})
			}
		}
		for _, pl := range e.mine {
			if from.IsZero() || pl.At.Before(from) {
				from = pl.At
			}
			if pl.At.After(to) {
				to = pl.At
			}
		}
		slugs[p.Slug] = true
		others = append(others, e.mine...)
		posts = append(posts, e)
	}
	if in.Calendar != nil && !from.IsZero() {
		cal, err := in.Calendar(from, to)
		if err != nil {
			return nil, err
		}
		for _, pl := range cal {
			if !slugs[pl.Slug] {
				others = append(others, pl)
			}
		}
	}
	var out []Located
	for _, e := range posts {
		for _, f := range s.Check(&e.post, in.Nets, e.mine, others, zone) {
			fe := e.it.Problem(f.Field, "%s", f.Message)
			out = append(out, Located{File: fe.File, Line: fe.Line, Slug: e.post.Slug, Rule: f.Rule, Severity: f.Severity, Field: fe.Field, Message: f.Message})
		}
	}
	return out, nil
}
