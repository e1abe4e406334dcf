package formats

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/crieur/crieur/internal/atomicfile"

	calendar "github.com/crieur/crieur/calendar"
)

// exportStatus is the status a load reads back: the post's own. A load
// folds the workflow states (review, approved, scheduled) into one, so
// loading the export into the same calendar is a no-op; into a new one a
// post in review stays in review, and an approved one is approved again only
// with --keep-approvals.
func exportStatus(p calendar.Post) string {
	return p.Status
}

// exportInstant writes an instant as exports do: UTC, milliseconds as stored.
func exportInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.999Z07:00")
}

// exportTimes is each channel's own time, for a queued post whose channels
// publish at different times.
func exportTimes(p calendar.Post) map[string]string {
	times := calendar.ChannelTimes(&p)
	if len(times) == 0 {
		return nil
	}
	out := make(map[string]string, len(times))
	for ch, t := range times {
		out[ch] = exportInstant(time.UnixMilli(t))
	}
	return out
}

// exportThread is a post's thread parts, or true when it has none but its
// author allows a thread; nil otherwise.
func exportThread(p calendar.Post) any {
	if len(p.Thread) > 0 {
		return p.Thread
	}
	if p.AutoThread {
		return true
	}
	return nil
}

func threadCell(p calendar.Post) string {
	if len(p.Thread) == 0 && p.AutoThread {
		return "true"
	}
	return strings.Join(p.Thread, threadSep)
}

func exportApproval(p calendar.Post) (by, at string) {
	if p.ApprovedAt == nil {
		return "", ""
	}
	return p.ApprovedBy, exportInstant(*p.ApprovedAt)
}

func exportAt(p calendar.Post) string {
	if p.PublishAt == nil {
		return ""
	}
	return exportInstant(*p.PublishAt)
}

// WriteCSV writes posts in crieur's CSV columns, one variant:CHANNEL column
// per channel that has a variant; thread parts are separated by a "---" line.
func WriteCSV(w io.Writer, posts []calendar.Post) error {
	variantSet := map[string]bool{}
	for _, p := range posts {
		for ch := range p.Variants {
			variantSet[ch] = true
		}
	}
	var variants []string
	for ch := range variantSet {
		variants = append(variants, ch)
	}
	sort.Strings(variants)
	// The columns of channel times, approvals and notes only when a post has some.
	var hasTimes, hasApproval, hasNotes bool
	for _, p := range posts {
		hasTimes = hasTimes || len(calendar.ChannelTimes(&p)) > 0
		hasApproval = hasApproval || p.ApprovedAt != nil
		hasNotes = hasNotes || len(p.Notes) > 0
	}
	cw := csv.NewWriter(w)
	header := []string{"slug", "at", "status", "channels", "campaign", "tags", "title", "body", "link", "excerpt", "media", "alt", "thread"}
	for _, v := range variants {
		header = append(header, "variant:"+v)
	}
	if hasTimes {
		header = append(header, "times")
	}
	if hasApproval {
		header = append(header, "approved_by", "approved_at")
	}
	if hasNotes {
		header = append(header, "notes")
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, p := range posts {
		var paths, alts []string
		for _, m := range p.Media {
			paths = append(paths, m.Path)
			alts = append(alts, m.Alt)
		}
		alt := strings.Join(alts, "|")
		if strings.Trim(alt, "|") == "" {
			alt = ""
		}
		rec := []string{p.Slug, exportAt(p), exportStatus(p), strings.Join(p.Channels, ","), p.Campaign, strings.Join(p.Tags, ","),
			p.Title, p.Body, p.Link, p.Excerpt, strings.Join(paths, "|"), alt, threadCell(p)}
		for _, v := range variants {
			rec = append(rec, p.Variants[v])
		}
		if hasTimes {
			times := exportTimes(p)
			names := make([]string, 0, len(times))
			for ch := range times {
				names = append(names, ch)
			}
			sort.Strings(names)
			for i, ch := range names {
				names[i] = ch + "=" + times[ch]
			}
			rec = append(rec, strings.Join(names, "|"))
		}
		if hasApproval {
			by, at := exportApproval(p)
			rec = append(rec, by, at)
		}
		if hasNotes {
			notes := make([]string, len(p.Notes))
			for i, n := range p.Notes {
				notes[i] = exportInstant(n.At) + " " + n.Author + ": " + n.Text
			}
			rec = append(rec, strings.Join(notes, threadSep))
		}
		for i := range rec {
			rec[i] = calendar.GuardCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func docOfExport(e calendar.Export) calendar.ExportDoc {
	d := calendar.ExportDoc{Posts: make([]calendar.ExportPost, 0, len(e.Posts))}
	for _, c := range e.Campaigns {
		ec := calendar.ExportCampaign{Name: c.Name, From: c.StartsOn, To: c.EndsOn, UTM: c.UTM, Color: c.Color}
		if len(ec.UTM) == 0 {
			ec.UTM = nil
		}
		d.Campaigns = append(d.Campaigns, ec)
	}
	for _, p := range e.Posts {
		ep := calendar.ExportPost{Slug: p.Slug, At: exportAt(p), Status: exportStatus(p), Channels: calendar.NonNilList(p.Channels), Campaign: p.Campaign,
			Tags: p.Tags, Title: p.Title, Body: p.Body, Link: p.Link, Excerpt: p.Excerpt, Thread: exportThread(p)}
		if len(p.Variants) > 0 {
			ep.Variants = p.Variants
		}
		for _, m := range p.Media {
			ep.Media = append(ep.Media, calendar.ExportMedia(m))
		}
		ep.Times = exportTimes(p)
		ep.ApprovedBy, ep.ApprovedAt = exportApproval(p)
		for _, n := range p.Notes {
			ep.Notes = append(ep.Notes, calendar.ExportNote{At: exportInstant(n.At), Author: n.Author, Text: n.Text})
		}
		d.Posts = append(d.Posts, ep)
	}
	return d
}

// WriteJSON writes the export as a JSON load document.
func WriteJSON(w io.Writer, e calendar.Export) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(docOfExport(e))
}

// WriteYAML writes the export as a YAML load document.
func WriteYAML(w io.Writer, e calendar.Export) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(docOfExport(e)); err != nil {
		return err
	}
	return enc.Close()
}

// DocumentOf is a post's fields as a front-matter document, without its
// time and status (each writer words those its own way); empty lists and
// maps are left out of the document.
func DocumentOf(p calendar.Post) Document {
	d := Document{Slug: p.Slug, Title: p.Title, Channels: p.Channels, Campaign: p.Campaign, Tags: p.Tags,
		Link: p.Link, Excerpt: p.Excerpt, Media: p.Media, Variants: p.Variants, Thread: ThreadField{Parts: p.Thread, Auto: p.AutoThread}, Body: p.Body,
		Category: p.Category, MaxRepeats: p.MaxRepeats, MinGap: calendar.GapText(p.MinGap)}
	if p.ExpiresAt != nil {
		d.Expires = p.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if len(d.Variants) == 0 {
		d.Variants = nil
	}
	if len(d.Media) == 0 {
		d.Media = nil
	}
	if len(d.Tags) == 0 {
		d.Tags = nil
	}
	return d
}

// WriteMarkdownDir writes one Markdown file per post under dir, named by its
// slug, each replaced atomically with modes (the export rule). Campaign
// definitions (dates, UTM) are not part of a Markdown folder.
func WriteMarkdownDir(dir string, posts []calendar.Post, modes atomicfile.Modes) error {
	for _, p := range posts {
		status := exportStatus(p)
		if status == calendar.StatusApproved {
			status = calendar.StatusReview // a Markdown file carries no approval: a new calendar reviews it again
		}
		d := DocumentOf(p)
		d.At, d.Status = exportAt(p), status
		path := filepath.Join(dir, filepath.FromSlash(p.Slug)+".md")
		if err := modes.MkdirAll(filepath.Dir(path)); err != nil {
			return err
		}
		if err := modes.WriteFile(path, func(w io.Writer) error { _, err := w.Write(d.Render()); return err }); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
