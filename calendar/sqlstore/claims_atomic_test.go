package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// withClaimHook sets beforeClaimWrite for one test.
func withClaimHook(t *testing.T, hook func(ctx context.Context, tx *sql.Tx, ids []int64) error) {
	t.Helper()
	beforeClaimWrite = hook
	t.Cleanup(func() { beforeClaimWrite = nil })
}

// A row that changed between being picked and being taken (another claimer
// took it, a person canceled it) is not returned as claimed.
func TestClaimReturnsOnlyRowsItTook(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change string // run on the first picked row, inside the claim
	}{
		{"taken by another claimer", `UPDATE deliveries SET status='publishing', lease_owner='other', lease_expires_at=? WHERE id=?`},
		{"canceled meanwhile", `UPDATE deliveries SET status='canceled', run_at=NULL, lease_expires_at=? WHERE id=?`},
		{"pending but leased", `UPDATE deliveries SET lease_owner='other', lease_expires_at=? WHERE id=?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := claimStore(t)
			claimChannel(t, s, "a", nil)
			claimPost(t, s, "p1", c0.Add(-2*time.Second), "a")
			claimPost(t, s, "p2", c0.Add(-time.Second), "a")
			var changed int64
			withClaimHook(t, func(ctx context.Context, tx *sql.Tx, ids []int64) error {
				changed = ids[0]
				_, err := tx.ExecContext(ctx, tt.change, ms(c0.Add(time.Hour)), ids[0])
				return err
			})
			r := claim(t, s, "me", c0, 10)
			if len(r.Claimed) != 1 || r.Claimed[0].ID == changed {
				t.Fatalf("claimed %+v; want only the row that was not changed (%d)", r.Claimed, changed)
			}
			if d := r.Claimed[0]; d.Status != calendar.DeliveryPublishing || d.LeaseOwner != "me" {
				t.Errorf("claimed row %s leased to %q", d.Status, d.LeaseOwner)
			}
			var attempts int
			if err := s.db.QueryRowContext(ctx, `SELECT attempts FROM deliveries WHERE id=?`, changed).Scan(&attempts); err != nil || attempts != 0 {
				t.Errorf("the changed row's attempts = %d (%v), want 0", attempts, err)
			}
		})
	}
}

// ClaimExpired takes a row only if it still holds the expired lease it was
// picked with: a lease renewed meanwhile by its live owner stays with it.
func TestClaimExpiredSkipsALeaseRenewedMeanwhile(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p1", c0.Add(-2*time.Second), "a")
	claimPost(t, s, "p2", c0.Add(-time.Second), "a")
	r := claim(t, s, "slow", c0, 10)
	if len(r.Claimed) != 2 {
		t.Fatalf("claimed %d, want 2", len(r.Claimed))
	}
	later := c0.Add(2 * time.Minute)
	var renewed int64
	withClaimHook(t, func(ctx context.Context, tx *sql.Tx, ids []int64) error {
		renewed = ids[0]
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_expires_at=? WHERE id=?`, ms(later.Add(time.Minute)), ids[0])
		return err
	})
	taken, err := s.ClaimExpired(ctx, "rescuer", later, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(taken) != 1 || taken[0].ID == renewed || taken[0].LeaseOwner != "rescuer" {
		t.Fatalf("ClaimExpired took %+v; want only the row not renewed (%d)", taken, renewed)
	}
	d, _ := s.Delivery(ctx, renewed)
	if d.LeaseOwner != "slow" {
		t.Errorf("the renewed lease moved to %q", d.LeaseOwner)
	}
}

// ExtendLeases extends only the leases the owner holds and names the others.
func TestExtendLeasesReportsLostLeases(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	claimPost(t, s, "p1", c0.Add(-2*time.Second), "a")
	claimPost(t, s, "p2", c0.Add(-time.Second), "a")
	r := claim(t, s, "me", c0, 10)
	mine, gone := r.Claimed[0].ID, r.Claimed[1].ID
	if _, err := s.db.ExecContext(ctx, `UPDATE deliveries SET lease_owner='rescuer' WHERE id=?`, gone); err != nil {
		t.Fatal(err)
	}
	until := c0.Add(10 * time.Minute)
	lost, err := s.ExtendLeases(ctx, "me", []int64{mine, gone}, until)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(lost) != fmt.Sprint([]int64{gone}) {
		t.Errorf("lost %v, want [%d]", lost, gone)
	}
	for id, want := range map[int64]time.Time{mine: until, gone: c0.Add(time.Minute)} {
		d, _ := s.Delivery(ctx, id)
		if d.LeaseExpiresAt == nil || !d.LeaseExpiresAt.Equal(want) {
			t.Errorf("delivery %d lease until %v, want %v", id, d.LeaseExpiresAt, want)
		}
	}
}

// Two claimers on separate stores over one file, racing for expired leases:
// each is taken over exactly once.
func TestClaimExpiredIsExclusiveAcrossStores(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "a", nil)
	for i := range 60 {
		claimPost(t, s, fmt.Sprintf("p%03d", i), c0.Add(-time.Duration(i)*time.Second), "a")
	}
	if r := claim(t, s, "dead", c0, 100); len(r.Claimed) != 60 {
		t.Fatalf("claimed %d, want 60", len(r.Claimed))
	}
	other, err := OpenURL(ctx, s.Path(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	later := c0.Add(2 * time.Minute)
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for w, st := range []*Store{s, other, s, other} {
		owner := fmt.Sprintf("r%d", w)
		wg.Go(func() {
			for {
				taken, err := st.ClaimExpired(ctx, owner, later, time.Minute, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(taken) == 0 {
					return
				}
				mu.Lock()
				for _, d := range taken {
					if prev, dup := seen[d.ID]; dup {
						t.Errorf("delivery %d taken over by %s and %s", d.ID, prev, owner)
					}
					seen[d.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Errorf("took over %d deliveries, want 60", len(seen))
	}
}
