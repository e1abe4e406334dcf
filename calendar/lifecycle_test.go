package calendar

import (
	"errors"
	"reflect"
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

// The status a post settles in once its channels are known.
func TestSettleStatus(t *testing.T) {
	at := time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name                   string
		status                 string
		timed, approved, gated bool
		want                   string
	}{
		{"timed scheduled", StatusScheduled, true, false, false, StatusScheduled},
		{"scheduled, its time taken away, is a draft", StatusScheduled, false, false, false, StatusDraft},
		{"approved scheduled without a time stays approved", StatusScheduled, false, true, false, StatusApproved},
		{"gated and unapproved waits in review", StatusScheduled, true, false, true, StatusReview},
		{"gated, unapproved, no time: review", StatusScheduled, false, false, true, StatusReview},
		{"review without a time stays in review", StatusReview, false, false, false, StatusReview},
		{"approved with a time is scheduled", StatusApproved, true, true, true, StatusScheduled},
		{"a draft stays a draft", StatusDraft, true, false, false, StatusDraft},
		{"canceled stays canceled", StatusCanceled, false, false, false, StatusCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pa *time.Time
			if tc.timed {
				pa = &at
			}
			if got := SettleStatus(tc.status, pa, tc.approved, tc.gated); got != tc.want {
				t.Errorf("SettleStatus(%s, timed=%v, approved=%v, gated=%v) = %s, want %s", tc.status, tc.timed, tc.approved, tc.gated, got, tc.want)
			}
		})
	}
}

// NormalizePost keeps a post's fields as a load's build keeps them.
func TestNormalizePost(t *testing.T) {
	media := []Media{{Path: " photo.jpg ", Alt: " a bike "}}
	p := &Post{
		Slug: " winter ", Link: " https://acme.example/ ", Campaign: " spring ",
		Title: "  Title ", Body: "\r\n  line one\r\nline two  \r\n", Excerpt: " short ",
		Tags: []string{"sale", " winter", "sale", "  "}, Channels: []string{"a", " b", "a"},
		Thread:   []string{" part two ", "   ", "part three\r\n"},
		Variants: map[string]string{" b ": " for b ", "a": "  "},
		Media:    media,
	}
	NormalizePost(p)
	want := &Post{
		Slug: "winter", Link: "https://acme.example/", Campaign: "spring",
		Title: "Title", Body: "line one\nline two", Excerpt: "short",
		Tags: []string{"sale", "winter"}, Channels: []string{"a", "b"},
		Thread:   []string{"part two", "part three"},
		Variants: map[string]string{"b": "for b"},
		Media:    []Media{{Path: "photo.jpg", Alt: "a bike"}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("NormalizePost:\n got %+v\nwant %+v", p, want)
	}
	if media[0].Path != " photo.jpg " {
		t.Errorf("the caller's media list was changed: %+v", media)
	}
	again := *p
	NormalizePost(&again)
	if !reflect.DeepEqual(&again, p) {
		t.Errorf("NormalizePost is not idempotent:\n got %+v\nwant %+v", again, p)
	}
}

// The zone a post's time is read in: the first of its channels with a zone
// of its own, else the default.
func TestPostZone(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	own := map[string]*time.Location{"paris": paris, "tokyo": tokyo}
	zoneOf := func(n string) *time.Location { return own[n] }
	for _, tc := range []struct {
		name     string
		channels []string
		want     *time.Location
	}{
		{"no channel", nil, time.UTC},
		{"a channel without a zone", []string{"plain"}, time.UTC},
		{"the first with a zone, after one without", []string{"plain", "paris"}, paris},
		{"the first given wins", []string{"tokyo", "paris"}, tokyo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := PostZone(tc.channels, zoneOf, time.UTC); got != tc.want {
				t.Errorf("PostZone(%v) = %v, want %v", tc.channels, got, tc.want)
			}
		})
	}
}

// What every write of a post checks of its values (CheckPost).
func TestCheckPost(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     Post
		field string // "" when accepted
	}{
		{"a text", Post{Body: "x"}, ""},
		{"a photo alone", Post{Media: []Media{{Path: "/p.jpg"}}}, ""},
		{"nothing", Post{}, "body"},
		{"a medium without a path", Post{Body: "x", Media: []Media{{Path: "/p.jpg"}, {Alt: "a bike"}}}, "media[1]"},
		{"a link that is no web address", Post{Body: "x", Link: "ftp://x"}, "link"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPost(&tc.p)
			var ve *ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Problems[0].Field != tc.field):
				t.Errorf("got %v, want a problem with %s", err, tc.field)
			}
		})
	}
}

func TestCheckApprover(t *testing.T) {
	four := Channel{Name: "four", ApproverNotAuthor: true}
	listed := Channel{Name: "listed", Approvers: []string{"carol", "Dave"}}
	plain := Channel{Name: "plain"}
	tests := []struct {
		name   string
		author string
		by     string
		chans  []Channel
		refuse string
	}{
		{"plain channel, own post", "alice", "alice", []Channel{plain}, ""},
		{"four eyes, own post", "alice", "alice", []Channel{plain, four}, "alice wrote post p; channel four requires that another person approve it (four eyes): anyone but alice may approve it"},
		{"four eyes, any case", "Alice", "alice ", []Channel{four}, "channel four requires"},
		{"four eyes, another person", "alice", "bob", []Channel{four}, ""},
		{"listed approver", "alice", "dave", []Channel{listed}, ""},
		{"not listed", "alice", "bob", []Channel{listed}, "bob may not approve post p: on channel listed only carol or Dave may approve posts: conflict"},
		{"both, listed author", "carol", "carol", []Channel{four, listed}, "carol wrote post p; channel four requires that another person approve it (four eyes): Dave may approve it"},
		{"both, not listed", "carol", "bob", []Channel{four, listed}, "bob may not approve post p: on channel listed only carol or Dave may approve posts; for this post, Dave may approve it"},
		{"two lists", "alice", "erin", []Channel{listed, {Name: "other", Approvers: []string{"dave", "erin"}}}, "on channel listed only carol or Dave may approve posts; for this post, Dave may approve it"},
		{"author the only approver", "carol", "carol", []Channel{four, {Name: "solo", Approvers: []string{"Carol"}}}, "(four eyes): no one may approve it as its channels' approvers stand: add one with `crieur channel edit solo --approvers …`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckApprover(Post{Slug: "p", Author: tc.author}, tc.by, tc.chans)
			switch {
			case tc.refuse == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.refuse != "" && (err == nil || !strings.Contains(err.Error(), tc.refuse) || !errors.Is(err, ErrConflict)):
				t.Errorf("got %v, want a conflict saying %q", err, tc.refuse)
			}
		})
	}
}
