// Command crieur is an editorial calendar and post scheduler for the command line.
package main

import (
	"os"

	_ "github.com/crieur/crieur/internal/startstack" // see its doc: first, before the deep initialisers
	_ "time/tzdata"                                  // zones work on hosts without zoneinfo
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
