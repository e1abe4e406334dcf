package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// A network an example in --help names (`--network NET`, lint's
// `--channel NAME=NET`) is one crieur has: copying the example works.
func TestExamplesNameKnownNetworks(t *testing.T) {
	a := &app{v: viper.New()}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		for _, line := range strings.Split(c.Example, "\n") {
			f := strings.Fields(line)
			for i := 0; i+1 < len(f); i++ {
				var net string
				switch {
				case f[i] == "--network":
					net = f[i+1]
				case f[i] == "--channel" && strings.Contains(f[i+1], "="):
					net = f[i+1][strings.Index(f[i+1], "=")+1:]
				default:
					continue
				}
				if _, err := network(net); err != nil {
					t.Errorf("%q: example %q: %v", c.CommandPath(), strings.TrimSpace(line), err)
				}
			}
		}
	}
	walk(a.rootCmd())
}
