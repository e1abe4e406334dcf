package scheduler

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// A report's instants are UTC, as every JSON instant crieur prints, even
// when the machine's clock reads another zone.
func TestReportTimesAreUTC(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zoneinfo:", err)
	}
	e := newEnv(t)
	e.clock.mu.Lock()
	e.clock.now = e.clock.now.In(paris)
	e.clock.mu.Unlock()
	nw := newNetwork(t, true)
	nw.Fault = func(string, int) (int, http.Header, string) { return 500, nil, "boom" }
	e.channel("acme", "http", nil)
	e.post("p1", t0, "acme")
	s := e.scheduler(Options{Factory: Factory{Lookup: func(string) (publishers.Network, error) {
		return httpNetwork("http", nw.srv.URL, publishers.RetryIdempotent, 5*time.Second), nil
	}}})
	rep, err := s.RunOnce(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].RetryAt.IsZero() {
		t.Fatalf("results %+v, want one retry", rep.Results)
	}
	if loc := rep.Results[0].RetryAt.Location(); loc != time.UTC {
		t.Errorf("retry_at in %v, want UTC", loc)
	}
}
