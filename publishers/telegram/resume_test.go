package telegram

import (
	"context"
	"net/http"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// A thread whose second message fails with a 500 is resumed by `post retry`
// after its live message, replying to it: the chat has each message once.
func TestThreadResumesAfterAFailedPart(t *testing.T) {
	fake := newFakeBot(t)
	n := 0
	pub := newPublisher(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n++; n == 2 {
			answerError(w, 500, "Internal Server Error", "")
			return
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
	if len(recorded) != 1 || recorded[0].Index != 0 || recorded[0].RemoteID != "1" {
		t.Fatalf("messages confirmed before the failure = %+v, want message 1", recorded)
	}
	post.Live = recorded
	res, err := pub.Publish(context.Background(), post)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.RemoteID != "1" {
		t.Errorf("retry result %q, want the first message", res.RemoteID)
	}
	var got []string
	for _, c := range fake.recorded() {
		got = append(got, c.fields["text"]+" ↩"+c.fields["reply_parameters"])
	}
	want := []string{"One ↩", `Two ↩{"message_id":1}`, `Three ↩{"message_id":2}`}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("the chat has %q, want each message once, chained: %q", got, want)
	}
	if len(recorded) != 3 {
		t.Errorf("messages confirmed = %+v, want 3", recorded)
	}
}
