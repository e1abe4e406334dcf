package sqlstore

import (
	"context"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"
)

// The PostgreSQL store's connections run without JIT compilation (a load's
// bulk INSERT … SELECT spent most of its time compiling under it) and
// without parallel workers (starting them cost a month view 4–10×).
func TestPostgresConnectionsWithoutJIT(t *testing.T) {
	ctx := context.Background()
	s, err := OpenURL(ctx, testsvc.Postgres(t), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for setting, want := range map[string]string{"jit": "off", "max_parallel_workers_per_gather": "0"} {
		var got string
		if err := s.db.QueryRowContext(ctx, `SHOW `+setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s is %q on the store's connections, want %q", setting, got, want)
		}
	}
}
