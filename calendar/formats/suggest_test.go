package formats

import "testing"

func TestDidYouMean(t *testing.T) {
	known := []string{"slug", "at", "channels", "body", "tags", "title"}
	for _, tc := range []struct{ key, want string }{
		{"chanels", ` (did you mean "channels"?)`},
		{"Channel", ` (did you mean "channels"?)`},
		{"boddy", ` (did you mean "body"?)`},
		{"titel", ` (did you mean "title"?)`},
		{"colour", ""},     // nothing close
		{"ta", ""},         // too short to guess
		{"publish_at", ""}, // too far
	} {
		if got := didYouMean(tc.key, known); got != tc.want {
			t.Errorf("didYouMean(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}
