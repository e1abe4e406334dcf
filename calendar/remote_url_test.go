package calendar

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestWebURL(t *testing.T) {
	for s, want := range map[string]bool{
		"https://example.com/p/1":                      true,
		"http://127.0.0.1:8080/x?a=1&b=2":              true,
		"":                                             false,
		"javascript:alert(1)":                          false,
		"file:///etc/passwd":                           false,
		"https://example.com/x\r\nBEGIN:VEVENT":        false,
		"https://example.com/x\nEND:VCALENDAR":         false,
		"https://exa mple.com/":                        false,
		"https://example.com/\x1b]52;c;aGk=\x07":       false,
		"https:///no-host":                             false,
		"//example.com/relative":                       false,
		"https://example.com/\u0085next-line-in-utf-8": false,
	} {
		if got := WebURL(s); got != want {
			t.Errorf("WebURL(%q) = %v, want %v", s, got, want)
		}
	}
}

// A network's reply (a webhook may answer anything) never puts a hostile
// address in the calendar: it is dropped, with a note in the history.
func TestRecordOutcomeDropsANonWebRemoteURL(t *testing.T) {
	ctx := context.Background()
	s := claimStore(t)
	claimChannel(t, s, "hook", nil)
	claimPost(t, s, "p", c0, "hook")
	d := claim(t, s, "me", c0, 1).Claimed[0]
	bad := "https://example.com/x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
	if err := s.RecordOutcome(ctx, d, "me", Outcome{Kind: OutcomePublished, RemoteID: "r1", RemoteURL: bad}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Delivery(ctx, d.ID)
	if got.Status != DeliveryPublished || got.RemoteID != "r1" || got.RemoteURL != "" {
		t.Errorf("delivery %s id %q url %q, want published r1 with no URL", got.Status, got.RemoteID, got.RemoteURL)
	}
	evs, _ := s.PostHistory(ctx, d.PostID)
	noted := false
	for _, e := range evs {
		if strings.Contains(fmt.Sprint(e.Detail), "BEGIN:VEVENT") {
			t.Errorf("the refused address is in the history: %s", e.Kind)
		}
		noted = noted || (e.Kind == "delivery.published" && e.Detail["note"] == RemoteURLRefused)
	}
	if !noted {
		t.Error("no note in the history says the address was refused")
	}
}
