package main

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// Each registered command's constructor is named after the command it
// makes (commandName), which is how a process finds the one command it
// runs without building the others; a function literal is not read
// (its command is found in the whole tree).
func TestCommandNames(t *testing.T) {
	a := &app{v: viper.New(), out: io.Discard, errOut: io.Discard}
	named := 0
	for _, f := range commands {
		got, want := commandName(f), f(a).Name()
		if got != "" {
			named++
		}
		if got != "" && got != want {
			t.Errorf("the constructor of %q is read as %q: name it new%sCmd", want, got, strings.ToUpper(want[:1])+want[1:])
		}
	}
	if named < len(commands)-2 {
		t.Errorf("%d of %d constructors are read", named, len(commands))
	}
}

// A process builds only the command its arguments run, after the global
// flags (with their values); anything it cannot tell gets the whole tree.
func TestRootCmdForBuildsTheCommandRun(t *testing.T) {
	a := &app{v: viper.New(), out: io.Discard, errOut: io.Discard}
	all := len(a.rootCmd().Commands())
	for _, tt := range []struct {
		args string
		want string // the only command built; "" for all of them
	}{
		{"post list --limit 50", "post"},
		{"-o json post list", "post"},
		{"--output json calendar --month 2026-11", "calendar"},
		{"--db /tmp/x.db -q channel list", "channel"},
		{"--db=/tmp/x.db --no-color version", "version"},
		{"--tz Europe/Paris -v db copy", "db"},
		{"", ""},
		{"help post", ""},
		{"completion bash", ""},
		{"cal --month 2026-11", ""}, // an alias
		{"pst list", ""},            // a mistake: suggestions need them all
		{"--help", ""},              // cobra's own flag
		{"-qv version", ""},         // not told apart here
		{"--db", ""},                // a flag without its value
		{"--limit 5 post list", ""}, // not a global flag
		{"-- post list", ""},
	} {
		root := a.rootCmdFor(strings.Fields(tt.args))
		var names []string
		for _, c := range root.Commands() {
			names = append(names, c.Name())
		}
		if tt.want == "" {
			if len(names) != all {
				t.Errorf("%q built %v, want all %d commands", tt.args, names, all)
			}
		} else if len(names) != 1 || names[0] != tt.want {
			t.Errorf("%q built %v, want %s alone", tt.args, names, tt.want)
		}
	}
}
