package discord

import (
	"context"
	"net/http"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// A thread whose second message fails with a 500 is resumed by `post retry`
// after its live message: the channel has each message once, in order.
func TestThreadResumesAfterAFailedPart(t *testing.T) {
	fake := &fakeDiscord{t: t}
	posts := 0
	pub := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if posts++; posts == 2 {
				w.WriteHeader(500)
				return
			}
		}
		fake.ServeHTTP(w, r)
	}), nil)
	var recorded []publishers.PartResult
	post := publishers.Post{Text: "One", Thread: []string{"Two", "Three"}, OnPart: func(r publishers.PartResult) error {
		recorded = append(recorded, r)
		return nil
	}}
	if _, err := pub.Publish(context.Background(), post); err == nil {
		t.Fatal("the first attempt did not fail")
	}
	if len(recorded) != 1 || recorded[0].Index != 0 || recorded[0].RemoteID != "1001" {
		t.Fatalf("messages confirmed before the failure = %+v, want message 1001", recorded)
	}
	post.Live = recorded
	res, err := pub.Publish(context.Background(), post)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.RemoteID != "1001" {
		t.Errorf("retry result %q, want the first message", res.RemoteID)
	}
	var got []string
	for _, run := range fake.recorded() {
		got = append(got, run.payload.Content)
	}
	if len(got) != 3 || got[0] != "One" || got[1] != "Two" || got[2] != "Three" {
		t.Errorf("the channel has %q, want One, Two, Three once each", got)
	}
	if len(recorded) != 3 {
		t.Errorf("messages confirmed = %+v, want 3", recorded)
	}
}
