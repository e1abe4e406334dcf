package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// Every command a person can run shows a real example in its --help, and
// every example names a command that exists.
func TestEveryCommandHasAnExample(t *testing.T) {
	a := &app{v: viper.New()}
	root := a.rootCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.Hidden || c.Name() == "help" || strings.HasPrefix(c.CommandPath(), "crieur completion") {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%q has no example in its --help", c.CommandPath())
			return
		}
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "crieur ") {
				continue
			}
			if !strings.HasPrefix(line, c.CommandPath()) {
				t.Errorf("%q: example %q is for another command", c.CommandPath(), line)
			}
		}
	}
	walk(root)
}

// --help works for every command and exits 0.
func TestHelpRuns(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"post", "new", "--help"}, {"daemon", "--help"}, {"import", "--help"}} {
		var out, errOut bytes.Buffer
		if code := run(args, nil, &out, &errOut); code != 0 || !strings.Contains(out.String(), "Examples:") {
			t.Errorf("crieur %v: exit %d, output %q", args, code, out.String())
		}
	}
}
