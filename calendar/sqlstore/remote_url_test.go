package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"testing"

	calendar "github.com/crieur/crieur/calendar"
)

// A network's reply (a webhook may answer anything) never puts a hostile
// address in the calendar: it is dropped, with a note in the history.
func TestRecordOutcomeDropsANonWebRemoteURL(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "hook", nil)
	claimPost(t, s, "p", c0, "hook")
	d := claim(t, s, "me", c0, 1).Claimed[0]
	bad := "https://example.com/x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
	if err := s.RecordOutcome(ctx, d, "me", calendar.Outcome{Kind: calendar.OutcomePublished, RemoteID: "r1", RemoteURL: bad}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Delivery(ctx, d.ID)
	if got.Status != calendar.DeliveryPublished || got.RemoteID != "r1" || got.RemoteURL != "" {
		t.Errorf("delivery %s id %q url %q, want published r1 with no URL", got.Status, got.RemoteID, got.RemoteURL)
	}
	evs, _ := s.PostHistory(ctx, d.PostID)
	noted := false
	for _, e := range evs {
		if strings.Contains(fmt.Sprint(e.Detail), "BEGIN:VEVENT") {
			t.Errorf("the refused address is in the history: %s", e.Kind)
		}
		noted = noted || (e.Kind == "delivery.published" && e.Detail["note"] == calendar.RemoteURLRefused)
	}
	if !noted {
		t.Error("no note in the history says the address was refused")
	}
}
