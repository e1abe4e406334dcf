package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-isatty"
	"go.yaml.in/yaml/v3"
	"golang.org/x/term"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeYAML writes v with the same field names as its JSON.
func writeYAML(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var generic any
	if err := yaml.Unmarshal(b, &generic); err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	defer enc.Close()
	return enc.Encode(generic)
}

// emit prints v as JSON or YAML when asked, else calls table with a writer
// that keeps escape sequences in the text from reaching the terminal.
func (a *app) emit(v any, table func(w io.Writer) error) error {
	switch a.format() {
	case "json":
		return writeJSON(a.out, v)
	case "yaml":
		return writeYAML(a.out, v)
	}
	return table(newTermWriter(a.out, a.color()))
}

// isTTY reports whether w is a terminal.
// sideOut is where text beside a command's result goes (what a log channel
// without a path publishes): standard output in a table, standard error
// under -o json or yaml, so that standard output holds the document alone.
func (a *app) sideOut() io.Writer {
	if a.format() != "table" {
		return a.errOut
	}
	return a.out
}

func isTTY(w io.Writer) bool {
	if t, ok := w.(*termWriter); ok {
		w = t.w
	}
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// color reports whether to colour output: a terminal, and neither --no-color nor NO_COLOR.
func (a *app) color() bool {
	if a.v.GetBool(keyNoColor) || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTTY(a.out)
}

// paint wraps s in an ANSI colour when colour is on.
func (a *app) paint(code, s string) string {
	if !a.color() || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// statusColor is the ANSI code for a status word.
func statusColor(s string) string {
	switch s {
	case "published":
		return "32"
	case "scheduled", "approved", "pending":
		return "36"
	case "review", "publishing", "held", "partial":
		return "33"
	case "failed", "missed":
		return "31"
	case "canceled", "draft":
		return "2"
	}
	return "0"
}

// table is a tabwriter whose columns align; padding from ANSI codes is
// avoided by colouring only the last column or none.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(newTermWriter(w, isTTY(w)), 0, 0, 2, ' ', 0)}
	if len(header) > 0 {
		t.row(header...)
	}
	return t
}

func (t *table) row(cols ...string) {
	fmt.Fprintln(t.tw, strings.Join(cols, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// when formats an instant in the viewer's zone.
func (a *app) when(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.In(a.zone()).Format("2006-01-02 15:04 MST")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func sortStrings(s []string) { sort.Strings(s) }

// fitWidth is the width a table must fit: $COLUMNS, else the terminal's
// width; 0 (no limit) when output goes to a pipe or a file.
func (a *app) fitWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := a.out.(*os.File); ok && isTTY(a.out) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// fitColumns shortens cells so that rows, laid out with two spaces between
// columns, fit width. shrink maps the columns that may give way, in the
// order given by shrinkOrder below, to the narrowest they may become.
// Nothing changes when width is 0 or the rows already fit.
func fitColumns(rows [][]string, width int, shrink map[int]int) {
	if width <= 0 || len(rows) == 0 {
		return
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	total := 2 * (len(widths) - 1)
	for _, w := range widths {
		total += w
	}
	cols := make([]int, 0, len(shrink))
	for c := range shrink {
		cols = append(cols, c)
	}
	// The last column first (the title), then the others right to left.
	sort.Sort(sort.Reverse(sort.IntSlice(cols)))
	for _, c := range cols {
		if total <= width {
			break
		}
		to := max(shrink[c], widths[c]-(total-width))
		if to >= widths[c] {
			continue
		}
		total -= widths[c] - to
		widths[c] = to
		for _, r := range rows {
			r[c] = truncate(r[c], to)
		}
	}
}
