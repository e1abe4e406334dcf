package main

import (
	"testing"

	"github.com/crieur/crieur/internal/initcost"
)

// Every command, `crieur version` included, pays for the initialisation of
// every crieur package: none compiles a regexp or builds a table before it is
// needed. (This package is left out: its test files' variables are
// initialised with it.)
func TestPackagesInitCheaply(t *testing.T) {
	costs := initcost.Trace(t, "github.com/crieur/crieur/", "github.com/crieur/crieur/cmd/crieur")
	initcost.Budget(t, costs, 4096)
	var total int64
	for _, c := range costs {
		total += c.Bytes
	}
	if total > 32<<10 {
		t.Errorf("crieur's packages allocate %d bytes in all when the program starts, over 32 KiB", total)
	}
}
