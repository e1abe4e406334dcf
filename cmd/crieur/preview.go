package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
	"github.com/spf13/cobra"
)

func init() { registerVerb("post", newPostPreviewCmd) }

// channelPreview is what one channel would receive.
type channelPreview struct {
	Channel  string   `json:"channel"`
	Network  string   `json:"network"`
	Parts    []string `json:"parts"`
	Counts   []int    `json:"counts"`
	Limit    int      `json:"limit"`
	Unit     string   `json:"unit"`
	Link     string   `json:"link,omitempty"`
	Media    []string `json:"media"`
	Problems []string `json:"problems"`
	// Warnings do not stop the post, but a person should look: media
	// without alt text.
	Warnings []string `json:"warnings"`
	Extra    string   `json:"extra,omitempty"`
	OK       bool     `json:"ok"`
}

func newPostPreviewCmd(a *app) *cobra.Command {
	var only string
	cmd := &cobra.Command{
		Use:   "preview REF [--channel C]",
		Short: "Show what each channel would receive, and what it would reject",
		Long: `Preview a post per channel: the text after the channel's variant and UTM
tagging, its length as the network counts it against the network's limit, the
thread split, media with their alt text, and each problem the network would
reject. Nothing is sent.`,
		Example: `  crieur post preview winter-sale
  crieur post preview winter-sale --channel acme-bsky -o json`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			campaign := a.campaignOf(st, p)
			if only != "" && !contains(p.Channels, only) {
				return invalid("channel", "post %s is not on channel %q (it is on: %s)", p.Slug, only, strings.Join(p.Channels, ", "))
			}
			var out []channelPreview
			for _, d := range p.Deliveries {
				if only != "" && d.Channel != only {
					continue
				}
				ch, err := st.Channel(a.ctx, d.Channel)
				if err != nil {
					return err
				}
				out = append(out, previewFor(a, st, p, ch, d, campaign))
			}
			if out == nil {
				out = []channelPreview{}
			}
			return a.emit(out, func(w io.Writer) error {
				if len(out) == 0 {
					fmt.Fprintf(w, "Post %s has no channel yet.\n", p.Slug)
				}
				for _, pv := range out {
					a.printPreview(w, pv)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&only, "channel", "", "only this channel")
	return cmd
}

func previewFor(a *app, st calendar.Store, p calendar.Post, ch calendar.Channel, d calendar.Delivery, campaign *calendar.Campaign) channelPreview {
	rp := scheduler.Render(p, ch, d, campaign)
	pv := channelPreview{Channel: ch.Name, Network: ch.Network, Link: rp.Link, Media: []string{}, Problems: []string{}, Warnings: []string{}}
	for i, m := range rp.Media {
		alt := m.Alt
		if strings.TrimSpace(alt) == "" {
			alt = "(no alt text)"
			pv.Warnings = append(pv.Warnings, fmt.Sprintf("media[%d]: %s has no alt text: people using a screen reader will not know what it shows", i, filepath.Base(m.Path)))
		}
		pv.Media = append(pv.Media, m.Path+" — "+alt)
	}
	// An OAuth channel nobody has logged in to yet cannot publish anything.
	if e, isOAuth, err := tokenExpiry(st, ch); isOAuth && err == nil && !e.Connected {
		pv.Warnings = append(pv.Warnings, fmt.Sprintf("%s is not connected yet: run `crieur channel login %s` before the post is due", ch.Name, ch.Name))
	}
	pub, err := validator(ch)
	if err != nil {
		pv.Problems = append(pv.Problems, err.Error())
		pv.Parts = append([]string{rp.Text}, rp.Thread...)
		return pv
	}
	if v, ok := pub.Preview(rp); ok {
		pv.Parts, pv.Counts, pv.Limit, pv.Unit, pv.Extra = v.Parts, v.Count, v.Limit, v.Unit, v.Extra
		for _, prob := range v.Problems {
			pv.Problems = append(pv.Problems, prob.String())
		}
	} else {
		pv.Parts = append([]string{rp.Text}, rp.Thread...)
		for _, part := range pv.Parts {
			pv.Counts = append(pv.Counts, publishers.CountRunes(part))
		}
		pv.Unit = "characters"
	}
	seen := map[string]bool{}
	for _, s := range pv.Problems {
		seen[s] = true
	}
	for _, prob := range append(pub.Validate(rp), pub.Threading(rp)...) {
		if !seen[prob.String()] {
			pv.Problems = append(pv.Problems, prob.String())
		}
	}
	pv.OK = len(pv.Problems) == 0
	return pv
}

func (a *app) printPreview(w io.Writer, pv channelPreview) {
	head := fmt.Sprintf("── %s (%s)", pv.Channel, pv.Network)
	fmt.Fprintln(w, a.paint("1", head))
	for i, part := range pv.Parts {
		count := ""
		if i < len(pv.Counts) {
			count = fmt.Sprintf("%d", pv.Counts[i])
			if pv.Limit > 0 {
				count += fmt.Sprintf("/%d", pv.Limit)
			}
			count += " " + pv.Unit
		}
		label := ""
		if len(pv.Parts) > 1 {
			label = fmt.Sprintf("part %d/%d, ", i+1, len(pv.Parts))
		}
		fmt.Fprintf(w, "[%s%s]\n%s\n", label, count, part)
	}
	if pv.Link != "" {
		fmt.Fprintf(w, "link: %s\n", pv.Link)
	}
	for _, m := range pv.Media {
		fmt.Fprintf(w, "media: %s\n", m)
	}
	if pv.Extra != "" {
		fmt.Fprintf(w, "%s\n", pv.Extra)
	}
	for _, warn := range pv.Warnings {
		fmt.Fprintln(w, a.paint("33", "⚠ "+warn))
	}
	switch {
	case pv.OK && len(pv.Warnings) == 0:
		fmt.Fprintln(w, a.paint("32", "✓ ready"))
	case pv.OK:
		fmt.Fprintln(w, a.paint("33", "✓ publishable, with the warnings above"))
	}
	for _, p := range pv.Problems {
		fmt.Fprintln(w, a.paint("31", "✗ "+p))
	}
	fmt.Fprintln(w)
}
