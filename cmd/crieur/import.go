package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/formats"
	"github.com/crieur/crieur/internal/safefile"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newImportCmd) }

// progressAbove is the load size from which a terminal gets a progress bar.
const progressAbove = 2000

// loadMemoryLimit is the Go heap an import aims to stay under.
const loadMemoryLimit = 140 << 20

// maxWarnings is how many warnings a table shows before summing up the rest.
const maxWarnings = 10

type importOptions struct {
	dryRun, allowPast, keepApprovals bool
	format, campaign, dateFormat     string
	defaultChannels                  []string
	mediaRoot                        string
	maxFileMB                        int
	// whole reads every file before the load starts (no CSV streaming).
	whole bool
}

func newImportCmd(a *app) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import PATH... [--dry-run] [--format csv|yaml|json|md] [--default-channel C] [--date-format F]",
		Short: "Load a campaign from CSV, YAML, JSON or a Markdown folder (idempotent, all or nothing)",
		Long: `Load posts (and campaigns) from files, as a CI job does on every merge.

Formats: CSV (a header row; crieur's columns slug, at, channels, campaign, tags,
title, body, link, excerpt, media, alt, status, thread (parts, or true to allow
a thread), variant:CHANNEL, times, approved_by, approved_at, notes, or
Hootsuite's date, message, link; ',' or ';'; UTF-8 with or without BOM),
YAML/JSON ({campaign, defaults, posts}), a Markdown folder (one .md per post:
front matter + body; the file's path is the default slug). The format comes
from the extension unless --format says; - reads stdin. Media paths are read
relative to the file that names them, and kept as absolute paths; each must
lie in that file's folder (or under --media-root) and be a regular file.

Posts are keyed by slug. A post the calendar already holds with the same
content is unchanged; a changed one is updated (its deliveries re-timed); a
changed one already published is a conflict. Running the same load twice
changes nothing the second time.

All or nothing: a load with any problem writes nothing and lists every
problem as FILE:LINE: FIELD: MESSAGE. Exit 3 when any problem is a validation
one (bad time, unknown channel, text over a network's limit, missing media,
invalid UTF-8…), 5 when the only problems are conflicts (a published post the
load would change, or one slug given twice in the load).`,
		Example: `  crieur import campaign.yaml --dry-run
  crieur import posts.csv --campaign black-friday
  crieur import hootsuite.csv --default-channel acme-mastodon --date-format DD/MM/YYYY
  crieur import content/ -o json        # a Markdown folder; JSON summary for CI`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr{errors.New("expected at least one PATH (a file, a folder, or - for stdin)")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var done func()
			a.loadWarnings, done = a.keepWarnings()
			defer done()
			st, err := a.db()
			if err != nil {
				return err
			}
			if os.Getenv("GOMEMLIMIT") == "" {
				// A big load holds its rows in memory; past this soft limit the
				// collector works harder instead of letting the process grow.
				debug.SetMemoryLimit(loadMemoryLimit)
			}
			set, err := a.rules()
			if err != nil {
				return err
			}
			// The editorial rules look at the whole load at once (how many
			// posts a day, how far apart): it is read whole first.
			o.whole = set != nil
			src, err := a.readLoad(args, o)
			if err != nil {
				return err
			}
			if set != nil {
				if err := a.checkLoadRules(cmd, st, set, src.set, o); err != nil {
					return err
				}
			}
			opt := calendar.LoadOptions{
				DryRun: o.dryRun, AllowPast: o.allowPast, Zone: a.zone(), ForceZone: cmd.Flag(keyTZ).Changed,
				DefaultChannels: o.defaultChannels, Campaign: o.campaign, Check: networkCheck(), Plan: o.dryRun || a.verbose(),
				MediaRoot:     o.mediaRoot,
				KeepApprovals: o.keepApprovals,
			}
			bar := a.progressBar(src.Size)
			if bar != nil {
				opt.Progress = func(done, total int) {
					bar.ChangeMax(total)
					_ = bar.Set(done)
				}
			}
			var res calendar.LoadResult
			if src.set != nil {
				res, err = st.Load(a.ctx, src.set, opt)
			} else {
				res, err = st.LoadFrom(a.ctx, src.LoadSource, opt)
			}
			if bar != nil {
				_ = bar.Finish()
			}
			return a.reportLoad(res, err, o.dryRun)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&o.dryRun, "dry-run", false, "print the plan (create, update, unchanged, conflict) and write nothing")
	fl.StringVar(&o.format, "format", "", "csv, yaml, json or md (default: from the extension; a folder is md)")
	fl.StringVar(&o.campaign, "campaign", "", "the campaign of posts that name none (created if missing)")
	fl.StringSliceVar(&o.defaultChannels, "default-channel", nil, "channels of posts that name none (Hootsuite CSVs name none)")
	fl.StringVar(&o.dateFormat, "date-format", "", "how a CSV's slash dates read: DD/MM/YYYY or MM/DD/YYYY (default ISO, YYYY-MM-DD)")
	fl.BoolVar(&o.allowPast, "allow-past", false, "accept times in the past for new or re-timed posts")
	fl.StringVar(&o.mediaRoot, "media-root", "", "the folder every media file must lie in (default: each load file's own folder)")
	fl.IntVar(&o.maxFileMB, "max-file-size", calendar.DefaultMaxLoadFile>>20, "the largest load file read, in MB")
	fl.BoolVar(&o.keepApprovals, "keep-approvals", false, "keep the approvals an export recorded for the posts the load creates (else they go to review)")
	return cmd
}

// loadInput is what an import loads: CSV files are read as the load goes
// (planned and written while later rows are still parsed); a load with
// another format is read whole first (set).
type loadInput struct {
	calendar.LoadSource
	set *calendar.LoadSet
}

// readLoad reads every PATH into one load.
func (a *app) readLoad(paths []string, o importOptions) (loadInput, error) {
	set, csvs, err := a.readLoadFiles(paths, o)
	if err != nil {
		return loadInput{}, err
	}
	if set != nil {
		return loadInput{LoadSource: calendar.LoadSource{Size: len(set.Items)}, set: set}, nil
	}
	// Each CSV file is held whole (within --max-file-size); its rows are
	// parsed while the load plans and writes the ones before.
	size := 0 // about one post a line
	for _, f := range csvs {
		if f.r == nil {
			size += bytes.Count(f.data, []byte{'\n'})
		} else if info, err := os.Stat(f.path); err == nil {
			size += int(info.Size() / 200)
		}
	}
	ropt := formats.ReadOptions{DateFormat: o.dateFormat}
	return loadInput{LoadSource: calendar.LoadSource{Size: size, Read: func(emit func([]calendar.LoadItem)) *calendar.LoadSet {
		all := &calendar.LoadSet{}
		for i := range csvs {
			f := &csvs[i]
			r := f.r
			if r == nil {
				r = io.NopCloser(bytes.NewReader(f.data))
			}
			all.Merge(formats.StreamCSV(r, f.path, ropt, 2000, emit))
			r.Close()
			f.data, f.r = nil, nil
		}
		return all
	}}}, nil
}

// loadFile is one PATH of an import, opened or read but not parsed yet.
type loadFile struct {
	path, format string
	data         []byte
	r            io.ReadCloser     // a CSV file, to read as the load goes
	part         *calendar.LoadSet // a Markdown folder, read
}

func closeFiles(files []loadFile) {
	for _, f := range files {
		if f.r != nil {
			f.r.Close()
		}
	}
}

// readLoadFiles reads every PATH: when all are CSV files it returns them
// to be parsed as the load goes, else the whole load parsed.
func (a *app) readLoadFiles(paths []string, o importOptions) (*calendar.LoadSet, []loadFile, error) {
	fail := func(err error) (*calendar.LoadSet, []loadFile, error) { return nil, nil, err }
	switch o.format {
	case "", "csv", "yaml", "json", "md":
	default:
		return fail(usageErr{fmt.Errorf("--format %q: use csv, yaml, json or md", o.format)})
	}
	switch o.dateFormat {
	case "", formats.DateISO, formats.DateDMY, formats.DateMDY:
	default:
		return fail(usageErr{fmt.Errorf("--date-format %q: use %s or %s (ISO is the default)", o.dateFormat, formats.DateDMY, formats.DateMDY)})
	}
	if o.maxFileMB < 1 {
		return fail(usageErr{fmt.Errorf("--max-file-size %d: give a size in MB, at least 1", o.maxFileMB)})
	}
	maxFile := int64(o.maxFileMB) << 20
	if o.mediaRoot != "" {
		if info, err := os.Stat(o.mediaRoot); err != nil || !info.IsDir() {
			return fail(usageErr{fmt.Errorf("--media-root %s: not a folder", o.mediaRoot)})
		}
	}
	set := &calendar.LoadSet{}
	// A file that cannot be read as a load (a FIFO, a device, one over the
	// size limit) is a problem of the load: exit 3, nothing written.
	unreadable := func(path string, err error) (*calendar.LoadSet, []loadFile, error) {
		if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooBig) {
			msg := err.Error()
			if errors.Is(err, safefile.ErrTooBig) {
				msg += " (--max-file-size raises it)"
			}
			return nil, nil, &calendar.ValidationError{Problems: []calendar.FieldError{{File: path, Message: msg}}}
		}
		return fail(err)
	}
	// Files are opened and checked first, parsed after: CSV files alone
	// are read and parsed as the load plans and writes them.
	var files []loadFile
	var err error
	streamed := true
	for _, path := range paths {
		format := o.format
		if path != "-" {
			info, err := os.Stat(path)
			if errors.Is(err, fs.ErrNotExist) {
				return fail(calendar.NotFound("file or folder", path)) // exit 4
			}
			if err != nil {
				return fail(err)
			}
			if info.IsDir() {
				if format != "" && format != "md" {
					return fail(usageErr{fmt.Errorf("%s is a folder: only a Markdown folder (md) can be loaded from one", path)})
				}
				part, err := formats.ReadMarkdownFolder(path, maxFile)
				if err != nil {
					return fail(err)
				}
				files = append(files, loadFile{path: path, format: "dir", part: part})
				streamed = false
				continue
			}
		}
		if format == "" {
			format = formatOf(path)
		}
		if format == "" {
			return fail(usageErr{fmt.Errorf("%s: cannot tell the format from its name: pass --format csv|yaml|json|md", path)})
		}
		f := loadFile{path: path, format: format}
		var err error
		switch {
		case path == "-":
			f.data, err = safefile.ReadAll(a.in, "stdin", maxFile)
		case format == "csv":
			f.r, err = safefile.OpenLimited(path, maxFile) // checked now, read as the load goes
		default:
			f.data, err = safefile.ReadFile(path, maxFile)
		}
		if err != nil {
			closeFiles(files)
			return unreadable(path, err)
		}
		files = append(files, f)
		streamed = streamed && format == "csv"
	}
	if streamed && !o.whole {
		return nil, files, nil
	}
	for i := range files {
		f := &files[i]
		if f.r != nil {
			f.data, err = io.ReadAll(f.r)
			f.r.Close()
			f.r = nil
			if err != nil {
				closeFiles(files)
				return unreadable(f.path, err)
			}
		}
	}
	for _, f := range files {
		switch f.format {
		case "dir":
			set.Merge(f.part)
		case "csv":
			set.Merge(formats.ReadCSV(f.data, f.path, formats.ReadOptions{DateFormat: o.dateFormat}))
		case "yaml":
			set.Merge(formats.ReadYAML(f.data, f.path))
		case "json":
			set.Merge(formats.ReadJSON(f.data, f.path))
		case "md":
			set.Merge(formats.ReadMarkdown(f.data, f.path, filepath.Base(f.path)))
		}
	}
	return set, nil, nil
}

// formatOf is the load format a file name says.
func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".tsv", ".txt":
		return "csv"
	case ".yaml", ".yml":
		return "yaml"
	case ".json":
		return "json"
	case ".md", ".markdown":
		return "md"
	}
	return ""
}

// progressBar shows a big load's progress on a terminal (stderr), never in
// a pipe, a CI log or with -q.
func (a *app) progressBar(items int) *progressbar.ProgressBar {
	if !showProgress(isTTY(a.errOut), a.quiet(), items) {
		return nil
	}
	return progressbar.NewOptions(2*items,
		progressbar.OptionSetWriter(a.errOut),
		progressbar.OptionSetDescription("loading"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetPredictTime(false),
	)
}

func showProgress(tty, quiet bool, items int) bool {
	return tty && !quiet && items > progressAbove
}

// networkCheck validates posts with each channel's network rules, built
// once per channel without its secrets: validation never calls the network.
func networkCheck() calendar.CheckFunc {
	var mu sync.Mutex
	pubs := map[string]publishers.OfflineCheck{}
	broken := map[string]bool{}
	return func(ch calendar.Channel, p *calendar.Post, c *calendar.Campaign) []calendar.CheckProblem {
		mu.Lock()
		pub, ok := pubs[ch.Name]
		reported := !ok && broken[ch.Name]
		if !ok && !reported {
			var err error
			if pub, err = validator(ch); err != nil {
				broken[ch.Name] = true
				mu.Unlock()
				return []calendar.CheckProblem{{Field: "channels", Message: "cannot check posts for this channel: " + err.Error()}}
			}
			pubs[ch.Name] = pub
		}
		mu.Unlock()
		if reported {
			return nil // reported once already
		}
		var out []calendar.CheckProblem
		rp := scheduler.Render(*p, ch, calendar.Delivery{}, c)
		for _, prob := range append(pub.Validate(rp), pub.Threading(rp)...) {
			out = append(out, calendar.CheckProblem{Field: prob.Field, Message: prob.Message})
		}
		return out
	}
}

// loadDoc is a load's result as -o json/yaml prints it: its warnings
// with their rule apart, and those the command met on the way (the
// calendar's zone) with them.
type loadDoc struct {
	calendar.LoadResult
	Warnings []loadWarning `json:"warnings"`
}

type loadWarning struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// warningOf is a load's warning as its document says it (an editorial
// rule's says "rule NAME: message").
func warningOf(w calendar.FieldError) loadWarning {
	lw := loadWarning{File: w.File, Line: w.Line, Field: w.Field, Message: w.Message}
	if rest, ok := strings.CutPrefix(w.Message, "rule "); ok {
		if name, msg, ok := strings.Cut(rest, ": "); ok && name != "" && !strings.ContainsAny(name, " \t") {
			lw.Rule, lw.Message = name, msg
		}
	}
	return lw
}

// reportLoad prints a load's plan or summary; a failed load returns its
// error (exit 3 or 5) after the summary when the output is JSON or YAML.
func (a *app) reportLoad(res calendar.LoadResult, loadErr error, dryRun bool) error {
	if !dryRun && !a.verbose() {
		res.Plan = nil
	}
	if a.format() != "table" {
		doc := loadDoc{LoadResult: res, Warnings: []loadWarning{}}
		if a.loadWarnings != nil {
			for _, w := range a.loadWarnings() {
				doc.Warnings = append(doc.Warnings, loadWarning{Message: w})
			}
		}
		for _, w := range res.Warnings {
			doc.Warnings = append(doc.Warnings, warningOf(w))
		}
		if err := a.emit(doc, nil); err != nil {
			return err
		}
		return loadErr
	}
	w := a.out
	for i, warn := range res.Warnings {
		if i == maxWarnings && !a.verbose() {
			a.warnf("… and %s (-v shows them all)", calendar.Count(len(res.Warnings)-maxWarnings, "more warning", "more warnings"))
			break
		}
		a.warnf("%s", termSafe(warn.Error()))
	}
	if dryRun {
		t := newTable(w)
		for _, e := range res.Plan {
			if e.Action == calendar.ActionUnchanged && !a.verbose() {
				continue
			}
			what := e.Slug
			if e.Kind == "campaign" {
				what = "campaign " + e.Name
			}
			detail := strings.Join(e.Changes, ", ")
			if e.Reason != "" {
				detail = e.Reason
			}
			where := ""
			if e.File != "" {
				where = fmt.Sprintf("%s:%d", e.File, e.Line)
			}
			when, chans := "-", dash(strings.Join(e.Channels, ","))
			if e.At != nil {
				when = a.when(e.At)
			}
			if e.Kind == "campaign" {
				chans = "-"
			}
			t.row(e.Action, what, when, chans, dash(detail), where)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	if loadErr != nil {
		return loadErr
	}
	if a.quiet() {
		return nil
	}
	verb := "Loaded"
	if dryRun {
		verb = "Dry run, nothing written"
	}
	campaigns := ""
	if res.CampaignsCreated+res.CampaignsUpdated > 0 {
		campaigns = fmt.Sprintf("; campaigns: %d created, %d updated", res.CampaignsCreated, res.CampaignsUpdated)
	}
	fmt.Fprintf(w, "%s: %d created, %d updated, %d unchanged%s.\n", verb, res.Created, res.Updated, res.Unchanged, campaigns)
	return nil
}
