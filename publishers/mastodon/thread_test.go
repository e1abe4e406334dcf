package mastodon

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

// A 663-character status is a problem unless the author allows a thread.
func TestOverLongStatusNeedsThreadIntent(t *testing.T) {
	pub, err := New(publishers.Config{Channel: "toot", Settings: map[string]string{"instance": "https://mastodon.example"},
		Secrets: map[string]string{"token": "t"}})
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(strings.Repeat("word ", 132)) + " end" // 663 characters
	if n := len(text); n != 663 {
		t.Fatalf("text is %d long", n)
	}
	probs := publishers.CheckThreading(pub, publishers.Post{Text: text})
	if len(probs) != 1 || probs[0].String() != "text: 663/500 characters: 163 over the limit; allow a thread of 2 posts with --thread (thread: true in a file), or shorten it" {
		t.Errorf("without intent: %v", probs)
	}
	if probs := publishers.CheckThreading(pub, publishers.Post{Text: text, AutoThread: true}); len(probs) != 0 {
		t.Errorf("with --thread: %v", probs)
	}
	if probs := publishers.CheckThreading(pub, publishers.Post{Text: "short", Thread: []string{"explicit part"}}); len(probs) != 0 {
		t.Errorf("explicit parts, short text: %v", probs)
	}
}
