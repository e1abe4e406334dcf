package calendar

import (
	"context"
	"time"

	"github.com/crieur/crieur/internal/seal"
)

// The store interfaces, shaped by their consumers: what the scheduler needs
// (Deliveries), and what the commands need (Store, which is all of it). A
// store (calendar/sqlstore: SQLite, PostgreSQL next) implements Store and passes
// calendar/storetest, the conformance suite every store passes unchanged.

// Deliveries is what the scheduler needs of a calendar: claiming due
// deliveries under a lease, recording what became of each, keeping the
// daemon's heartbeat, and reading the posts, channels and credentials it
// publishes with.
type Deliveries interface {
	ChangeNotifier
	// UseClock makes the store stamp what it writes with now (the
	// scheduler's injected clock); Clock reads that clock.
	UseClock(now func() time.Time)
	Clock() time.Time
	ClaimDue(ctx context.Context, o ClaimOptions) (ClaimResult, error)
	ClaimExpired(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	ExtendLeases(ctx context.Context, owner string, ids []int64, until time.Time) (lost []int64, err error)
	RecordOutcome(ctx context.Context, d Delivery, owner string, o Outcome) error
	// RecordOutcomes records several outcomes in one transaction; errs[i]
	// is record i's own refusal (ErrLeaseLost, not found), err the batch's
	// failure (nothing written).
	RecordOutcomes(ctx context.Context, owner string, rs []OutcomeRecord) (errs []error, err error)
	RecordPart(ctx context.Context, d Delivery, owner string, p DeliveryPart) error
	DeliveryParts(ctx context.Context, deliveryID int64) ([]DeliveryPart, error)
	// NextWake says when work is next due after now (the deliveries of
	// the channels skip left out) and when a lease next expires.
	NextWake(ctx context.Context, now time.Time, skip ...int64) (run, lease *time.Time, err error)
	DropBlackedOut(ctx context.Context, now time.Time) (int, error)
	HeldDeliveriesDue(ctx context.Context, now time.Time, postID int64) (HeldDue, error)
	OverdueCount(ctx context.Context, now time.Time) (int, error)
	PendingCount(ctx context.Context) (int, error)
	PausedAll(ctx context.Context) (bool, string, error)
	BeatDaemon(ctx context.Context, d DaemonRow) error
	Daemons(ctx context.Context) ([]DaemonRow, error)
	// Lead takes or renews the lease row name for holder until now+ttl, in
	// one statement: it succeeds when the row is free, expired (before now)
	// or already holder's; ok says whether holder leads now.
	Lead(ctx context.Context, name, holder string, now time.Time, ttl time.Duration) (ok bool, err error)
	// Resign gives name up, if holder holds it, so another daemon takes
	// over at once instead of after the lease runs out.
	Resign(ctx context.Context, name, holder string) error
	// Leader reads the lease row name; ok is false when none was ever taken
	// (an expired lease is returned as it is: Until tells).
	Leader(ctx context.Context, name string) (l Leadership, ok bool, err error)
	Post(ctx context.Context, ref string) (Post, error)
	// PostsByID reads the posts of ids (those that exist), with their
	// deliveries, parts, variants, media and notes, in a few queries.
	PostsByID(ctx context.Context, ids []int64) ([]Post, error)
	ChannelByID(ctx context.Context, id int64) (Channel, error)
	// ChannelsByID reads the channels of ids (those that exist).
	ChannelsByID(ctx context.Context, ids []int64) ([]Channel, error)
	Campaign(ctx context.Context, name string) (Campaign, error)
	ResolveSecrets(refs map[string]string) (map[string]string, error)
	Credentials(channel string) Credentials
}

// Credentials is a channel's secrets as an adapter holds them: read at use,
// and, for a token that rotates, locked and saved (before it is used) by
// the process that refreshes it.
type Credentials interface {
	Get(name string) (string, error)
	All() (map[string]string, error)
	Lock(ctx context.Context) (unlock func(), err error)
	Save(ctx context.Context, name, value string) error
}

// Store is a whole calendar, as the commands use it.
type Store interface {
	Deliveries
	Metrics
	Close() error
	// Path names the calendar for people (a file, a server).
	Path() string
	SlotZone(c Channel) *time.Location
	CalendarID(ctx context.Context) (string, error)
	State(ctx context.Context, key string) (value string, at time.Time, ok bool, err error)
	SetState(ctx context.Context, key, value string) error
	// CalendarZone is the zone recorded in the calendar ("" if none);
	// AdoptCalendarZone records one only if none is; SetCalendarZone
	// replaces it. Both make it the store's zone for slots.
	CalendarZone(ctx context.Context) (string, error)
	AdoptCalendarZone(ctx context.Context, name string) (string, error)
	SetCalendarZone(ctx context.Context, name string) (previous string, err error)

	AddChannel(ctx context.Context, c *Channel) error
	AddChannelWithSecrets(ctx context.Context, c *Channel, values map[string]string) error
	Channel(ctx context.Context, name string) (Channel, error)
	Channels(ctx context.Context) ([]Channel, error)
	UpdateChannel(ctx context.Context, c *Channel) error
	UpdateChannelReport(ctx context.Context, c *Channel) (ApprovalMoves, error)
	UpdateChannelWithSecrets(ctx context.Context, c *Channel, values map[string]string) (ApprovalMoves, error)
	RemoveChannel(ctx context.Context, name string, force bool) error
	RemoveChannelReport(ctx context.Context, name string, force bool) (ChannelRemoval, error)
	SetChannelPaused(ctx context.Context, name string, paused bool, reason string) error
	PausedChannels(ctx context.Context) ([]Channel, error)
	StoreSecret(key, value string) (string, error)
	VerifySecrets(ctx context.Context) (int, error)
	StoredSecretKeys(ctx context.Context) ([]string, error)
	SealedKeyIDs(ctx context.Context) ([]string, error)
	RotateKey(ctx context.Context, next seal.Key) (Rotation, error)

	Evergreen
	AddSlot(ctx context.Context, channel, spec string) (Slot, error)
	Slots(ctx context.Context, channel string) ([]Slot, error)
	RemoveSlot(ctx context.Context, id int64) error
	AddCampaign(ctx context.Context, c *Campaign) error
	Campaigns(ctx context.Context) ([]Campaign, error)
	ShiftCampaign(ctx context.Context, campaign string, sh Shift, def *time.Location, dryRun bool) ([]Move, error)
	AddBlackout(ctx context.Context, b *Blackout) error
	Blackouts(ctx context.Context, from, to time.Time) ([]Blackout, error)
	RemoveBlackout(ctx context.Context, id int64) (Blackout, error)
	BlackedOut(ctx context.Context, channelID int64, at time.Time) (until time.Time, drop, ok bool, err error)
	BlackoutCovering(ctx context.Context, postID int64, at time.Time) (*Blackout, error)
	PostsInBlackout(ctx context.Context, b Blackout) ([]string, error)
	PauseAll(ctx context.Context, reason string) error
	ResumeAll(ctx context.Context) error

	CreatePost(ctx context.Context, p *Post) error
	Posts(ctx context.Context, f PostFilter) ([]Post, error)
	UpdatePost(ctx context.Context, p *Post) error
	DeletePost(ctx context.Context, ref string) error
	SchedulePost(ctx context.Context, ref string, at *time.Time, queue bool) (Post, error)
	PublishNow(ctx context.Context, ref string, at time.Time) (Post, error)
	MovePost(ctx context.Context, ref string, at time.Time, dryRun bool) (Move, error)
	CancelPost(ctx context.Context, ref string) (Post, error)
	SubmitPost(ctx context.Context, ref string) (Post, error)
	ApprovePost(ctx context.Context, ref, note string) (Post, error)
	RejectPost(ctx context.Context, ref, note string) (Post, error)
	AddNote(ctx context.Context, ref, text string) (Note, error)
	PostHistory(ctx context.Context, postID int64) ([]Event, error)

	Delivery(ctx context.Context, id int64) (Delivery, error)
	DueDeliveries(ctx context.Context, now time.Time, limit int) ([]DueEntry, error)
	HeldDeliveries(ctx context.Context, statuses []string, limit int) ([]DueEntry, error)
	DeliverySummary(ctx context.Context, now time.Time) (Summary, error)
	RetryDeliveries(ctx context.Context, ref, channel string, force bool) ([]Delivery, error)
	DismissDeliveries(ctx context.Context, ref, channel string) ([]Delivery, error)

	Entries(ctx context.Context, f ViewFilter) ([]Entry, error)
	// EntriesByDay is the entries of f placed by their time in the days
	// [starts[i], starts[i+1]): at most perDay of each, with each day's
	// count (an entry outside every day is left out, as a grid does).
	EntriesByDay(ctx context.Context, f ViewFilter, starts []time.Time, perDay int) (ByDay, error)
	ExportPosts(ctx context.Context, f PostFilter) (Export, error)
	Load(ctx context.Context, set *LoadSet, opt LoadOptions) (LoadResult, error)
	LoadFrom(ctx context.Context, src LoadSource, opt LoadOptions) (LoadResult, error)
}

// Evergreen is the categories (evergreen libraries) and the fill that
// copies their posts into category slots ahead of time.
type Evergreen interface {
	AddCategory(ctx context.Context, c *Category) error
	Category(ctx context.Context, name string) (Category, error)
	Categories(ctx context.Context) ([]Category, error)
	UpdateCategory(ctx context.Context, c *Category) error
	DeleteCategory(ctx context.Context, name string, force bool) error
	CategoryStats(ctx context.Context, name string, members bool) ([]CategoryStats, error)
	AddCategorySlot(ctx context.Context, channel, spec, category string) (Slot, error)
	// FillCategories fills the category slots of the window [now,
	// now+horizon) that nothing holds yet, once each (see evergreen.go).
	FillCategories(ctx context.Context, o FillOptions) (FillReport, error)
}
