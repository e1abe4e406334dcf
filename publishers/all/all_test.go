package all

import (
	"testing"

	"github.com/crieur/crieur/publishers"
)

// Each network the binary promises (DESIGN.md's channel settings) is
// registered once this package is imported, with a constructor.
func TestRegistered(t *testing.T) {
	for _, name := range []string{"bluesky", "devto", "discord", "feed", "ghost", "log", "mastodon", "newsletter", "slack", "telegram", "webhook", "wordpress"} {
		nw, err := publishers.Lookup(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if nw.New == nil || nw.Description == "" {
			t.Errorf("%s: registered without a constructor or a description", name)
		}
	}
}
