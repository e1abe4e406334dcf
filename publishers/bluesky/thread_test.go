package bluesky

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// A 301-grapheme post is a problem unless the author allows a thread.
func TestOverLongPostNeedsThreadIntent(t *testing.T) {
	pub, err := New(publishers.Config{Channel: "sky", Settings: map[string]string{"handle": "acme.example"},
		Secrets: map[string]string{"app_password": "p"}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("é", 150) + " " + strings.Repeat("a", 150) // 301 graphemes
	probs := publishers.CheckThreading(pub, publishers.Post{Text: text})
	if len(probs) != 1 || probs[0].String() != "text: 301/300 graphemes: 1 over the limit; allow a thread of 2 posts with --thread (thread: true in a file), or shorten it" {
		t.Errorf("without intent: %v", probs)
	}
	if probs := publishers.CheckThreading(pub, publishers.Post{Text: text, AutoThread: true}); len(probs) != 0 {
		t.Errorf("with --thread: %v", probs)
	}
	if probs := publishers.CheckThreading(pub, publishers.Post{Text: strings.Repeat("a", 300)}); len(probs) != 0 {
		t.Errorf("300 graphemes: %v", probs)
	}
}
