package main

import (
	"fmt"
	"strings"

	"github.com/crieur/crieur/internal/suggest"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// suggestFlag adds to an "unknown flag: --campain" error the flag of cmd
// it is closest to ("did you mean --campaign?"), if one is a letter or two
// away or starts the same way; err as it was otherwise.
func suggestFlag(cmd *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok || name == "" {
		return err
	}
	if name == "at" && cmd.CommandPath() == "crieur post edit" {
		return fmt.Errorf("%w: post edit does not change a post's time: use `crieur post schedule REF --at WHEN` (or `crieur post move REF --to WHEN`)", err)
	}
	best, bestD := "", 3
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := suggest.Distance(name, f.Name)
		if d > 2 && len(name) >= 3 && strings.HasPrefix(f.Name, name) {
			d = 2
		}
		// A short name is not a typo of another short one it shares no
		// letter with (--at is not --db): at most half its letters wrong.
		if d < bestD && 2*d <= len(name) {
			best, bestD = f.Name, d
		}
	}
	cmd.Flags().VisitAll(visit)
	cmd.InheritedFlags().VisitAll(visit)
	if best == "" {
		return err
	}
	return fmt.Errorf("%w (did you mean --%s?)", err, best)
}
