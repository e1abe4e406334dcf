package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/crieur/crieur/calendar"
)

// DefaultFillSpec is how often the daemon fills category slots ahead.
const DefaultFillSpec = "@every 15m"

// Filler is the part of a calendar the evergreen fill needs.
type Filler interface {
	FillCategories(ctx context.Context, o calendar.FillOptions) (calendar.FillReport, error)
}

// FillEvergreen is the evergreen job, one run: it fills the category slots
// of the next o.Horizon (default 7 days) with copies of their categories'
// posts, so a person sees them in `crieur calendar` and may change them
// before they go out. Posts o.Check refuses are skipped, logged at warning
// level and recorded as events (category.skipped); they never publish.
//
// It is a leader job: where several daemons share a calendar, only the
// leader needs to call it (the fill is idempotent, so a second caller fills
// nothing more, but it repeats the skip notices). The daemon calls it
// through (*Scheduler).FillEvergreen; `crieur category fill` and
// `publish --due` call it directly.
func FillEvergreen(ctx context.Context, f Filler, o calendar.FillOptions, log *slog.Logger) (calendar.FillReport, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep, err := f.FillCategories(ctx, o)
	if err != nil {
		return rep, err
	}
	for _, n := range rep.Skipped {
		log.Warn("evergreen post skipped: it would not pass; it is not published", "post", n.Post, "channel", n.Channel,
			"category", n.Category, "at", n.At.UTC().Format(time.RFC3339), "reason", n.Reason)
	}
	for _, n := range rep.Empty {
		log.Info("category slot left empty", "channel", n.Channel, "category", n.Category, "at", n.At.UTC().Format(time.RFC3339), "reason", n.Reason)
	}
	if len(rep.Filled) > 0 {
		log.Info("category slots filled", "copies", len(rep.Filled))
	}
	return rep, nil
}

// FillEvergreen runs the evergreen job once with the scheduler's clock,
// horizon and check. The daemon's cron calls it every FillSpec; a leader
// lease gates it by wrapping this one call. A store that cannot fill
// (no categories support) fills nothing.
func (s *Scheduler) FillEvergreen(ctx context.Context) (calendar.FillReport, error) {
	f, ok := s.st.(Filler)
	if !ok {
		return calendar.FillReport{}, nil
	}
	return FillEvergreen(ctx, f, calendar.FillOptions{Now: s.o.Clock.Now(), Horizon: s.o.FillHorizon, Check: s.o.FillCheck}, s.log)
}
