package calendar

import (
	"strings"
	"testing"
	"time"
)

// The status a new post asks for, as post new, $EDITOR and a load read it.
func TestCheckNewStatus(t *testing.T) {
	at := time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		status   string
		timed    bool
		approved bool
		want     string // a piece of the message; "" when accepted
	}{
		{"draft", StatusDraft, false, false, ""},
		{"draft with a time", StatusDraft, true, false, ""},
		{"review", StatusReview, false, false, ""},
		{"scheduled with a time", StatusScheduled, true, false, ""},
		{"scheduled without a time", StatusScheduled, false, false, "needs a time"},
		{"canceled", StatusCanceled, false, false, ""},
		{"approved with its approval", StatusApproved, true, true, ""},
		{"approved without it", StatusApproved, true, false, "cannot be approved"},
		{"published", StatusPublished, true, false, "cannot be published"},
		{"partial", StatusPartial, true, false, "cannot be partial"},
		{"failed", StatusFailed, true, false, "cannot be failed"},
		{"unknown word", "bogus", true, false, `unknown status "bogus"`},
		{"a word as typed is not a status", "Draft", false, false, "unknown status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Post{Status: tc.status}
			if tc.timed {
				p.PublishAt = &at
			}
			if tc.approved {
				p.ApprovedAt, p.ApprovedBy = &at, "ed"
			}
			err := CheckNewStatus(p)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
	for in, want := range map[string]string{"Draft": "draft", " scheduled ": "scheduled", "CANCELED": "canceled", "": ""} {
		if got := StatusWord(in); got != want {
			t.Errorf("StatusWord(%q) = %q, want %q", in, got, want)
		}
	}
}
