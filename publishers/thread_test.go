package publishers

import (
	"regexp"
	"strings"
	"testing"
)

// A long text with no sentence end is cut between words only: every word of
// the text is whole in exactly one part, in order.
func TestSplitNeverCutsMidWord(t *testing.T) {
	words := []string{"réservez", "vos", "places", "pour", "l'atelier", "d'hiver", "🎄", "extraordinairement", "long", "et", "passionnant", "avec", "nos", "équipes"}
	var b strings.Builder
	for i := 0; b.Len() < 3000; i++ {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(words[(i*7)%len(words)])
	}
	text := b.String()
	counter := regexp.MustCompile(` \d+/\d+$`)
	for _, r := range []Rules{
		{Limit: 300, Unit: "graphemes", Count: CountGraphemes},
		{Limit: 500, Unit: "characters", Count: CountRunes},
		{Limit: 97, Unit: "characters", Count: CountRunes},
	} {
		parts := Split(text, r, true)
		if len(parts) < 2 {
			t.Fatalf("limit %d: %d parts, want a thread", r.Limit, len(parts))
		}
		var got []string
		for i, p := range parts {
			if n := r.Length(p); n > r.Limit {
				t.Errorf("limit %d: part %d is %d long", r.Limit, i+1, n)
			}
			if !counter.MatchString(p) {
				t.Errorf("limit %d: part %d has no counter: %q", r.Limit, i+1, p)
			}
			got = append(got, strings.Fields(counter.ReplaceAllString(p, ""))...)
		}
		if want := strings.Fields(text); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("limit %d: a word was cut:\n got %q\nwant %q", r.Limit, got, want)
		}
	}
}

type fakeThreader struct {
	Publisher
	posts int
}

func (f fakeThreader) TextThread(Post) (int, int, int, string) {
	return f.posts, 663, 500, "characters"
}

func TestCheckThreading(t *testing.T) {
	for _, c := range []struct {
		posts int
		auto  bool
		want  string
	}{
		{1, false, ""},
		{2, true, ""},
		{2, false, "text: 663/500 characters: 163 over the limit; allow a thread of 2 posts with --thread (thread: true in a file), or shorten it"},
	} {
		probs := CheckThreading(fakeThreader{posts: c.posts}, Post{AutoThread: c.auto})
		got := ""
		if len(probs) > 0 {
			got = probs[0].String()
		}
		if got != c.want || len(probs) > 1 {
			t.Errorf("%d posts, auto %v: %v, want %q", c.posts, c.auto, probs, c.want)
		}
	}
	var plain Publisher // a network without threads is never asked
	if probs := CheckThreading(plain, Post{}); probs != nil {
		t.Errorf("no threads: %v", probs)
	}
}
