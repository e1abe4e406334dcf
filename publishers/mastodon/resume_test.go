package mastodon

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

// A thread whose second part fails with a 500 is resumed by the retry from
// that part, replying to the first: the instance (here one that ignores
// Idempotency-Key, as GoToSocial does) has each part once, chained.
func TestThreadResumesAfterAFailedPart(t *testing.T) {
	f := newFake(t)
	failed := false
	ignoring := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/v1/statuses" {
			r.Header.Del("Idempotency-Key") // the server ignores it
			f.mu.Lock()
			second := len(f.statuses) == 1
			f.mu.Unlock()
			if second && !failed {
				failed = true
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
		}
		f.ServeHTTP(w, r)
	})
	np, err := New(config(publishertest.Server(t, ignoring).URL))
	if err != nil {
		t.Fatal(err)
	}
	p := np.(*Publisher)
	p.PollInterval = time.Millisecond

	var recorded []publishers.PartResult
	post := suitePost
	post.OnPart = func(r publishers.PartResult) error {
		recorded = append(recorded, r)
		return nil
	}
	_, err = p.Publish(context.Background(), post)
	if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
		t.Fatalf("first attempt: err = %v, want a transient failure on part 2", err)
	}
	if len(recorded) != 1 || recorded[0].Index != 0 || recorded[0].RemoteID != "101" {
		t.Fatalf("parts confirmed before the failure = %+v, want part 0 (101)", recorded)
	}

	// The retry, as the scheduler makes it: the live parts come from the calendar.
	post.Live = recorded
	res, err := p.Publish(context.Background(), post)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if res.RemoteID != "101" || res.RemoteURL != "https://social.example/@crieur/101" {
		t.Errorf("retry result = %+v, want the first part's id", res)
	}
	want := []statusRequest{
		{Status: "Spring is here and our bikes are 20% off this week only. Read the details at https://shop.example/bikes/spring-sale-2026?utm_source=mastodon#list before Friday. 1/2", MediaIDs: []string{"m1"}, Visibility: "unlisted"},
		{Status: "Thanks @alice@bikes.example for the photos! 2/2", Visibility: "unlisted", InReplyToID: "101"},
		{Status: "Questions? Reply here.", Visibility: "unlisted", InReplyToID: "102"},
	}
	if !reflect.DeepEqual(f.statuses, want) {
		t.Errorf("the instance has\n%+v\nwant each part once, chained:\n%+v", f.statuses, want)
	}
	var got []int
	for _, r := range recorded {
		got = append(got, r.Index)
	}
	if !reflect.DeepEqual(got, []int{0, 1, 2}) {
		t.Errorf("parts confirmed = %v, want 0, 1, 2", got)
	}
}
