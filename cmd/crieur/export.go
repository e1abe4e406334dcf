package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/formats"
	"github.com/crieur/crieur/internal/atomicfile"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newExportCmd) }

func newExportCmd(a *app) *cobra.Command {
	var format, out, campaign, channel, from, to string
	var status []string
	var private bool
	cmd := &cobra.Command{
		Use:   "export [--format csv|yaml|json|md] [--out FILE|DIR] [--campaign C] [--channel C] [--status S] [--from D] [--to D]",
		Short: "Write posts in a format `crieur import` reads back",
		Long: `Write posts (and, in YAML and JSON, their campaigns) as crieur import reads
them: exporting and importing into an empty calendar reproduces its posts,
with each channel's own time, notes and (with import --keep-approvals) approvals.
Channels are not exported (their secrets stay in the calendar); the target
calendar needs channels of the same names. Times are RFC 3339 UTC instants.

The file goes to --out (stdout by default; a folder for md). The format is
--format, else --out's extension, else -o json|yaml, else csv. Files are made
to be shared (0644, folders 0755) unless --private (0600, 0700).`,
		Example: `  crieur export --format yaml --campaign black-friday --out black-friday.yaml
  crieur export --status scheduled,draft > calendar.csv
  crieur export --format md --out content/`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" && out != "" {
				format = formatOf(out)
			}
			if format == "" && a.format() != "table" {
				format = a.format()
			}
			if format == "" {
				format = "csv"
			}
			switch format {
			case "csv", "yaml", "json":
			case "md":
				if out == "" {
					return usageErr{errors.New("--format md writes one file per post: give the folder with --out DIR")}
				}
			default:
				return usageErr{fmt.Errorf("--format %q: use csv, yaml, json or md", format)}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			flt := calendar.PostFilter{Status: status, Channel: channel, Campaign: campaign}
			for _, s := range status {
				if !contains(calendar.PostStatuses, s) {
					return invalid("status", "unknown status %q (one of %s)", s, strings.Join(calendar.PostStatuses, ", "))
				}
			}
			for _, r := range []struct {
				flag, val string
				dst       **time.Time
			}{{"from", from, &flt.From}, {"to", to, &flt.To}} {
				if r.val == "" {
					continue
				}
				t, err := a.parseDay(r.flag, r.val)
				if err != nil {
					return err
				}
				*r.dst = &t
			}
			e, err := st.ExportPosts(a.ctx, flt)
			if err != nil {
				return err
			}
			modes := atomicfile.ExportModes(private)
			if format == "md" {
				if err := formats.WriteMarkdownDir(out, e.Posts, modes); err != nil {
					return err
				}
			} else if err := writeExport(a.out, out, modes, func(w io.Writer) error {
				switch format {
				case "csv":
					return formats.WriteCSV(w, e.Posts)
				case "yaml":
					return formats.WriteYAML(w, e)
				}
				return formats.WriteJSON(w, e)
			}); err != nil {
				return err
			}
			if out != "" && !a.quiet() {
				fmt.Fprintf(a.errOut, "Exported %s to %s.\n", calendar.Count(len(e.Posts), "post", "posts"), out)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "", "csv, yaml, json or md")
	fl.StringVar(&out, "out", "", "the file to write (a folder for md; default stdout)")
	fl.StringVar(&campaign, "campaign", "", "only this campaign's posts")
	fl.StringVar(&channel, "channel", "", "only posts on this channel")
	fl.StringSliceVar(&status, "status", nil, "only these states: "+strings.Join(calendar.PostStatuses, ", "))
	fl.StringVar(&from, "from", "", "publish time from (a date or WHEN)")
	fl.StringVar(&to, "to", "", "publish time before (a date or WHEN)")
	fl.BoolVar(&private, keyPrivate, false, privateUsage)
	return cmd
}

// writeExport writes to stdout, or to path through a temporary file renamed
// into place, so a reader never sees half an export; the file gets modes.File.
func writeExport(stdout io.Writer, path string, modes atomicfile.Modes, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	return modes.WriteFile(path, write)
}
