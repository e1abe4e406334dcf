package calendar

import (
	"context"
	"slices"
)

// maxEntriesHint bounds the room Entries reserves up front (about 40 MB of
// entries); a bigger range grows past it as it reads.
const maxEntriesHint = 1 << 17

// entriesHint is how many entries a bounded range can hold at most: its
// posts (read from the posts_publish_at index alone) times the channels,
// since a post has at most one delivery per channel. Entries reserves that
// room once, instead of growing a slice of large entries row after row (a
// busy month's 6,480 entries were copied about twice over and most of the
// process's page faults came from it). Unbounded ranges (exports) get 0.
func (s *Store) entriesHint(ctx context.Context, f ViewFilter) int {
	if f.From.IsZero() || f.To.IsZero() {
		return 0
	}
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts INDEXED BY posts_publish_at WHERE publish_at >= ? AND publish_at < ?) * (SELECT count(*) FROM channels)`,
		ms(f.From), ms(f.To)).Scan(&n)
	if err != nil || n < 0 {
		return 0 // only a hint: Entries' own query reports what is wrong
	}
	return int(min(n, maxEntriesHint))
}

// sortEntries orders by each delivery's own time (a queued post's channels
// may sit in different slots), keeping the query's order among equals. The
// query's order is already by time but for such posts: a sorted list is left
// as it is, without moving its large entries around.
func sortEntries(es []Entry) {
	byAt := func(a, b Entry) int { return a.At.Compare(b.At) }
	if slices.IsSortedFunc(es, byAt) {
		return
	}
	slices.SortStableFunc(es, byAt)
}
