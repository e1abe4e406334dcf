package sqlstore

import (
	"context"
	"testing"

	"github.com/crieur/crieur/internal/testsvc"
)

// The PostgreSQL store's connections run without JIT compilation: a load's
// bulk INSERT … SELECT spent most of its time compiling under it.
func TestPostgresConnectionsWithoutJIT(t *testing.T) {
	ctx := context.Background()
	s, err := OpenURL(ctx, testsvc.Postgres(t), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var jit string
	if err := s.db.QueryRowContext(ctx, `SHOW jit`).Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Errorf("jit is %q on the store's connections, want off", jit)
	}
}
