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

// Write writes entries as one VCALENDAR. now is the DTSTAMP: when the feed
// was made. Each event's UID depends only on its delivery, so importing the
// feed again updates events instead of duplicating them; SEQUENCE follows the
// post's version.
func Write(w io.Writer, entries []calendar.Entry, now time.Time) error {
	lw := &lineWriter{w: w}
	lw.line("BEGIN:VCALENDAR")
	lw.line("VERSION:2.0")
	lw.line("PRODID:-//crieur//editorial calendar//EN")
	lw.line("CALSCALE:GREGORIAN")
	lw.line("METHOD:PUBLISH")
	lw.line("X-WR-CALNAME:crieur")
	for _, e := range entries {
		lw.line("BEGIN:VEVENT")
		lw.line("UID:" + UID(e))
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
		if e.RemoteURL != "" {
			lw.line("URL:" + e.RemoteURL)
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

// UID is an entry's stable identifier: delivery-<id>@crieur.
func UID(e calendar.Entry) string { return fmt.Sprintf("delivery-%d@crieur", e.DeliveryID) }

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

// escape escapes a TEXT value (RFC 5545 §3.3.11).
func escape(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
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
func WriteFile(ctx context.Context, st *calendar.Store, path string, f calendar.ViewFilter, m atomicfile.Modes) error {
	f.WithBody = true
	entries, err := st.Entries(ctx, f)
	if err != nil {
		return err
	}
	return m.WriteFile(path, func(w io.Writer) error { return Write(w, entries, st.Now()) })
}
