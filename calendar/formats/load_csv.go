package formats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	calendar "github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
)

// Date formats a CSV's dates may use besides ISO (YYYY-MM-DD).
const (
	DateISO = "ISO"
	DateDMY = "DD/MM/YYYY"
	DateMDY = "MM/DD/YYYY"
)

// ReadOptions tune the readers.
type ReadOptions struct {
	// DateFormat says how a CSV's slash dates read ("" means ISO only).
	DateFormat string
}

// csvColumns maps accepted header names to the field they fill. crieur's own
// columns, and Hootsuite's bulk-composer ones (date, message, link).
var csvColumns = map[string]string{
	"slug": "slug", "at": "at", "date": "at", "time": "time", "channels": "channels", "channel": "channels",
	"campaign": "campaign", "tags": "tags", "tag": "tags", "title": "title", "body": "body", "message": "body",
	"text": "body", "link": "link", "url": "link", "media": "media", "alt": "alt", "status": "status",
	"excerpt": "excerpt", "thread": "thread", "times": "times", "approved_by": "approved_by", "approved_at": "approved_at",
	"notes": "notes", "category": "category", "max_repeats": "max_repeats", "min_gap": "min_gap", "expires": "expires",
}

// threadSep separates thread parts in one CSV cell.
const threadSep = "\n---\n"

var slashDate = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})(.*)$`) })

// ReadCSV reads a CSV load: a header row naming the columns, then one post
// per record. UTF-8 with or without a byte-order mark; ',' or ';' as found
// in the header. Every problem is collected with the physical line its
// record starts on; a record with a problem is skipped.
func ReadCSV(data []byte, file string, opt ReadOptions) *calendar.LoadSet {
	set := &calendar.LoadSet{}
	var items []calendar.LoadItem
	if readCSV(bytes.NewReader(data), file, opt, set, func(it calendar.LoadItem) {
		if items == nil {
			items = make([]calendar.LoadItem, 0, bytes.Count(data, []byte{'\n'}))
		}
		items = append(items, it)
	}) {
		items = nil // over the limit: none of the load is kept
	}
	set.Items = items
	return set
}

// StreamCSV reads a CSV load from r as ReadCSV does, but gives its posts to
// emit as they are read, chunk posts at a time (each chunk is emit's to
// keep), so that a load can be planned and written while the rest of the
// file is still read, and the file is never held whole. The set it returns
// holds the problems and warnings met, not the posts. A read error (a file
// that grew past its size limit) is a problem of the file.
func StreamCSV(r io.Reader, file string, opt ReadOptions, chunk int, emit func([]calendar.LoadItem)) *calendar.LoadSet {
	set := &calendar.LoadSet{}
	var buf []calendar.LoadItem
	readCSV(r, file, opt, set, func(it calendar.LoadItem) {
		if buf == nil {
			buf = make([]calendar.LoadItem, 0, chunk)
		}
		buf = append(buf, it)
		if len(buf) == chunk {
			emit(buf)
			buf = nil
		}
	})
	if len(buf) > 0 {
		emit(buf)
	}
	return set
}

// readCSV reads in, giving each post to add and recording problems in
// set; it says whether the file holds more posts than a load takes.
func readCSV(in io.Reader, file string, opt ReadOptions, set *calendar.LoadSet, add func(calendar.LoadItem)) (tooMany bool) {
	br := bufio.NewReaderSize(in, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	// The header line, to tell its separator: what is buffered, read on
	// only until a line ends (a pipe gives its rows as they come).
	head, err := br.Peek(1)
	for err == nil && bytes.IndexByte(head, '\n') < 0 && len(head) < br.Size() {
		_, err = br.Peek(len(head) + 1)
		head, _ = br.Peek(br.Buffered())
	}
	bad := func(line int, field, format string, args ...any) {
		set.Problems = append(set.Problems, calendar.FieldError{File: file, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	switch opt.DateFormat {
	case "", DateISO, DateDMY, DateMDY:
	default:
		bad(0, "date-format", "unknown date format %q (use %s, %s or %s)", opt.DateFormat, DateISO, DateDMY, DateMDY)
		return false
	}
	r := csv.NewReader(br)
	r.Comma = csvDelimiter(head)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			bad(1, "", "empty file: expected a header row (slug,at,channels,title,body,… or date,message,link)")
		} else {
			bad(csvErrLine(err, 1), "", "header: %s", csvErrText(err))
		}
		return false
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	hasText := false
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if !utf8.ValidString(h) {
			bad(1, "", "header: not valid UTF-8")
			return false
		}
		switch name, variant := csvColumns[h], strings.HasPrefix(h, "variant:"); {
		case variant && calendar.ValidName("variant", strings.TrimPrefix(h, "variant:")) == nil:
			cols[i] = h
		case name != "":
			cols[i] = name
		case h == "":
			cols[i] = "" // an unnamed column (a trailing separator) is ignored
			continue
		default:
			bad(1, h, "unknown column %q%s (known: %s, variant:CHANNEL)", h, suggest.DidYouMean(h, knownColumns()), strings.Join(knownColumns(), ", "))
			continue
		}
		if seen[cols[i]] {
			bad(1, h, "column %q given twice", h)
		}
		seen[cols[i]] = true
		hasText = hasText || cols[i] == "body" || cols[i] == "title" || cols[i] == "media"
	}
	if !hasText {
		bad(1, "", "no text column: expected body (or message) or title")
	}
	if len(set.Problems) > 0 {
		return false
	}
	base := filepath.Dir(file)
	// Rows mostly repeat their channels and tags: one list per distinct cell.
	lists := map[string][]string{}
	list := func(v string) []string {
		l, ok := lists[v]
		if !ok {
			l = SplitList(v)
			if len(lists) < 10000 {
				lists[v] = l
			}
		}
		return l
	}
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			bad(csvErrLine(err, 0), "", "%s", csvErrText(err))
			if !errors.As(err, new(*csv.ParseError)) {
				break // the file cannot be read on
			}
			continue
		}
		line, _ := r.FieldPos(0)
		if row > calendar.MaxLoadPosts {
			bad(line, "", "more than %d rows; crieur takes at most %d posts in one load (split the load)", calendar.MaxLoadPosts, calendar.MaxLoadPosts)
			return true
		}
		if len(rec) > len(cols) {
			bad(line, "", "%d fields, the header has %d", len(rec), len(cols))
			continue
		}
		// A short row is refused, not read with empty cells: it is most
		// often a broken quote or a pasted line, and the load must not
		// guess. Only unnamed trailing columns may be left out.
		if missing := firstNamed(cols[len(rec):]); missing != "" {
			bad(line, missing, "missing: the row has %d fields, the header %d (end the row with empty fields for the columns it leaves blank)", len(rec), len(cols))
			continue
		}
		it := calendar.LoadItem{File: file, Line: line, Row: row, BaseDir: base}
		var media, alts []string
		var date, clock string
		ok := true
		for i, v := range rec {
			if !utf8.ValidString(v) {
				bad(line, cols[i], "not valid UTF-8")
				ok = false
				continue
			}
			v = calendar.UnguardCell(v) // a cell an export kept from being read as a formula
			switch col := cols[i]; col {
			case "slug":
				it.Slug = v
			case "at":
				date = strings.TrimSpace(v)
			case "time":
				clock = strings.TrimSpace(v)
			case "channels":
				it.Channels = list(v)
			case "campaign":
				it.Campaign = strings.TrimSpace(v)
			case "tags":
				it.Tags = list(v)
			case "title":
				it.Title = v
			case "body":
				it.Body = v
			case "link":
				it.Link = v
			case "excerpt":
				it.Excerpt = v
			case "status":
				it.Status = v
			case "thread":
				if isBool(v) {
					it.AutoThread = strings.EqualFold(strings.TrimSpace(v), "true")
				} else if strings.TrimSpace(v) != "" {
					it.Thread = strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), threadSep)
				}
			case "times":
				it.Times = timesCell(v)
			case "approved_by":
				it.ApprovedBy = v
			case "approved_at":
				it.ApprovedAt = v
			case "notes":
				it.Notes = notesCell(v)
			case "category":
				it.Category = strings.TrimSpace(v)
			case "max_repeats":
				it.MaxRepeats = v
			case "min_gap":
				it.MinGap = v
			case "expires":
				it.Expires = v
			case "media":
				media = splitCell(v)
			case "alt":
				alts = splitCell(v)
			default:
				if name, found := strings.CutPrefix(col, "variant:"); found && strings.TrimSpace(v) != "" {
					if it.Variants == nil {
						it.Variants = map[string]string{}
					}
					it.Variants[name] = v
				}
			}
		}
		if !ok {
			continue
		}
		for i, m := range media {
			md := ParseMedia(m)
			if i < len(alts) && alts[i] != "" {
				md.Alt = alts[i]
			}
			it.Media = append(it.Media, md)
		}
		if clock != "" && date != "" {
			date += " " + clock
		}
		at, err := csvDate(date, opt.DateFormat)
		if err != nil {
			bad(line, "at", "%v", err)
			continue
		}
		it.At = at
		add(it)
	}
	return false
}

func knownColumns() []string {
	var out []string
	for k := range csvColumns {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// splitCell splits a cell holding several values separated by '|'.
func splitCell(v string) []string {
	var out []string
	for _, p := range strings.Split(v, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// timesCell reads "channel=WHEN|channel=WHEN".
func timesCell(v string) map[string]string {
	var out map[string]string
	for _, p := range splitCell(v) {
		name, at, _ := strings.Cut(p, "=")
		if out == nil {
			out = map[string]string{}
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(at)
	}
	return out
}

// notesCell reads notes written "AT AUTHOR: TEXT", separated as thread parts are.
func notesCell(v string) []calendar.LoadNote {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []calendar.LoadNote
	for _, p := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), threadSep) {
		at, rest, _ := strings.Cut(p, " ")
		author, text, found := strings.Cut(rest, ": ")
		if !found {
			author, text = "", rest
		}
		out = append(out, calendar.LoadNote{At: at, Author: author, Text: text})
	}
	return out
}

// csvDate turns a slash date ("01/12/2026 09:00") into the ISO form WHEN
// reads, per the chosen format; other forms pass through unchanged.
func csvDate(v, format string) (string, error) {
	m := slashDate().FindStringSubmatch(v)
	if m == nil {
		return v, nil
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	switch format {
	case DateDMY:
		return fmt.Sprintf("%s-%02d-%02d%s", m[3], b, a, m[4]), nil
	case DateMDY:
		return fmt.Sprintf("%s-%02d-%02d%s", m[3], a, b, m[4]), nil
	}
	return "", fmt.Errorf("%q: a slash date needs its format named: pass --date-format %s or --date-format %s", v, DateDMY, DateMDY)
}

// csvDelimiter is ';' when the header line holds more of them than commas
// (outside quotes), else ','.
func csvDelimiter(data []byte) rune {
	commas, semis := 0, 0
	quoted := false
	for _, c := range data {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if semis > commas {
				return ';'
			}
			return ','
		case c == ',':
			commas++
		case c == ';':
			semis++
		}
	}
	if semis > commas {
		return ';'
	}
	return ','
}

func csvErrLine(err error, def int) int {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.StartLine > 0 {
			return pe.StartLine
		}
		return pe.Line
	}
	return def
}

func csvErrText(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
	}
	return err.Error()
}

// firstNamed is the first of cols with a name, or "".
func firstNamed(cols []string) string {
	for _, c := range cols {
		if c != "" {
			return c
		}
	}
	return ""
}
