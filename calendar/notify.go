package calendar

import "context"

// ChangeNotifier tells a consumer (the daemon, `daemon --ics`) that another
// process committed to the calendar, so an edit, a cancel or a pause takes
// effect at once. The SQLite store implements it with PRAGMA data_version; a
// server store can with its own notifications (PostgreSQL LISTEN/NOTIFY).
type ChangeNotifier interface {
	// Watch starts watching; the first Changed reports what changed since.
	Watch(ctx context.Context) (ChangeWatch, error)
}

// ChangeWatch is one watch on the calendar. Changed is called every poll
// interval (a fraction of a second) and must be cheap: it reports, without
// waiting, whether anything changed since its last call.
type ChangeWatch interface {
	Changed(ctx context.Context) (bool, error)
	Close() error
}

// ChangeSignal is what a ChangeWatch that learns of changes as they happen
// (PostgreSQL's LISTEN/NOTIFY) offers beside Changed: Signal receives once
// a change came (a burst of them may be one receive), so the daemon wakes
// on it instead of finding it at its next poll. Changed still reports it.
type ChangeSignal interface {
	Signal() <-chan struct{}
}
