package scheduler

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// The pause after refused credentials says what mends the channel: the
// adapter's command, its words when no command mends it (a suspended
// account), or the generic advice.
func TestPauseReasonFix(t *testing.T) {
	for _, c := range []struct {
		fix, want string
	}{
		{"", "fix them with `crieur channel edit acme-x --secret …`, then `crieur resume acme-x`"},
		{"crieur channel login acme-x", "run `crieur channel login acme-x`, then `crieur resume acme-x`"},
		{"sign in at x.com as the account and follow X's steps until the restriction is lifted",
			"): sign in at x.com as the account and follow X's steps until the restriction is lifted, then `crieur resume acme-x`"},
	} {
		err := &publishers.Error{Class: publishers.Auth, Status: 403, Message: "refused", Fix: c.fix}
		out := (&Scheduler{}).failure(calendar.Delivery{}, publishers.Network{Name: "x"}, calendar.Channel{Name: "acme-x"}, err, false)
		if out.Kind != calendar.OutcomeAuth || !strings.Contains(out.PauseReason, c.want) {
			t.Errorf("fix %q: %s %q, want it to say %q", c.fix, out.Kind, out.PauseReason, c.want)
		}
	}
}
