package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/ics"
	"github.com/crieur/crieur/internal/atomicfile"
	"github.com/crieur/crieur/internal/calview"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() { registerCommand(newCalendarCmd) }

// viewFlags are the filters every calendar view and export shares.
type viewFlags struct {
	channel, campaign, tag string
	status                 []string
}

func (f *viewFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.channel, "channel", "", "only this channel's deliveries")
	fl.StringVar(&f.campaign, "campaign", "", "only this campaign's posts")
	fl.StringSliceVar(&f.status, "status", nil, "only posts in these states: "+strings.Join(calendar.PostStatuses, ", "))
	fl.StringVar(&f.tag, "tag", "", "only posts with this tag")
}

func (f *viewFlags) filter(from, to time.Time) (calendar.ViewFilter, error) {
	for _, s := range f.status {
		if !contains(calendar.PostStatuses, s) {
			return calendar.ViewFilter{}, invalid("status", "unknown status %q (one of %s)", s, strings.Join(calendar.PostStatuses, ", "))
		}
	}
	return calendar.ViewFilter{From: from, To: to, Channel: f.channel, Campaign: f.campaign, Status: f.status, Tag: f.tag}, nil
}

func newCalendarCmd(a *app) *cobra.Command {
	var vf viewFlags
	var month, week, from, to, colorMode string
	var agenda bool
	cmd := &cobra.Command{
		Use:     "calendar [--month YYYY-MM | --week[=DATE] | --agenda [--from D --to D]]",
		Aliases: []string{"cal"},
		Short:   "Show the editorial calendar: a month grid, a week, or an agenda",
		Long: `Show what goes out when, on which channel, for which campaign.

The month grid (the default, for the current month) lists each day's
deliveries as "HH:MM ch title", ch being the channel's two-letter abbreviation
(a legend follows the grid), and "+N more" when a day overflows. Today is
marked "today"; blacked-out days are shaded (░). The grid fits 80 columns and
fills a wider terminal (its width, or $COLUMNS).

--week shows one week with hours as rows; --agenda lists day by day with full
titles, channels and states (from today, four weeks, unless --from/--to; --to
is inclusive). Days and times are in --tz, else your config's tz (CRIEUR_TZ),
else the calendar's zone (crieur status shows it). -o json prints the same
content as data.

Colour (campaign colours, today, blackouts) is used only on a terminal, never
with --no-color or NO_COLOR; --color=always forces it (e.g. for "less -R"),
--color=never turns it off.`,
		Example: `  crieur calendar
  crieur calendar --month 2026-12 --campaign winter-sale
  crieur calendar --week                 # this week
  crieur calendar --week 2026-12-07      # the week holding that day
  crieur calendar --agenda --from 2026-12-01 --to 2026-12-31 --tz Europe/Paris
  crieur calendar --month 2026-12 -o json`,
		Args: rangeArgs(0, 1, "no arguments (or the --week DATE)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			weekSet := cmd.Flags().Changed("week")
			if len(args) == 1 {
				if !weekSet {
					return usageErr{fmt.Errorf("unexpected argument %q (did you mean --month %s?)", args[0], args[0])}
				}
				week = args[0]
			}
			if countTrue(cmd.Flags().Changed("month"), weekSet, agenda) > 1 {
				return usageErr{errors.New("use one of --month, --week or --agenda")}
			}
			if (from != "" || to != "") && !agenda {
				return usageErr{errors.New("--from and --to go with --agenda")}
			}
			color, err := a.colorMode(colorMode)
			if err != nil {
				return err
			}
			// The calendar is opened first: a process without a tz of its
			// own views in the calendar's zone, known once it is open, and
			// the days are cut at that zone's midnights.
			st, err := a.db()
			if err != nil {
				return err
			}
			loc := a.zone()
			now := a.now()
			var kind string
			var start, end time.Time
			switch {
			case weekSet:
				kind = "week"
				day := now
				if week != "" && week != "today" {
					if day, err = time.ParseInLocation(time.DateOnly, week, loc); err != nil {
						return invalid("week", "%q is not a date (YYYY-MM-DD)", week)
					}
				}
				start, end = calview.WeekRange(day, loc)
			case agenda:
				kind = "agenda"
				if start, end, err = a.agendaRange(from, to, now, loc); err != nil {
					return err
				}
			default:
				kind = "month"
				if start, end, err = monthRange(month, now, loc); err != nil {
					return err
				}
			}
			text := calview.Text{Width: a.termWidth(), Color: color}
			var v calview.View
			if kind == "month" && a.format() == "table" {
				// The grid shows a few entries a day: only those are read.
				v, err = a.buildMonthGrid(st, start, end, vf, text.MonthLines())
			} else {
				v, err = a.buildView(st, kind, start, end, vf)
			}
			if err != nil {
				return err
			}
			return a.emit(v, func(w io.Writer) error {
				return text.Render(colourWriter(w, color), v)
			})
		},
	}
	vf.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&month, "month", "", "the month to show, YYYY-MM (default: this month)")
	fl.StringVar(&week, "week", "", "show a week: this one, or the one holding DATE (--week=DATE or --week DATE)")
	fl.Lookup("week").NoOptDefVal = "today"
	fl.BoolVar(&agenda, "agenda", false, "list day by day with full titles")
	fl.StringVar(&from, "from", "", "agenda: first day (a date or WHEN; default today)")
	fl.StringVar(&to, "to", "", "agenda: last day, inclusive (a date or WHEN; default four weeks on)")
	fl.StringVar(&colorMode, "color", "auto", "colour: auto (on a terminal), always or never")
	cmd.AddCommand(newCalendarExportCmd(a))
	return cmd
}

// colorMode resolves --color: auto follows the terminal, --no-color and NO_COLOR.
func (a *app) colorMode(mode string) (bool, error) {
	switch mode {
	case "auto", "":
		return a.color(), nil
	case "always":
		return true, nil
	case "never":
		return false, nil
	}
	return false, usageErr{fmt.Errorf("--color %q: use auto, always or never", mode)}
}

// termWidth is $COLUMNS, else the terminal's width, else 80.
func (a *app) termWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := a.out.(*os.File); ok {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return calview.MinWidth
}

// monthRange reads --month (default: now's month) in loc.
func monthRange(month string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if month == "" {
		n := now.In(loc)
		from, to := calview.MonthRange(n.Year(), n.Month(), loc)
		return from, to, nil
	}
	m, err := time.Parse("2006-01", month)
	if err != nil {
		return time.Time{}, time.Time{}, invalid("month", "%q is not a month (YYYY-MM)", month)
	}
	from, to := calview.MonthRange(m.Year(), m.Month(), loc)
	return from, to, nil
}

// agendaRange reads --from/--to: days at midnight in loc, --to inclusive.
func (a *app) agendaRange(from, to string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	n := now.In(loc)
	start := calview.Midnight(n.Year(), n.Month(), n.Day(), loc)
	if from != "" {
		t, err := a.parseDay("from", from)
		if err != nil {
			return start, start, err
		}
		t = t.In(loc)
		start = calview.Midnight(t.Year(), t.Month(), t.Day(), loc)
	}
	s := start.In(loc)
	end := calview.Midnight(s.Year(), s.Month(), s.Day()+28, loc)
	if to != "" {
		t, err := a.parseDay("to", to)
		if err != nil {
			return start, start, err
		}
		t = t.In(loc)
		end = calview.Midnight(t.Year(), t.Month(), t.Day()+1, loc)
	}
	if !end.After(start) {
		return start, end, invalid("to", "--to is before --from")
	}
	return start, end, nil
}

// buildView loads a range's entries and blackouts and lays them out.
func (a *app) buildView(st calendar.Store, kind string, start, end time.Time, vf viewFlags) (calview.View, error) {
	f, err := vf.filter(start, end)
	if err != nil {
		return calview.View{}, err
	}
	entries, err := st.Entries(a.ctx, f)
	if err != nil {
		return calview.View{}, err
	}
	blackouts, err := a.viewBlackouts(st, start, end, vf)
	if err != nil {
		return calview.View{}, err
	}
	return calview.Build(kind, start, end, a.zone(), a.now(), entries, blackouts), nil
}

// buildMonthGrid is buildView for the month grid in text, reading the
// first perDay entries of each day and the days' counts only.
func (a *app) buildMonthGrid(st calendar.Store, start, end time.Time, vf viewFlags, perDay int) (calview.View, error) {
	f, err := vf.filter(start, end)
	if err != nil {
		return calview.View{}, err
	}
	byDay, err := st.EntriesByDay(a.ctx, f, calview.DayStarts(start, end, a.zone()), perDay)
	if err != nil {
		return calview.View{}, err
	}
	blackouts, err := a.viewBlackouts(st, start, end, vf)
	if err != nil {
		return calview.View{}, err
	}
	return calview.BuildByDay("month", start, end, a.zone(), a.now(), byDay, blackouts), nil
}

// viewBlackouts is the blackouts a view over [start, end) shows.
func (a *app) viewBlackouts(st calendar.Store, start, end time.Time, vf viewFlags) ([]calendar.Blackout, error) {
	blackouts, err := st.Blackouts(a.ctx, start, end)
	if err != nil || vf.channel == "" {
		return blackouts, err
	}
	return onChannel(blackouts, vf.channel), nil
}

// onChannel keeps the blackouts that apply to channel.
func onChannel(bs []calendar.Blackout, channel string) []calendar.Blackout {
	out := bs[:0]
	for _, b := range bs {
		if b.Channel == "" || b.Channel == channel {
			out = append(out, b)
		}
	}
	return out
}

func newCalendarExportCmd(a *app) *cobra.Command {
	var vf viewFlags
	var format, month, from, to, file string
	var private bool
	cmd := &cobra.Command{
		Use:   "export --format ics|html|json [--from D --to D | --month YYYY-MM] [--out FILE] [--private]",
		Short: "Export the calendar as an iCalendar feed, a web page or JSON",
		Long: `Export the calendar. --out FILE names the file to write (default: standard
output); the file is replaced atomically. It is made to be shared (0644)
unless --private (0600). -o FILE still works here but is deprecated: -o
chooses table, json or yaml everywhere else.

  ics   RFC 5545, one event per delivery, with a stable UID
        (delivery-ID-CALENDAR@crieur, CALENDAR a random id made once per
        calendar) so a calendar application updates its events on every
        re-import, and two calendars never clash. --from/--to bound it
        (default: everything timed).
  html  one self-contained page (no script, nothing fetched) with the month
        grid (--month, default this month), campaign colours and a legend;
        on a phone the grid becomes a list of days.
  json  the entries of --from/--to, as data.`,
		Example: `  crieur calendar export --format ics --out ~/public/editorial.ics
  crieur calendar export --format html --month 2026-12 --out december.html
  crieur calendar export --format json --from 2026-12-01 --to 2026-12-31`,
		Args: exactArgs(0, "no arguments"),
		// -o FILE (before --out existed) still names the file here, with a
		// deprecation notice; it is taken before the global --output is
		// checked for table/json/yaml.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if fl := cmd.Flag(keyOutput); fl != nil && fl.Changed {
				if file != "" {
					return usageErr{errors.New("give the file once, with --out FILE")}
				}
				file = fl.Value.String()
				if err := fl.Value.Set("table"); err != nil {
					return err
				}
				a.warnf("-o FILE is deprecated for calendar export: use --out %s", file)
			}
			return a.loadConfig(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format == "" && file != "" && file != "-" {
				// The file's extension says the format, as `crieur export` reads it.
				switch strings.ToLower(filepath.Ext(file)) {
				case ".ics", ".ical":
					format = "ics"
				case ".html", ".htm":
					format = "html"
				case ".json":
					format = "json"
				}
			}
			switch format {
			case "html":
				if from != "" || to != "" {
					return usageErr{errors.New("the html page shows one month: use --month")}
				}
			case "ics", "json":
			case "":
				return usageErr{errors.New("give --format ics, html or json (or an --out FILE ending in .ics, .html or .json)")}
			default:
				return usageErr{fmt.Errorf("--format %q: use ics, html or json", format)}
			}
			// The calendar is opened before the days are read: a process
			// without a tz of its own reads them in the calendar's zone.
			st, err := a.db()
			if err != nil {
				return err
			}
			loc := a.zone()
			now := a.now()
			var start, end time.Time
			switch format {
			case "html":
				if start, end, err = monthRange(month, now, loc); err != nil {
					return err
				}
			case "ics", "json":
				if month != "" {
					if start, end, err = monthRange(month, now, loc); err != nil {
						return err
					}
				}
				if from != "" {
					if start, err = a.parseDay("from", from); err != nil {
						return err
					}
				}
				if to != "" {
					var ok bool
					if end, ok = dayEnd(to, loc); !ok {
						if end, err = a.parseDay("to", to); err != nil {
							return err
						}
						if e := end.In(loc); e.Hour() == 0 && e.Minute() == 0 {
							end = calview.Midnight(e.Year(), e.Month(), e.Day()+1, loc)
						}
					}
				}
			}
			f, err := vf.filter(start, end)
			if err != nil {
				return err
			}
			modes := atomicfile.ExportModes(private)
			if format == "ics" && file != "" && file != "-" {
				if err := ics.WriteFile(a.ctx, st, file, f, modes); err != nil {
					return err
				}
				return a.exported(file)
			}
			write := func(w io.Writer) error {
				switch format {
				case "ics":
					f.WithBody = true
					entries, err := st.Entries(a.ctx, f)
					if err != nil {
						return err
					}
					calID, err := st.CalendarID(a.ctx)
					if err != nil {
						return err
					}
					return ics.Write(w, calID, entries, st.Clock())
				case "json":
					f.WithBody = true
					entries, err := st.Entries(a.ctx, f)
					if err != nil {
						return err
					}
					return writeJSON(w, entries)
				}
				v, err := a.buildView(st, "month", start, end, vf)
				if err != nil {
					return err
				}
				return calview.HTML(w, v, "crieur — "+start.Format("January 2006"))
			}
			if file == "" || file == "-" {
				return write(a.out)
			}
			if err := modes.WriteFile(file, write); err != nil {
				return err
			}
			return a.exported(file)
		},
	}
	vf.bind(cmd)
	fl := cmd.Flags()
	fl.StringVar(&format, "format", "", "ics, html or json (default: from --out's extension)")
	fl.StringVar(&month, "month", "", "the month, YYYY-MM (html: default this month)")
	fl.StringVar(&from, "from", "", "from this day or WHEN")
	fl.StringVar(&to, "to", "", "to this day (inclusive) or WHEN")
	fl.StringVar(&file, "out", "", "the file to write (default: standard output)")
	fl.BoolVar(&private, keyPrivate, false, privateUsage)
	return cmd
}

func (a *app) exported(file string) error {
	if !a.quiet() {
		fmt.Fprintf(a.errOut, "Wrote %s.\n", file)
	}
	return nil
}
