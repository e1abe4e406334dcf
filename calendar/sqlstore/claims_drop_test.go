package sqlstore

import (
	"context"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A claim with Drop first cancels what a drop blackout holds (as
// DropBlackedOut does), then claims the rest; without Drop it leaves that
// to the caller. The blackout has ended: without the drop, its delivery
// would be claimed.
func TestClaimDropsFirst(t *testing.T) {
	engines := map[string]func(t *testing.T) *Store{
		"sqlite":     claimStore,
		"postgresql": func(t *testing.T) *Store { return pgStore(t, PostgresForTest(t)) },
	}
	for name, open := range engines {
		t.Run(name, func(t *testing.T) {
			for _, drop := range []bool{true, false} {
				ctx := context.Background()
				s := open(t)
				claimChannel(t, s, "a", func(c *calendar.Channel) { c.MaxLateness = 0 })
				held := claimPost(t, s, "held", c0.Add(-90*time.Minute), "a")
				claimPost(t, s, "free", c0.Add(-30*time.Minute), "a")
				if err := s.AddBlackout(ctx, &calendar.Blackout{StartsAt: c0.Add(-2 * time.Hour), EndsAt: c0.Add(-time.Hour), Reason: "off", Drop: true}); err != nil {
					t.Fatal(err)
				}
				r, err := s.ClaimDue(ctx, calendar.ClaimOptions{Owner: "me", Now: c0, Lease: time.Minute, Limit: 10, Drop: drop})
				if err != nil {
					t.Fatal(err)
				}
				p, err := s.Post(ctx, held.Slug)
				if err != nil {
					t.Fatal(err)
				}
				if drop {
					if r.Dropped != 1 || len(r.Claimed) != 1 || r.Claimed[0].PostID == held.ID || p.Deliveries[0].Status != calendar.DeliveryCanceled {
						t.Errorf("with Drop: dropped %d, claimed %+v, the held post's delivery %s; want 1 dropped (canceled), the other claimed",
							r.Dropped, r.Claimed, p.Deliveries[0].Status)
					}
					continue
				}
				if r.Dropped != 0 || len(r.Claimed) != 2 {
					t.Errorf("without Drop: dropped %d, claimed %d; want 0 and 2", r.Dropped, len(r.Claimed))
				}
			}
		})
	}
}
