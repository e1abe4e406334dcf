package testsvc

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
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

func TestRequireService(t *testing.T) {
	for _, tt := range []struct{ ci, want string }{
		{"", "skip"}, {"false", "skip"}, {"0", "skip"}, {"nonsense", "skip"},
		{"true", "fatal"}, {"1", "fatal"}, {"TRUE", "fatal"},
	} {
		t.Run("CI="+tt.ci, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				RequireService(r, "Mailpit", "CRIEUR_MAILPIT_SMTP is unset")
				r.ended = "returned"
			}()
			<-done
			if r.ended != tt.want {
				t.Fatalf("ended %q, want %q", r.ended, tt.want)
			}
			if !strings.Contains(r.msg, "Mailpit") || !strings.Contains(r.msg, "CRIEUR_MAILPIT_SMTP is unset") {
				t.Errorf("message %q does not name the service and why", r.msg)
			}
		})
	}
}
