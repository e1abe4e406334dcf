package bluesky

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// A thread whose second part fails with a 500 is resumed by the retry (from
// another process: a new publisher) after its live part, replying to it: the
// PDS has each part once, chained, and part 1 is not even asked for again.
func TestThreadResumesAfterAFailedPart(t *testing.T) {
	for _, withCID := range []bool{true, false} {
		name := "cid recorded"
		if !withCID {
			name = "cid read back"
		}
		t.Run(name, func(t *testing.T) {
			clock := &testClock{now: epoch}
			f := newFakePDS(t, clock)
			srv := httptest.NewServer(f)
			t.Cleanup(srv.Close)
			ctx := context.Background()
			post := testPost(t)
			var recorded []publishers.PartResult
			post.OnPart = func(r publishers.PartResult) error {
				recorded = append(recorded, r)
				return nil
			}
			f.failCreate = map[int]fakeFault{1: {status: 500, body: `{"error":"InternalServerError","message":"Internal Server Error"}`}}
			_, err := newPublisher(t, srv.URL, clock, f.password).Publish(ctx, post)
			if class, _ := publishers.Classify(err); err == nil || class != publishers.Transient {
				t.Fatalf("first attempt: err = %v, want a transient failure on part 2", err)
			}
			first := f.uri(recordKey("delivery-42", 0))
			if len(recorded) != 1 || recorded[0].Index != 0 || recorded[0].RemoteID != first || recorded[0].Ref == "" {
				t.Fatalf("parts confirmed before the failure = %+v, want part 0 (%s) with its CID", recorded, first)
			}
			post.Live = append([]publishers.PartResult(nil), recorded...)
			if !withCID {
				post.Live[0].Ref = ""
			}
			res, err := newPublisher(t, srv.URL, clock, f.password).Publish(ctx, post)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if res.RemoteID != first {
				t.Errorf("retry result %s, want the first part's %s", res.RemoteID, first)
			}
			posts := f.posts()
			if len(posts) != 2 {
				t.Fatalf("the PDS has %d records, want the 2 parts once each", len(posts))
			}
			reply, _ := posts[1]["reply"].(map[string]any)
			root, _ := reply["root"].(map[string]any)
			parent, _ := reply["parent"].(map[string]any)
			if root["uri"] != first || parent["uri"] != first || root["cid"] == "" || root["cid"] == nil {
				t.Errorf("part 2 replies to %v (root %v), want part 1 %s with its CID", parent, root, first)
			}
			if n := f.count("com.atproto.repo.createRecord"); n != 3 {
				t.Errorf("createRecord called %d times, want 3 (part 1, failed part 2, part 2)", n)
			}
			if len(recorded) != 2 || recorded[1].Index != 1 {
				t.Errorf("parts confirmed = %+v, want 0 then 1", recorded)
			}
		})
	}
}
