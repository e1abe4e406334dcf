package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/scheduler"
)

func init() { registerVerb("channel", newChannelTestCmd) }

func newChannelTestCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Check a channel's credentials with the network; posts nothing",
		Long: `Check a channel's settings and credentials with the network's cheapest
authenticated read (e.g. Mastodon's verify_credentials, Bluesky's getSession).
Nothing is posted.`,
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
			pub, nw, err := scheduler.Factory{Out: io.Discard}.Publisher(a.ctx, st, ch)
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
			return a.emit(doc, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "✓ %s: %s\n", ch.Name, msg)
				return err
			})
		},
	}
}
