package testsvc

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// recorder is a testing.TB that records how a test ended.
type recorder struct {
	testing.TB
	ended string // "fatal" or "skip"
	msg   string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.ended, r.msg = "fatal", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.ended, r.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// record runs fn on a recorder, in a goroutine of its own as a test's
// Fatal and Skip end it; how it ended is "returned" when fn returned.
func record(t *testing.T, fn func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(r)
		r.ended = "returned"
	}()
	<-done
	return r
}

func TestRequireService(t *testing.T) {
	for _, tt := range []struct{ ci, want string }{
		{"", "skip"}, {"false", "skip"}, {"0", "skip"}, {"nonsense", "skip"},
		{"true", "fatal"}, {"1", "fatal"}, {"TRUE", "fatal"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := record(t, func(r testing.TB) { RequireService(r, "Mailpit", "CRIEUR_MAILPIT_SMTP is unset") })
			if r.ended != tt.want {
				t.Fatalf("ended %q, want %q", r.ended, tt.want)
			}
			if !strings.Contains(r.msg, "Mailpit") || !strings.Contains(r.msg, "CRIEUR_MAILPIT_SMTP is unset") {
				t.Errorf("message %q does not name the service and why", r.msg)
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	StopPostgres()
	os.Exit(code)
}

// Postgres gives each caller its own empty database on a live server.
func TestPostgres(t *testing.T) {
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatalf("two calls gave the same database %s", a)
	}
	ctx := context.Background()
	ca, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close(ctx)
	if _, err := ca.Exec(ctx, "CREATE TABLE x (n int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	cb, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer cb.Close(ctx)
	var n int
	if err := cb.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("the second database sees the first one's table (n=%d, err=%v)", n, err)
	}
}
