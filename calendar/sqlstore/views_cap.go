package sqlstore

import (
	"context"

	calendar "github.com/crieur/crieur/calendar"
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
func (s *Store) entriesHint(ctx context.Context, f calendar.ViewFilter) int {
	if f.From.IsZero() || f.To.IsZero() {
		return 0
	}
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM posts`+s.dia.indexedBy("posts_publish_at")+` WHERE publish_at >= ? AND publish_at < ?) * (SELECT count(*) FROM channels)`,
		ms(f.From), ms(f.To)).Scan(&n)
	if err != nil || n < 0 {
		return 0 // only a hint: Entries' own query reports what is wrong
	}
	return int(min(n, maxEntriesHint))
}
