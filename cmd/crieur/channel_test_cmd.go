package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
	"github.com/spf13/cobra"
)

func init() { registerVerb("channel", newChannelTestCmd) }

func newChannelTestCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a channel's credentials with the network; posts nothing",
		Long: `Check a channel's settings and credentials with the network's cheapest
authenticated read (e.g. Mastodon's verify_credentials, Bluesky's getSession).
Nothing is posted. What the check learns of the network that offline checks
need (a Mastodon instance's limits: max_characters,
characters_reserved_per_url, …) is stored in the channel's settings, so that
"post new" and "post preview" count as the instance does.`,
		Example: `  crieur channel test acme-mastodon`,
		Args:    exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			ch, err := st.Channel(a.ctx, args[0])
			if err != nil {
				return err
			}
			pub, nw, err := scheduler.Factory{Out: io.Discard, Zone: a.calendarZone()}.Publisher(a.ctx, st, ch)
			if err != nil {
				return err
			}
			chk, ok := pub.(publishers.Checker)
			if !ok {
				return fmt.Errorf("%s channels cannot be checked without posting; their settings are complete", nw.Name)
			}
			ctx, cancel := context.WithTimeout(a.ctx, 30*time.Second)
			defer cancel()
			msg, err := chk.Check(ctx)
			doc := map[string]any{"channel": ch.Name, "network": ch.Network, "ok": err == nil, "message": msg}
			if err != nil {
				class, _ := publishers.Classify(err)
				doc["error"], doc["class"] = err.Error(), class.String()
				if a.format() != "table" {
					_ = a.emit(doc, nil)
				}
				return fmt.Errorf("channel %s: %w", ch.Name, err)
			}
			stored, err := keepLearned(a, st, &ch, pub)
			if err != nil {
				return err
			}
			if len(stored) > 0 {
				doc["stored"] = stored
			}
			return a.emit(doc, func(w io.Writer) error {
				if _, err := fmt.Fprintf(w, "✓ %s: %s\n", ch.Name, msg); err != nil {
					return err
				}
				if len(stored) > 0 && !a.quiet() {
					var kv []string
					for _, k := range sortedKeys(stored) {
						kv = append(kv, k+"="+stored[k])
					}
					_, err := fmt.Fprintf(w, "  stored in its settings: %s\n", strings.Join(kv, ", "))
					return err
				}
				return nil
			})
		},
	}
}

// keepLearned stores in the channel's settings what a check learned of the
// network (publishers.Learner), and returns the settings that changed.
func keepLearned(a *app, st calendar.Store, ch *calendar.Channel, pub publishers.Publisher) (map[string]string, error) {
	l, ok := pub.(publishers.Learner)
	if !ok {
		return nil, nil
	}
	changed := map[string]string{}
	for k, v := range l.Learned() {
		if ch.Settings[k] != v {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if ch.Settings == nil {
		ch.Settings = map[string]string{}
	}
	for k, v := range changed {
		ch.Settings[k] = v
	}
	if err := st.UpdateChannel(a.ctx, ch); err != nil {
		return nil, fmt.Errorf("channel %s: storing what the check learned: %w", ch.Name, err)
	}
	return changed, nil
}
