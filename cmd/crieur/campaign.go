package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
)

func init() { registerCommand(newCampaignCmd) }

func newCampaignCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "campaign",
		Short: "Manage campaigns: groups of posts with dates and UTM defaults",
		Example: `  crieur campaign add black-friday --from 2026-11-20 --to 2026-11-30 --utm utm_medium=social
  crieur campaign list`,
	}
	var from, to, color string
	var utm []string
	add := &cobra.Command{
		Use:   "add NAME [--from DATE --to DATE] [--utm key=value]...",
		Short: "Add a campaign",
		Long: `Add a campaign. Its UTM defaults are added to its posts' links at publish time
(utm_source is the channel's network; utm_campaign defaults to the campaign's name).`,
		Example: `  crieur campaign add black-friday --from 2026-11-20 --to 2026-11-30 --utm utm_medium=social --color "#e4572e"`,
		Args:    exactArgs(1, "a campaign NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			params, err := parsePairs("utm", utm)
			if err != nil {
				return err
			}
			c := &calendar.Campaign{Name: args[0], StartsOn: from, EndsOn: to, UTM: params, Color: color}
			if err := st.AddCampaign(a.ctx, c); err != nil {
				return err
			}
			return a.showCampaign(*c, "Added campaign")
		},
	}
	add.Flags().StringVar(&from, "from", "", "first day (YYYY-MM-DD)")
	add.Flags().StringVar(&to, "to", "", "last day (YYYY-MM-DD)")
	add.Flags().StringArrayVar(&utm, "utm", nil, "a UTM default key=value, e.g. utm_medium=social (repeatable)")
	add.Flags().StringVar(&color, "color", "", "a colour for calendar views, e.g. #e4572e")
	cmd.AddCommand(add)
	cmd.AddCommand(&cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List campaigns",
		Example: `  crieur campaign list -o json`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			list, err := st.Campaigns(a.ctx)
			if err != nil {
				return err
			}
			if list == nil {
				list = []calendar.Campaign{}
			}
			return a.emit(list, func(w io.Writer) error {
				if a.quiet() {
					for _, c := range list {
						fmt.Fprintln(w, c.Name)
					}
					return nil
				}
				if len(list) == 0 {
					fmt.Fprintln(w, "No campaigns. Add one: crieur campaign add NAME --from 2026-12-01 --to 2026-12-24")
					return nil
				}
				t := newTable(w, "NAME", "FROM", "TO", "POSTS", "UTM")
				for _, c := range list {
					t.row(c.Name, dash(c.StartsOn), dash(c.EndsOn), strconv.Itoa(c.Posts), utmText(c.UTM))
				}
				return t.flush()
			})
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "show NAME",
		Short:   "Show a campaign",
		Example: `  crieur campaign show black-friday`,
		Args:    exactArgs(1, "a campaign NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			c, err := st.Campaign(a.ctx, args[0])
			if err != nil {
				return err
			}
			return a.showCampaign(c, "")
		},
	})
	return addVerbs(a, cmd)
}

func utmText(m map[string]string) string {
	s := ""
	for _, k := range sortedKeys(m) {
		if s != "" {
			s += " "
		}
		s += k + "=" + m[k]
	}
	return dash(s)
}

func (a *app) showCampaign(c calendar.Campaign, verb string) error {
	return a.emit(c, func(w io.Writer) error {
		if a.quiet() {
			fmt.Fprintln(w, c.Name)
			return nil
		}
		if verb != "" {
			fmt.Fprintf(w, "%s %s.\n", verb, c.Name)
		}
		t := newTable(w)
		t.row("name:", c.Name)
		t.row("from:", dash(c.StartsOn))
		t.row("to:", dash(c.EndsOn))
		t.row("utm:", utmText(c.UTM))
		t.row("color:", dash(c.Color))
		t.row("posts:", strconv.Itoa(c.Posts))
		return t.flush()
	})
}
