package rules

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/crieur/crieur/calendar"
)

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// Check lists what the rules find in p (see calendar.EditorialRules).
func (s *Set) Check(p *calendar.Post, nets map[string]string, mine, others []calendar.Placement, zone func(string) *time.Location) []calendar.Finding {
	if s == nil {
		return nil
	}
	var out []calendar.Finding
	seen := map[string]bool{}
	add := func(r *Rule, field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if r.Message != "" {
			msg = r.Message
		}
		key := r.Name + "\x00" + field + "\x00" + msg
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, calendar.Finding{Rule: r.Name, Severity: r.Severity, Field: field, Message: msg})
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		chans, ok := r.applies(p, nets)
		if !ok {
			continue
		}
		switch r.Kind {
		case KindRequireAny, KindForbid:
			for _, t := range texts(p, chans) {
				switch r.Kind {
				case KindRequireAny:
					if !slices.ContainsFunc(r.words, func(re *regexp.Regexp) bool { return re.MatchString(t.text) }) {
						add(r, t.field, "%s must say one of: %s", r.what(), quoteList(r.Words))
					}
				case KindForbid:
					for j, re := range r.words {
						if re.MatchString(t.text) {
							add(r, t.field, "%s says %q, which is not allowed", r.what(), r.Words[j])
						}
					}
				}
			}
		case KindRequireUTM:
			if p.Campaign != "" {
				continue // crieur tags its links with the campaign's UTM parameters
			}
			for _, l := range links(p, chans) {
				if !hasUTM(l.url) {
					add(r, l.field, "link %s carries no utm_ parameter (add them, or put the post in a campaign, whose UTM crieur adds)", l.url)
				}
			}
		case KindRequireAlt:
			for j, m := range p.Media {
				if strings.TrimSpace(m.Alt) == "" && isImage(m.Path) {
					add(r, fmt.Sprintf("media[%d]", j), "image %s has no alt text (describe it for people who cannot see it)", baseName(m.Path))
				}
			}
		case KindMaxPerDay, KindMinGap:
			for _, pl := range mine {
				if !slices.Contains(chans, pl.Channel) {
					continue
				}
				loc := time.UTC
				if zone != nil {
					if z := zone(pl.Channel); z != nil {
						loc = z
					}
				}
				var near []calendar.Placement
				for _, o := range others {
					if o.Channel == pl.Channel && o.Slug != p.Slug && r.counts(o, nets) {
						near = append(near, o)
					}
				}
				if r.Kind == KindMaxPerDay {
					y, m, d := pl.At.In(loc).Date()
					var same []string
					for _, o := range near {
						if oy, om, od := o.At.In(loc).Date(); oy == y && om == m && od == d {
							same = append(same, o.Slug)
						}
					}
					if len(same)+1 > r.N {
						sort.Strings(same)
						add(r, "at", "%s would have %d posts on %s (%s; at most %d a day; already: %s)", pl.Channel, len(same)+1, pl.At.In(loc).Format("2006-01-02"), loc, r.N, strings.Join(same, ", "))
					}
					continue
				}
				gap := time.Duration(r.N) * time.Minute
				for _, o := range near {
					if d := o.At.Sub(pl.At); d < gap && d > -gap {
						add(r, "at", "%s at %s is %s from %s on %s (at least %d minutes apart)", p.Slug, pl.At.In(loc).Format("2006-01-02 15:04 MST"), minutes(d), o.Slug, pl.Channel, r.N)
					}
				}
			}
		}
	}
	return out
}

// Window is how far around a post the calendar rules look: a day either
// side (days are counted in the channel's zone) and the largest gap.
func (s *Set) Window() time.Duration {
	if s == nil {
		return 0
	}
	var w time.Duration
	for _, r := range s.Rules {
		switch r.Kind {
		case KindMaxPerDay:
			w = max(w, 50*time.Hour)
		case KindMinGap:
			w = max(w, time.Duration(r.N)*time.Minute)
		}
	}
	return w
}

// NeedsApproval names the first require_approval rule p falls under.
func (s *Set) NeedsApproval(p *calendar.Post, nets map[string]string) string {
	if s == nil {
		return ""
	}
	for i := range s.Rules {
		r := &s.Rules[i]
		if r.Kind != KindRequireApproval {
			continue
		}
		if _, ok := r.applies(p, nets); ok {
			return r.Name
		}
	}
	return ""
}

// applies says whether r looks at p, and on which of its channels.
func (r *Rule) applies(p *calendar.Post, nets map[string]string) ([]string, bool) {
	w := r.When
	if len(w.Tag) > 0 && !anyFold(p.Tags, w.Tag) {
		return nil, false
	}
	if len(w.Campaign) > 0 && !anyFold([]string{p.Campaign}, w.Campaign) {
		return nil, false
	}
	var chans []string
	for _, c := range p.Channels {
		if len(w.Channel) > 0 && !anyFold([]string{c}, w.Channel) {
			continue
		}
		if len(w.Network) > 0 && !anyFold([]string{nets[c]}, w.Network) {
			continue
		}
		chans = append(chans, c)
	}
	if len(chans) == 0 && (len(w.Channel) > 0 || len(w.Network) > 0) {
		return nil, false
	}
	return chans, true
}

// counts says whether another post o counts for a calendar rule: it passes
// the rule's tag and campaign filters too (a rule on contests counts
// contests).
func (r *Rule) counts(o calendar.Placement, nets map[string]string) bool {
	p := calendar.Post{Tags: o.Tags, Campaign: o.Campaign, Channels: []string{o.Channel}}
	_, ok := r.applies(&p, nets)
	return ok
}

// what names the posts a rule is about, for its messages.
func (r *Rule) what() string {
	var parts []string
	if len(r.When.Tag) > 0 {
		parts = append(parts, "tagged "+strings.Join(r.When.Tag, " or "))
	}
	if len(r.When.Campaign) > 0 {
		parts = append(parts, "in campaign "+strings.Join(r.When.Campaign, " or "))
	}
	if len(r.When.Network) > 0 {
		parts = append(parts, "on "+strings.Join(r.When.Network, " or "))
	}
	if len(r.When.Channel) > 0 {
		parts = append(parts, "on channel "+strings.Join(r.When.Channel, " or "))
	}
	if len(parts) == 0 {
		return "a post"
	}
	return "a post " + strings.Join(parts, ", ")
}

func anyFold(have, want []string) bool {
	for _, h := range have {
		for _, w := range want {
			if strings.EqualFold(strings.TrimPrefix(h, "#"), strings.TrimPrefix(w, "#")) {
				return true
			}
		}
	}
	return false
}

type fieldText struct{ field, text string }

// texts is what p says on chans: title, excerpt, body (or the channel's
// variant) and thread parts; on no channel, its body.
func texts(p *calendar.Post, chans []string) []fieldText {
	common := strings.Join(append([]string{p.Title, p.Excerpt}, p.Thread...), "\n")
	var out []fieldText
	bodyDone := false
	for _, c := range chans {
		if v, ok := p.Variants[c]; ok {
			out = append(out, fieldText{"variants." + c, common + "\n" + v})
			continue
		}
		if !bodyDone {
			bodyDone = true
			out = append(out, fieldText{"body", common + "\n" + p.Body})
		}
	}
	if len(chans) == 0 {
		out = append(out, fieldText{"body", common + "\n" + p.Body})
	}
	return out
}

type fieldLink struct{ field, url string }

// urlPattern is compiled on first use: every command pays for what
// packages build when the program starts.
var urlPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s<>"')\]]+`) })

// links are p's link and the web addresses its texts on chans hold.
func links(p *calendar.Post, chans []string) []fieldLink {
	var out []fieldLink
	if p.Link != "" {
		out = append(out, fieldLink{"link", p.Link})
	}
	for _, t := range texts(p, chans) {
		for _, u := range urlPattern().FindAllString(t.text, -1) {
			out = append(out, fieldLink{t.field, strings.TrimRight(u, ".,;:!?")})
		}
	}
	return out
}

func hasUTM(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	for k := range u.Query() {
		if strings.HasPrefix(strings.ToLower(k), "utm_") {
			return true
		}
	}
	return false
}

// isImage says whether a medium is an image (by its name): a video or a
// document carries no alt text on most networks.
func isImage(path string) bool {
	ext := strings.ToLower(path)
	if i := strings.IndexAny(ext, "?#"); i >= 0 && strings.Contains(ext, "://") {
		ext = ext[:i]
	}
	for _, e := range []string{".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".bmp", ".tif", ".tiff"} {
		if strings.HasSuffix(ext, e) {
			return true
		}
	}
	return false
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func quoteList(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}

func minutes(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	return calendar.Count(int(d/time.Minute), "minute", "minutes")
}
