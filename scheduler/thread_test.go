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

// lookupThreadNet is a network of three-status threads that the adapter
// looks up (RetryLookup): Find reports a post found only when its whole
// thread is there; for a thread cut short it confirms the live parts
// (through Confirm) and reports it not found, as the Mastodon adapter does.
// With loseReply, the first call posts the first status and loses its reply.
type lookupThreadNet struct {
	threadNet
	loseReply bool
}

func (n *lookupThreadNet) Publish(ctx context.Context, p publishers.Post) (publishers.Result, error) {
	n.mu.Lock()
	if n.loseReply {
		n.loseReply = false
		n.statuses = append(n.statuses, threadStatus{id: strconv.Itoa(101 + len(n.statuses)), text: p.Text + " 1/3"})
		n.mu.Unlock()
		return publishers.Result{}, publishers.Transport(context.DeadlineExceeded)
	}
	n.failed = true // no failure on part 2 here
	n.mu.Unlock()
	return n.threadNet.Publish(ctx, p)
}

func (n *lookupThreadNet) Find(_ context.Context, p publishers.Post) (publishers.Result, bool, error) {
	n.mu.Lock()
	var chain []threadStatus
	for i := range 3 {
		want, replyTo := fmt.Sprintf("%s %d/3", p.Text, i+1), ""
		if i > 0 {
			replyTo = chain[i-1].id
		}
		for _, st := range n.statuses {
			if st.text == want && st.replyTo == replyTo {
				chain = append(chain, st)
				break
			}
		}
		if len(chain) == i {
			break
		}
	}
	n.mu.Unlock()
	res := func(st threadStatus) publishers.Result {
		return publishers.Result{RemoteID: st.id, RemoteURL: "https://social.example/@acme/" + st.id, PublishedAt: t0}
	}
	if len(chain) == 3 {
		return res(chain[0]), true, nil
	}
	for i, st := range chain {
		if err := p.Confirm(publishers.PartResult{Index: i, Result: res(st)}); err != nil {
			return publishers.Result{}, false, err
		}
	}
	return publishers.Result{}, false, nil
}

// A thread cut short after its first status, which the calendar did not
// record (the process died, or the reply was lost): the lookup finds the
// first status but not the thread; the retry posts only the missing parts,
// replying to it. Recording the delivery published after the first status
// would lose the rest; posting from part 1 again would post it twice.
func TestLookupResumesThreadCutShort(t *testing.T) {
	for _, crash := range []bool{true, false} {
		t.Run(map[bool]string{true: "process died", false: "reply lost"}[crash], func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			net := &lookupThreadNet{loseReply: !crash}
			factory := Factory{Lookup: func(name string) (publishers.Network, error) {
				return publishers.Network{Name: name, Safety: publishers.RetryLookup,
					New: func(publishers.Config) (publishers.Publisher, error) { return net, nil }}, nil
			}}
			e.channel("toot", "threads", nil)
			e.post("p1", t0, "toot")
			s := e.scheduler(Options{Factory: factory})
			if crash {
				// A process claimed it, posted the first status, and died.
				res, err := e.st.ClaimDue(ctx, calendar.ClaimOptions{Owner: "dead", Now: t0, Lease: time.Minute, Limit: 10})
				if err != nil || len(res.Claimed) != 1 {
					t.Fatalf("claim: %v %+v", err, res)
				}
				net.statuses = append(net.statuses, threadStatus{id: "101", text: "Hello from p1 1/3"})
				e.clock.Advance(time.Minute + time.Second)
			}
			for range 3 {
				if _, err := s.RunOnce(ctx, 0); err != nil {
					t.Fatal(err)
				}
				if d := e.delivery("p1", "toot"); d.Status != calendar.DeliveryPending {
					break
				}
				e.clock.Advance(time.Hour)
			}
			want := []threadStatus{{"101", "Hello from p1 1/3", ""}, {"102", "Hello from p1 2/3", "101"}, {"103", "Hello from p1 3/3", "102"}}
			if fmt.Sprint(net.statuses) != fmt.Sprint(want) {
				t.Errorf("the network has %v, want each part once, chained: %v", net.statuses, want)
			}
			d := e.delivery("p1", "toot")
			if d.Status != calendar.DeliveryPublished || d.RemoteID != "101" || len(d.Parts) != 3 {
				t.Errorf("status %s remote id %q parts %+v (%s), want published as 101 with 3 parts", d.Status, d.RemoteID, d.Parts, d.LastError)
			}
		})
	}
}
