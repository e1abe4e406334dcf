package suggest

import "testing"

func TestDidYouMean(t *testing.T) {
	known := []string{"slug", "at", "channels", "body", "tags", "title"}
	for _, tc := range []struct{ word, want string }{
		{"chanels", ` (did you mean "channels"?)`},
		{"Channel", ` (did you mean "channels"?)`},
		{" boddy ", ` (did you mean "body"?)`},
		{"titel", ` (did you mean "title"?)`},
		{"colour", ""},     // nothing close
		{"ta", ""},         // too short to guess
		{"publish_at", ""}, // too far
	} {
		if got := DidYouMean(tc.word, known); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestDidYouMeanShortGuessesShortNames(t *testing.T) {
	known := []string{"x", "id", "mastodon"}
	for _, tc := range []struct{ word, want string }{
		{"xx", ` (did you mean "x"?)`},
		{"ID", ` (did you mean "id"?)`},
		{"mastodn", ` (did you mean "mastodon"?)`},
		{"facebook", ""},
	} {
		if got := DidYouMeanShort(tc.word, known); got != tc.want {
			t.Errorf("DidYouMeanShort(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

func TestClosestKeepsTheKnownSpelling(t *testing.T) {
	if got := Closest("acme-mastodn", []string{"Acme-Mastodon", "acme-bsky"}, 2); got != "Acme-Mastodon" {
		t.Errorf("Closest = %q, want the known spelling Acme-Mastodon", got)
	}
	if got := Closest("acme-x", []string{"acme-bsky"}, 1); got != "" {
		t.Errorf("Closest beyond max = %q, want none", got)
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"flaw", "lawn", 2}, {"café", "cafe", 1}, {"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
