package main

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/calendar"
)

// TestMetaContainerSurvivesACrash: on Threads and Instagram the attempt
// dies between the container and its publishing (the publish call gets no
// reply). The container was recorded first, so the next `crieur publish
// --due` publishes that container instead of making a second post: as many
// containers as posts, each post once.
func TestMetaContainerSurvivesACrash(t *testing.T) {
	edges := map[string]string{"threads": "/v1.0/" + threadsUser + "/threads", "instagram": "/v25.0/" + instagramUser + "/media"}
	for _, nc := range networkCases() {
		edge, ok := edges[nc.network]
		if !ok {
			continue
		}
		t.Run(nc.network, func(t *testing.T) {
			env := newE2E(t, nc)
			env.addPost(false)
			env.fake.setFault(nc.faults.at(fault{drop: true}))
			rep, _ := env.publish(nil)
			if rep.Retried != 1 || rep.Results[0].Outcome != calendar.OutcomeRetry {
				t.Fatalf("report %+v: want a retry", rep)
			}
			// The container is recorded as a part with no remote id (its
			// reference is not shown): not live.
			if d := env.delivery(); len(d.Parts) != 1 || d.Parts[0].RemoteID != "" {
				t.Fatalf("parts %+v: want the first container recorded, not live", d.Parts)
			}
			if show := env.cli("post", "show", env.post().Slug); strings.Contains(show, "parts live") {
				t.Errorf("post show lists a container that was never published as live:\n%s", show)
			}
			env.fake.setFault(fault{})
			env.wantPublishedAfterRetry(&rep.Results[0].RetryAt, 2)
			made, posts := len(env.fake.calls("POST", edge)), metaOf(env.fake).published()
			if made != len(posts) {
				t.Errorf("%d containers for %d posts: the crashed attempt's container was not reused", made, len(posts))
			}
		})
	}
}
