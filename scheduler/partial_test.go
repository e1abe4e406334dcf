package scheduler

import (
	"context"
	"testing"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// cutShort is a network whose threads stop at their second part, refused for
// good: the first part is live, and comes back with the error.
type cutShort struct{}

func (cutShort) Validate(publishers.Post) []publishers.Problem { return nil }

func (cutShort) Publish(context.Context, publishers.Post) (publishers.Result, error) {
	return publishers.Result{RemoteID: "first-part", RemoteURL: "https://social.example/first-part"},
		&publishers.Error{Class: publishers.Permanent, Status: 422, Message: "thread part 2/2: text too long"}
}

// TestThreadCutShortKeepsItsID: a delivery that failed with part of its
// thread live records the id of what went out, so a person can find it.
func TestThreadCutShortKeepsItsID(t *testing.T) {
	e := newEnv(t)
	e.channel("acme", "cut", nil)
	e.post("p1", t0, "acme")
	s := e.scheduler(Options{Factory: Factory{Lookup: func(name string) (publishers.Network, error) {
		return publishers.Network{Name: name, New: func(publishers.Config) (publishers.Publisher, error) { return cutShort{}, nil }}, nil
	}}})
	rep, err := s.RunOnce(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 1 || rep.Results[0].RemoteID != "first-part" {
		t.Errorf("report %+v: want failed, with the live part's id", rep)
	}
	d := e.delivery("p1", "acme")
	if d.Status != calendar.DeliveryFailed || d.RemoteID != "first-part" || d.RemoteURL != "https://social.example/first-part" || d.LastError == "" {
		t.Errorf("delivery %+v: want failed, keeping the live part's id and the error", d)
	}
}
