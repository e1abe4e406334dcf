package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// The daemon publishes nothing inside a blackout: a held delivery goes out
// when it ends; one inside a --drop blackout is canceled.
func TestBlackoutsHoldOrDrop(t *testing.T) {
	ctx := context.Background()
	for _, drop := range []bool{false, true} {
		e := newEnv(t)
		e.channel("acme", "fake", nil)
		e.post("p1", t0, "acme")
		b := &calendar.Blackout{StartsAt: t0.Add(-time.Hour), EndsAt: t0.Add(time.Hour), Reason: "mourning", Drop: drop}
		if err := e.st.AddBlackout(ctx, b); err != nil {
			t.Fatal(err)
		}
		s := e.scheduler(Options{})
		if _, err := s.RunOnce(ctx, 0); err != nil {
			t.Fatal(err)
		}
		d := e.delivery("p1", "acme")
		if len(e.fakes["fake"].Posts()) != 0 {
			t.Fatalf("drop=%v: published inside a blackout", drop)
		}
		if drop {
			if d.Status != calendar.DeliveryCanceled {
				t.Fatalf("drop: delivery %s, want canceled", d.Status)
			}
			continue
		}
		if d.Status != calendar.DeliveryPending {
			t.Fatalf("hold: delivery %s, want pending", d.Status)
		}
		e.clock.Advance(time.Hour)
		if _, err := s.RunOnce(ctx, 0); err != nil {
			t.Fatal(err)
		}
		if d := e.delivery("p1", "acme"); d.Status != calendar.DeliveryPublished {
			t.Fatalf("after the blackout: %s, want published", d.Status)
		}
	}
}
