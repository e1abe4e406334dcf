package all

import (
	"testing"

	"github.com/crieur/crieur/internal/initcost"
)

// Every command starts by initialising every adapter: registering one is a
// name and a constructor, and anything heavy (regexps, a Markdown engine,
// tables) is built on first use.
func TestAdaptersInitCheaply(t *testing.T) {
	costs := initcost.Trace(t, "github.com/crieur/crieur/", "github.com/crieur/crieur/publishers/all")
	initcost.Budget(t, costs, 4096)
	for _, want := range []string{"github.com/crieur/crieur/publishers", "github.com/crieur/crieur/publishers/slack"} {
		found := false
		for _, c := range costs {
			found = found || c.Package == want
		}
		if !found {
			t.Errorf("the init trace does not name %s", want)
		}
	}
}
