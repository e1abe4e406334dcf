package scheduler

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/publishers"
)

// threadNet is a network of threads: each post is three statuses, each
// replying to the one before; the second status of the first attempt fails
// with a 500, once.
type threadNet struct {
	mu       sync.Mutex
	statuses []threadStatus
	failed   bool
}

type threadStatus struct {
	id, text, replyTo string
}

func (n *threadNet) Validate(publishers.Post) []publishers.Problem { return nil }

func (n *threadNet) Publish(_ context.Context, p publishers.Post) (publishers.Result, error) {
	parts := []string{p.Text + " 1/3", p.Text + " 2/3", p.Text + " 3/3"}
	next, live := p.Resume()
	var first publishers.Result
	replyTo := ""
	if next > 0 {
		first, replyTo = live[0].Result, live[next-1].RemoteID
	}
	for i := next; i < len(parts); i++ {
		n.mu.Lock()
		if i == 1 && !n.failed {
			n.failed = true
			n.mu.Unlock()
			return first, &publishers.Error{Class: publishers.Transient, Status: 500, Message: "Internal Server Error"}
		}
		id := strconv.Itoa(101 + len(n.statuses))
		n.statuses = append(n.statuses, threadStatus{id: id, text: parts[i], replyTo: replyTo})
		n.mu.Unlock()
		res := publishers.Result{RemoteID: id, RemoteURL: "https://social.example/@acme/" + id, PublishedAt: t0}
		if i == 0 {
			first = res
		}
		replyTo = id
		if err := p.Confirm(publishers.PartResult{Index: i, Result: res}); err != nil {
			return first, err
		}
	}
	return first, nil
}

// A thread that fails on part 2: the live part's id is in the calendar while
// the delivery waits to retry, the retry resumes at part 2 replying to part 1,
// and the delivery's remote id is the first part's.
func TestThreadResumesFromTheFirstPartNotLive(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	net := &threadNet{}
	factory := Factory{Lookup: func(name string) (publishers.Network, error) {
		return publishers.Network{Name: name, Safety: publishers.RetryIdempotent,
			New: func(publishers.Config) (publishers.Publisher, error) { return net, nil }}, nil
	}}
	e.channel("toot", "threads", nil)
	e.post("p1", t0, "toot")
	s := e.scheduler(Options{Factory: factory})

	rep, err := s.RunOnce(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Retried != 1 {
		t.Fatalf("first run: %+v, want a retry", rep.Results)
	}
	d := e.delivery("p1", "toot")
	if d.Status != calendar.DeliveryPending || d.RemoteID != "101" || d.RemoteURL != "https://social.example/@acme/101" {
		t.Errorf("waiting to retry: status %s remote %q %q, want pending with the live part's id 101", d.Status, d.RemoteID, d.RemoteURL)
	}
	parts, err := e.st.DeliveryParts(ctx, d.ID)
	if err != nil || len(parts) != 1 || parts[0].Index != 0 || parts[0].RemoteID != "101" {
		t.Fatalf("parts while waiting to retry: %+v, %v; want part 1 (101)", parts, err)
	}
	if h := e.history("p1"); !contains(h, "delivery.part") {
		t.Errorf("history %v does not show the live part", h)
	}

	e.clock.Advance(time.Hour)
	if rep, err = s.RunOnce(ctx, 0); err != nil || rep.Published != 1 {
		t.Fatalf("retry: %+v, %v", rep.Results, err)
	}
	want := []threadStatus{{"101", "Hello from p1 1/3", ""}, {"102", "Hello from p1 2/3", "101"}, {"103", "Hello from p1 3/3", "102"}}
	if fmt.Sprint(net.statuses) != fmt.Sprint(want) {
		t.Errorf("the network has %v, want each part once, chained: %v", net.statuses, want)
	}
	d = e.delivery("p1", "toot")
	if d.Status != calendar.DeliveryPublished || d.RemoteID != "101" {
		t.Errorf("after the retry: status %s remote id %q, want published with the first part's 101", d.Status, d.RemoteID)
	}
	if len(d.Parts) != 3 || d.Parts[2].RemoteID != "103" {
		t.Errorf("the post shows parts %+v, want 3", d.Parts)
	}
}
