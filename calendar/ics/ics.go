// Package ics writes a calendar's deliveries as an RFC 5545 iCalendar feed,
// one VEVENT per delivery, so a team can subscribe to its editorial calendar
// in any calendar application.
package ics

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/atomicfile"
)

const stamp = "20060102T150405Z"

// Write writes entries as one VCALENDAR. calID is the calendar's identifier
// (Store.CalendarID); now is the DTSTAMP: when the feed was made. Each
// event's UID depends only on its delivery and calendar, so importing the
// feed again updates events instead of duplicating them, and two calendars
// never share a UID; SEQUENCE follows the post's version. Every TEXT value is
// escaped and a URL that is not a plain http(s) address is left out, so no
// value can end its line and add properties or events.
func Write(w io.Writer, calID string, entries []calendar.Entry, now time.Time) error {
	lw := &lineWriter{w: w}
	lw.line("BEGIN:VCALENDAR")
	lw.line("VERSION:2.0")
	lw.line("PRODID:-//crieur//editorial calendar//EN")
	lw.line("CALSCALE:GREGORIAN")
	lw.line("METHOD:PUBLISH")
	lw.line("X-WR-CALNAME:crieur")
	for _, e := range entries {
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + escape(UID(e, calID)))
		lw.line("DTSTAMP:" + now.UTC().Format(stamp))
		lw.line("DTSTART:" + e.At.UTC().Format(stamp))
		lw.line("DURATION:PT15M")
		lw.line(fmt.Sprintf("SEQUENCE:%d", max(0, e.Version-1)))
		if !e.UpdatedAt.IsZero() {
			lw.line("LAST-MODIFIED:" + e.UpdatedAt.UTC().Format(stamp))
		}
		lw.line("SUMMARY:" + escape("["+e.Channel+"] "+e.Label))
		if desc := description(e); desc != "" {
			lw.line("DESCRIPTION:" + escape(desc))
		}
		if u, ok := URI(e.RemoteURL); ok {
			lw.line("URL:" + u)
		}
		if e.Campaign != "" {
			lw.line("CATEGORIES:" + escape(e.Campaign))
		}
		lw.line("STATUS:" + Status(e))
		lw.line("X-CRIEUR-SLUG:" + escape(e.Slug))
		lw.line("X-CRIEUR-STATE:" + escape(e.Status))
		lw.line("END:VEVENT")
	}
	lw.line("END:VCALENDAR")
	return lw.err
}

// UID is an entry's stable, globally unique identifier:
// delivery-<id>-<calendar id>@crieur.
func UID(e calendar.Entry, calID string) string {
	return fmt.Sprintf("delivery-%d-%s@crieur", e.DeliveryID, calID)
}

// URI returns s as an iCalendar URI value when it is a plain http(s) URL
// (calendar.WebURL: no control character, space or quote); ok is false
// otherwise, and the URL is left out.
func URI(s string) (string, bool) {
	if !calendar.WebURL(s) {
		return "", false
	}
	return s, true
}

// Status maps a delivery (and its post) to VEVENT STATUS: what is settled is
// CONFIRMED, what still waits for a decision TENTATIVE, what will not happen
// CANCELLED.
func Status(e calendar.Entry) string {
	switch {
	case e.Status == calendar.DeliveryCanceled || e.PostStatus == calendar.StatusCanceled:
		return "CANCELLED"
	case e.Status == calendar.DeliveryPublished, e.PostStatus == calendar.StatusScheduled:
		return "CONFIRMED"
	}
	return "TENTATIVE"
}

func description(e calendar.Entry) string {
	var parts []string
	if e.Body != "" {
		parts = append(parts, e.Body)
	}
	parts = append(parts, fmt.Sprintf("%s on %s (%s) — %s", e.Slug, e.Channel, e.Network, e.Status))
	return strings.Join(parts, "\n\n")
}

// escape escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon,
// comma and line breaks are escaped; other control characters, which a
// value may not hold, are dropped.
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if (r < ' ' && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return -1
		}
		return r
	}, s)
	r := strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", `\n`)
	return r.Replace(s)
}

// lineWriter ends content lines with CRLF and folds them at 75 octets,
// never inside a UTF-8 sequence (RFC 5545 §3.1).
type lineWriter struct {
	w   io.Writer
	err error
}

func (l *lineWriter) line(s string) {
	if l.err != nil {
		return
	}
	var b strings.Builder
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	_, l.err = io.WriteString(l.w, b.String())
}

// WriteFile writes the feed of the entries the filter selects to path,
// atomically: a temporary file beside it, then a rename, so a calendar
// application polling the file never reads half of it; the file gets m.File
// (the export rule: shared unless --private). The daemon calls it after each
// change (its --ics flag).
// Source is what the feed reads of a calendar.
type Source interface {
	Entries(ctx context.Context, f calendar.ViewFilter) ([]calendar.Entry, error)
	CalendarID(ctx context.Context) (string, error)
	// Clock is the time the feed is stamped with.
	Clock() time.Time
}

func WriteFile(ctx context.Context, st Source, path string, f calendar.ViewFilter, m atomicfile.Modes) error {
	f.WithBody = true
	entries, err := st.Entries(ctx, f)
	if err != nil {
		return err
	}
	calID, err := st.CalendarID(ctx)
	if err != nil {
		return err
	}
	return m.WriteFile(path, func(w io.Writer) error { return Write(w, calID, entries, st.Clock()) })
}
