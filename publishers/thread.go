package publishers

import "fmt"

// AutoThreader is implemented by adapters of networks with threads, which
// cut a text over the limit into a thread of posts (Mastodon, Bluesky).
type AutoThreader interface {
	// TextThread says how many posts p's text (its explicit thread parts
	// aside) becomes, and its length against the limit; length may be 0
	// when the text fits in one post (it is only needed to say by how much
	// a text is over).
	TextThread(p Post) (posts, length, limit int, unit string)
}

// CheckThreading reports a text that pub would cut into a thread when the
// author did not allow it: threading is the author's choice, never a
// surprise.
func CheckThreading(pub Validator, p Post) []Problem {
	t, ok := unwrapValidator(pub).(AutoThreader) // through the Redacting wrapper
	if !ok || p.AutoThread {
		return nil
	}
	n, length, limit, unit := t.TextThread(p)
	if n <= 1 {
		return nil
	}
	return []Problem{{Field: "text", Message: fmt.Sprintf("%d/%d %s: %d over the limit; allow a thread of %d posts with --thread (thread: true in a file), or shorten it",
		length, limit, unit, length-limit, n)}}
}
