package main

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/internal/initcost"
)

// The main goroutine's stack is grown once (internal/startstack) before any
// package outside the standard library is initialised, and so before the
// dependencies whose initialisers recurse deeply (goldmark's parser compiles
// regular expressions about 2,500 frames deep): they then run without the
// stack doubling six times beneath them.
func TestStackGrownBeforeTheDependenciesStart(t *testing.T) {
	const pkg = "github.com/crieur/crieur/internal/startstack"
	costs := initcost.Trace(t, "", "github.com/crieur/crieur/cmd/crieur")
	at := -1
	for i, c := range costs {
		if c.Package == pkg {
			at = i
			break
		}
	}
	if at < 0 {
		t.Fatalf("%s is not initialised: is it imported by package main?", pkg)
	}
	var deep bool
	for _, c := range costs[:at] {
		if first, _, _ := strings.Cut(c.Package, "/"); strings.Contains(first, ".") {
			t.Errorf("%s is initialised before %s", c.Package, pkg)
		}
	}
	for _, c := range costs[at+1:] {
		deep = deep || c.Package == "github.com/yuin/goldmark/parser"
	}
	if !deep {
		t.Errorf("github.com/yuin/goldmark/parser is not initialised after %s", pkg)
	}
}
