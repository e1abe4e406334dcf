package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/formats"
	"github.com/crieur/crieur/calendar/when"
	"github.com/crieur/crieur/internal/calview"
	"github.com/crieur/crieur/internal/safefile"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newPostCmd) }

func newPostCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "post",
		Short: "Write, schedule and follow posts",
		Example: `  crieur post new --body "Our winter sale starts now" --channel acme-mastodon,acme-bsky --at "2027-12-01 09:00"
  crieur post new --channel acme-mastodon --queue     # opens $EDITOR
  crieur post list --status scheduled`,
	}
	cmd.AddCommand(newPostNewCmd(a), newPostEditCmd(a), newPostListCmd(a), newPostShowCmd(a),
		newPostScheduleCmd(a), newPostCancelCmd(a), newPostDeleteCmd(a), newPostHistoryCmd(a))
	return addVerbs(a, cmd)
}

// postFields are the content flags of new and edit.
type postFields struct {
	body, file, title, link, slug, campaign string
	channels, tags, media                   []string
	thread                                  bool
	category, minGap, expires               string
	maxRepeats                              int
}

func (f *postFields) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.body, "body", "", "the text (Markdown)")
	fl.StringVar(&f.file, "file", "", "read the post from a file (front matter + body; - for stdin)")
	fl.StringVar(&f.title, "title", "", "a title (blogs, newsletters; a label elsewhere)")
	fl.StringVar(&f.link, "link", "", "a link to add to the post (UTM-tagged at publish time)")
	fl.StringVar(&f.slug, "slug", "", "a stable key (default: from the title or first line)")
	fl.StringVar(&f.campaign, "campaign", "", "the campaign")
	fl.StringSliceVar(&f.channels, "channel", nil, "channels, comma-separated or repeated")
	fl.StringSliceVar(&f.tags, "tag", nil, "tags, comma-separated or repeated")
	fl.StringArrayVar(&f.media, "media", nil, "a media file PATH[#ALT TEXT] (repeatable)")
	fl.BoolVar(&f.thread, "thread", false, "allow a text over a network's limit to become a thread (Mastodon, Bluesky); without it, it is refused")
	fl.StringVar(&f.category, "category", "", "the evergreen category the post joins (its slots recycle it; \"\" leaves it)")
	fl.IntVar(&f.maxRepeats, "max-repeats", 0, "recycle this post at most N times (0: the category's limit)")
	fl.StringVar(&f.minGap, "min-gap", "", "not again on one channel within this gap, e.g. 30d (default: the category's)")
	fl.StringVar(&f.expires, "expires", "", "no recycled copy at or after WHEN (seasonal content)")
}

func (f *postFields) any(cmd *cobra.Command) bool {
	for _, n := range []string{"body", "file", "title", "link", "slug", "campaign", "channel", "tag", "media", "thread", "category", "max-repeats", "min-gap", "expires"} {
		if cmd.Flags().Changed(n) {
			return true
		}
	}
	return false
}

// readFileDoc reads --file (or stdin) as a document.
func (a *app) readFileDoc(path string) (formats.Document, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = safefile.ReadAll(a.in, "stdin", calendar.DefaultMaxLoadFile)
	} else {
		data, err = safefile.ReadFile(path, calendar.DefaultMaxLoadFile)
	}
	if errors.Is(err, safefile.ErrNotRegular) || errors.Is(err, safefile.ErrTooBig) {
		return formats.Document{}, calendar.Invalid("file", "%v", err)
	}
	if err != nil {
		return formats.Document{}, err
	}
	doc, err := formats.ParseDocument(data)
	if err != nil {
		var fe calendar.FieldError
		if errors.As(err, &fe) {
			fe.File = path
			return doc, fe
		}
	}
	return doc, err
}

// overlay applies the flags that were given onto doc.
func (f *postFields) overlay(cmd *cobra.Command, doc *formats.Document) {
	ch := cmd.Flags().Changed
	if ch("body") {
		doc.Body = f.body
	}
	if ch("title") {
		doc.Title = f.title
	}
	if ch("link") {
		doc.Link = f.link
	}
	if ch("slug") {
		doc.Slug = f.slug
	}
	if ch("campaign") {
		doc.Campaign = f.campaign
	}
	if ch("channel") {
		doc.Channels = f.channels
	}
	if ch("tag") {
		doc.Tags = f.tags
	}
	if ch("thread") {
		doc.Thread.Auto = f.thread
	}
	if ch("category") {
		doc.Category = f.category
	}
	if ch("max-repeats") {
		doc.MaxRepeats = f.maxRepeats
	}
	if ch("min-gap") {
		doc.MinGap = f.minGap
	}
	if ch("expires") {
		doc.Expires = f.expires
	}
	if ch("media") {
		doc.Media = nil
		for _, m := range f.media {
			doc.Media = append(doc.Media, formats.ParseMedia(m))
		}
	}
}

// timeZoneFor is where a WHEN is read: --tz, else the first channel's zone, else the calendar's.
func (a *app) timeZoneFor(cmd *cobra.Command, st calendar.Store, channels []string) *time.Location {
	if fl := cmd.Flag(keyTZ); fl != nil && fl.Changed {
		return a.zone()
	}
	return calendar.PostZone(channels, func(name string) *time.Location {
		if c, err := st.Channel(a.ctx, name); err == nil && c.TZ != "" {
			return c.Zone(a.zone())
		}
		return nil
	}, a.zone())
}

// noteReadIn says in which zone a typed time was read when the channel's
// zone (or the calendar's) gave another instant than the user's own zone
// would have: 09:00 shown back as 00:00 is then no surprise.
func (a *app) noteReadIn(s string, t time.Time, loc *time.Location) {
	mine := a.zone()
	if loc.String() == mine.String() {
		return
	}
	// Both readings at one instant: a relative time ("+2h", "in 90
	// minutes") is the same instant in every zone, but t was read a moment
	// ago, against another now.
	now := a.now()
	u, _, err := when.ParseGap(s, now, mine)
	if err != nil {
		return
	}
	if v, _, err := when.ParseGap(s, now, loc); err != nil || u.Equal(v) {
		return
	}
	whose := "the channel's zone"
	if loc.String() == a.calendarZone().String() {
		whose = "the calendar's zone"
	}
	fmt.Fprintf(a.note(), "Note: %q is read in %s, %s (--tz reads it in another): %s in yours.\n", s, loc, whose, a.when(&t))
}

// parseWhen reads a WHEN for field, refusing the past unless allowPast.
func (a *app) parseWhen(field, s string, loc *time.Location, allowPast bool) (time.Time, error) {
	now := a.now()
	t, gap, err := when.ParseGap(s, now, loc)
	if err != nil {
		return t, invalid(field, "%v", err)
	}
	if gap {
		fmt.Fprintf(a.note(), "Note: %s does not exist in %s (the clocks go forward then); it is read as %s, just after the gap.\n",
			s, loc, t.In(loc).Format("2006-01-02 15:04 MST"))
	}
	if !allowPast && t.Before(now.Add(-time.Second)) {
		return t, invalid(field, "%s is in the past (%s); use --allow-past to record it anyway", s, a.when(&t))
	}
	return t.UTC(), nil
}

// userMedia says why a media file a person names cannot be posted, or "".
// Any file of theirs will do, but a regular one: a device or a FIFO would
// hang or never end. Each network's size limit is checked with the post.
func userMedia(path string) string {
	f, _, err := safefile.Open(path, false)
	switch {
	case errors.Is(err, safefile.ErrNotRegular):
		return err.Error() + ": media must be regular files"
	case err != nil:
		return fmt.Sprintf("%s: no such file", path)
	}
	_ = f.Close()
	return ""
}

// applyDoc writes a document's fields into p.
func (a *app) applyDoc(cmd *cobra.Command, st calendar.Store, doc formats.Document, p *calendar.Post, allowPast bool) error {
	// The zone the stored time was shown in (docOf), before channels change.
	shownIn := a.timeZoneFor(cmd, st, p.Channels)
	p.Slug = firstSet(doc.Slug, p.Slug)
	p.Title, p.Body, p.Link, p.Excerpt, p.Campaign = doc.Title, doc.Body, doc.Link, doc.Excerpt, doc.Campaign
	p.Channels = []string(doc.Channels)
	p.Tags = []string(doc.Tags)
	p.Thread = doc.Thread.Parts
	p.AutoThread = doc.Thread.Auto || len(p.Thread) > 0
	p.Variants = doc.Variants
	p.Media = append([]calendar.Media(nil), doc.Media...)
	calendar.NormalizePost(p) // as the store keeps them: the checks below see what is saved
	// What a post must hold (calendar.CheckPost) the store checks on every
	// write; here only what needs the person's own context: their files,
	// their zone.
	verr := &calendar.ValidationError{}
	p.Category, p.MaxRepeats = strings.TrimSpace(doc.Category), doc.MaxRepeats
	if gap, err := calendar.ParseGap(doc.MinGap); err != nil {
		verr.Add(calendar.FieldError{Field: "min_gap", Message: err.Error()})
	} else {
		p.MinGap = gap
	}
	if doc.Expires == "" {
		p.ExpiresAt = nil
	} else if p.ExpiresAt == nil || doc.Expires != p.ExpiresAt.UTC().Format(time.RFC3339) {
		t, err := a.parseExpires(doc.Expires, a.timeZoneFor(cmd, st, p.Channels))
		if err != nil {
			var ve *calendar.ValidationError
			if errors.As(err, &ve) {
				verr.Problems = append(verr.Problems, ve.Problems...)
			}
		} else {
			p.ExpiresAt = &t
		}
	}
	for i, m := range p.Media {
		if m.Path == "" || calendar.IsURL(m.Path) {
			continue // no path: the store says so (calendar.CheckPost), as for a load
		}
		if msg := userMedia(m.Path); msg != "" {
			verr.Add(calendar.FieldError{Field: fmt.Sprintf("media[%d]", i), Message: msg})
		} else if abs, err := filepath.Abs(m.Path); err == nil {
			// Kept absolute, as import keeps them: the daemon that publishes
			// the post may run in another directory.
			p.Media[i].Path = abs
		}
	}
	// The time shown, given back untouched, keeps the stored instant exactly
	// (seconds, queue slots) and is not checked against now again.
	untouched := doc.At != "" && p.PublishAt != nil && doc.At == atText(*p.PublishAt, shownIn)
	if doc.At != "" && !untouched {
		loc := a.timeZoneFor(cmd, st, p.Channels)
		t, err := a.parseWhen("at", doc.At, loc, allowPast)
		if err != nil {
			var ve *calendar.ValidationError
			if errors.As(err, &ve) {
				verr.Problems = append(verr.Problems, ve.Problems...)
			}
		} else if p.PublishAt == nil || !p.PublishAt.Equal(t) {
			p.PublishAt, p.Queued = &t, false
			a.noteReadIn(doc.At, t, loc)
		}
	} else if doc.At == "" && p.PublishAt != nil && !p.Queued {
		p.PublishAt = nil
	}
	return verr.Err()
}

func firstSet(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// docOf turns a post into the document a person edits; its time is written
// in loc, the zone a time typed there is read in (timeZoneFor).
func (a *app) docOf(p calendar.Post, loc *time.Location) formats.Document {
	d := formats.DocumentOf(p)
	if p.PublishAt != nil {
		d.At = atText(*p.PublishAt, loc)
	}
	return d
}

// atText is how a stored time is written in a document a person edits.
func atText(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04")
}

// zoneLabel names loc for a person: the viewer's zone as zoneName says, else its IANA name.
func (a *app) zoneLabel(loc *time.Location) string {
	if loc == a.zone() {
		return a.zoneName()
	}
	return loc.String()
}

// docHelp is the comment block at the top of an edited document.
func docHelp(first, zone string) string {
	return "# " + first + "\n" +
		"# Fields: slug, title, at, channels, campaign, tags, link, excerpt, media (path#alt or {path, alt}),\n" +
		"# variants ({channel: text}), thread (extra parts, or true: an over-long text may become a thread). at: \"2026-12-01 09:00\" (" + zone + "), \"tomorrow 9am\", \"+2h\".\n" +
		"# Evergreen: category (a library its slots recycle), max_repeats, min_gap (30d), expires (a WHEN).\n"
}

// zoneName names the viewer's zone for a person: "Europe/Paris", or the offset.
func (a *app) zoneName() string {
	loc := a.zone()
	if loc.String() != "Local" {
		return loc.String()
	}
	if tz := os.Getenv("TZ"); tz != "" {
		return tz
	}
	return a.now().In(loc).Format("MST, UTC-07:00")
}

func newPostNewCmd(a *app) *cobra.Command {
	var f postFields
	var at string
	var queue, draft, allowPast bool
	var draftFile string // the editor's draft, removed once the post is saved
	cmd := &cobra.Command{
		Use:   "new [--body TEXT | --file F] [--channel A,B] [--at WHEN | --queue | --draft]",
		Short: "Write a new post (in $EDITOR when no --body or --file)",
		Long: `Write a new post. Without --body or --file, $EDITOR (then $VISUAL, then vi)
opens on a document with YAML front matter (slug, at, channels, campaign, tags,
media, per-channel variants) and the body below it. An empty or unchanged
document creates nothing; one that does not parse is kept and its path printed.

WHEN is RFC 3339, "2026-12-01 09:00" (in --tz, else the channel's zone, else the
calendar's), or relative: "tomorrow 9am", "+2h", "next monday 14:00".`,
		Example: `  crieur post new --body "Winter sale: 20% off https://acme.example/sale" --channel acme-mastodon --at "2027-12-01 09:00"
  crieur post new --title "Launch" --file launch.md --queue
  crieur post new --channel acme-bsky --media photo.jpg#"A red bicycle" --draft`,
		Args: exactArgs(0, "no arguments (the text goes in --body or --file)"),
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if n := countTrue(cmd.Flags().Changed("at"), queue, draft); n > 1 {
				return usageErr{errors.New("use one of --at, --queue or --draft")}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			var doc formats.Document
			switch {
			case f.file != "":
				if doc, err = a.readFileDoc(f.file); err != nil {
					return err
				}
				f.overlay(cmd, &doc)
				if cmd.Flags().Changed("at") {
					doc.At = at
				}
			case cmd.Flags().Changed("body"):
				f.overlay(cmd, &doc)
				doc.At = at
			default:
				// Said before the writing, not after it.
				if queue {
					if err := a.queueProblem(st, f.channels); err != nil {
						return err
					}
				}
				// The flags fill in the document; what is saved in the
				// editor is the post, flags included.
				tmpl := formats.Document{Channels: f.channels, Tags: f.tags, Campaign: f.campaign, Title: f.title, Slug: f.slug, Link: f.link, At: at}
				for _, m := range f.media {
					tmpl.Media = append(tmpl.Media, formats.ParseMedia(m))
				}
				doc, draftFile, err = a.editDocument(tmpl, docHelp("Write the post below the closing ---. Save and quit to create it; an empty file cancels.", a.zoneLabel(a.timeZoneFor(cmd, st, f.channels))), "crieur post new --file {{file}}")
				if errors.Is(err, errUnchanged) {
					fmt.Fprintln(a.note(), "Nothing written: no post created.")
					return nil
				}
				if err != nil {
					return err
				}
				defer a.settleDraft(&draftFile, "crieur post new --file "+draftFile, &err)
			}
			p := &calendar.Post{}
			if err := a.applyDoc(cmd, st, doc, p, allowPast); err != nil {
				return err
			}
			switch {
			case draft:
				p.Status, p.PublishAt = calendar.StatusDraft, nil
			case cmd.Flags().Changed("at") && p.PublishAt != nil:
				p.Status = calendar.StatusScheduled // --at asks for the post to go out then
			default:
				// The document's status read as a load reads it (the store
				// checks it as it checks a load's), else InitialStatus.
				p.Status = calendar.InitialStatus(calendar.StatusWord(doc.Status), p.PublishAt)
			}
			if queue && len(p.Channels) == 0 {
				return invalid("channels", "--queue fills each channel's next free slot, and the post has no channel: add --channel NAME")
			}
			if queue || calendar.NetworkChecked(calendar.InitialStatus(p.Status, p.PublishAt)) {
				if err := a.checkPost(st, *p); err != nil {
					return err
				}
			}
			if queue {
				if err := a.queueProblem(st, p.Channels); err != nil {
					return err
				}
			}
			if err := st.CreatePost(a.ctx, p); err != nil {
				return err
			}
			if draftFile != "" { // saved: what follows must not offer the draft again
				os.Remove(draftFile)
				draftFile = ""
			}
			if queue {
				if _, err := st.SchedulePost(a.ctx, strconv.FormatInt(p.ID, 10), nil, true); err != nil {
					return fmt.Errorf("post %s was created as a draft, but queueing failed: %w", p.Slug, err)
				}
			}
			return a.showPostRef(st, strconv.FormatInt(p.ID, 10), "Created")
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&at, "at", "", "publish at WHEN")
	cmd.Flags().BoolVar(&queue, "queue", false, "put it in each channel's next free slot")
	cmd.Flags().BoolVar(&draft, "draft", false, "keep it a draft (the default without --at or --queue)")
	cmd.Flags().BoolVar(&allowPast, "allow-past", false, "accept a time in the past")
	return cmd
}

// queueProblem says why --queue cannot place a post on channels: one of
// them has no slot the queue may take (a category's slots are its
// category's). Checked before anything is written: a refused post new
// changes nothing (exit 3), and $EDITOR does not open for nothing. A
// channel that does not exist is left to the post's own checks.
func (a *app) queueProblem(st calendar.Store, channels []string) error {
	for _, name := range channels {
		if _, err := st.Channel(a.ctx, name); err != nil {
			continue
		}
		slots, err := st.Slots(a.ctx, name)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(slots, func(sl calendar.Slot) bool { return sl.Category == "" }) {
			return invalid("queue", "channel %s has no slot: add one with `crieur slot add %s \"mon-fri 09:00\"` (nothing was written)", name, name)
		}
	}
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func newPostEditCmd(a *app) *cobra.Command {
	var f postFields
	var ifVersion int64
	var allowPast bool
	cmd := &cobra.Command{
		Use:   "edit REF [--title T] [--body TEXT | --file F] ...",
		Short: "Edit a post (in $EDITOR when no field flag is given)",
		Long: `Edit a post by id or slug. Without field flags, $EDITOR opens on the same
document as 'post new'. The edit is refused (exit 5) if the post changed since
it was read, so nobody's change is overwritten. Editing an approved post sends it
back to review.`,
		Example: `  crieur post edit winter-sale
  crieur post edit 42 --title "Winter sale, extended" --tag sale,winter
  crieur post edit winter-sale --file winter-sale.md --if-version 3`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			st, err := a.db()
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("if-version") && p.Version != ifVersion {
				return fmt.Errorf("post %s is at version %d, not %d: it changed since you read it: %w", p.Slug, p.Version, ifVersion, calendar.ErrConflict)
			}
			docZone := a.timeZoneFor(cmd, st, p.Channels)
			orig := a.docOf(p, docZone)
			var doc formats.Document
			switch {
			case f.file != "":
				if doc, err = a.readFileDoc(f.file); err != nil {
					return err
				}
				f.overlay(cmd, &doc)
			case f.any(cmd):
				doc = orig
				doc.Variants = cloneMap(orig.Variants)
				f.overlay(cmd, &doc)
			default:
				var path string
				doc, path, err = a.editDocument(orig, docHelp(fmt.Sprintf("Editing post %d (version %d). Save and quit to apply; leave it unchanged to cancel.", p.ID, p.Version), a.zoneLabel(docZone)),
					"crieur post edit "+p.Slug+" --file {{file}}")
				if errors.Is(err, errUnchanged) {
					fmt.Fprintln(a.note(), "No change.")
					return nil
				}
				if err != nil {
					return err
				}
				defer a.settleDraft(&path, "crieur post edit "+p.Slug+" --file "+path+" --if-version "+strconv.FormatInt(p.Version, 10), &err)
			}
			if reflect.DeepEqual(normalizeDoc(doc), normalizeDoc(orig)) {
				fmt.Fprintln(a.note(), "No change.")
				return a.showPostRef(st, args[0], "")
			}
			if err := a.applyDoc(cmd, st, doc, &p, allowPast); err != nil {
				return err
			}
			if calendar.NetworkChecked(p.Status) {
				if err := a.checkPost(st, p); err != nil {
					return err
				}
			}
			if err := st.UpdatePost(a.ctx, &p); err != nil {
				return err
			}
			return a.showPostRef(st, strconv.FormatInt(p.ID, 10), "Updated")
		},
	}
	f.bind(cmd)
	cmd.Flags().Int64Var(&ifVersion, "if-version", 0, "refuse the edit unless the post is at this version")
	cmd.Flags().BoolVar(&allowPast, "allow-past", false, "accept a time in the past")
	return cmd
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func normalizeDoc(d formats.Document) formats.Document {
	d.BodyLine = 0
	d.Body = strings.TrimSpace(d.Body)
	if len(d.Variants) == 0 {
		d.Variants = nil
	}
	if len(d.Media) == 0 {
		d.Media = nil
	}
	if len(d.Tags) == 0 {
		d.Tags = nil
	}
	if len(d.Channels) == 0 {
		d.Channels = nil
	}
	if len(d.Thread.Parts) == 0 {
		d.Thread.Parts = nil
	}
	return d
}

func newPostListCmd(a *app) *cobra.Command {
	var status []string
	var channel, campaign, tag, from, to string
	var limit int
	cmd := &cobra.Command{
		Use:     "list [--status S] [--channel C] [--campaign C] [--tag T] [--from WHEN --to WHEN]",
		Aliases: []string{"ls"},
		Short:   "List posts by publish time",
		Example: `  crieur post list
  crieur post list --status review            # the reviewer's inbox
  crieur post list --from 2026-12-01 --to 2027-01-01 -o json
  crieur post list --campaign black-friday --limit 0`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			flt := calendar.PostFilter{Status: status, Channel: channel, Campaign: campaign, Tag: tag, Limit: limit}
			for _, s := range status {
				if !contains(calendar.PostStatuses, s) {
					return invalid("status", "unknown status %q (one of %s)", s, strings.Join(calendar.PostStatuses, ", "))
				}
			}
			for _, r := range []struct {
				flag string
				val  string
				dst  **time.Time
			}{{"from", from, &flt.From}, {"to", to, &flt.To}} {
				if r.val == "" {
					continue
				}
				t, err := a.parseDay(r.flag, r.val)
				if err != nil {
					return err
				}
				*r.dst = &t
			}
			posts, err := st.Posts(a.ctx, flt)
			if err != nil {
				return err
			}
			if posts == nil {
				posts = []calendar.Post{}
			}
			return a.emit(posts, func(w io.Writer) error {
				if a.quiet() {
					for _, p := range posts {
						fmt.Fprintln(w, p.Slug)
					}
					return nil
				}
				if len(posts) == 0 {
					fmt.Fprintln(w, "No posts match.")
					return nil
				}
				rows := [][]string{{"ID", "WHEN", "STATUS", "CHANNELS", "SLUG", "TITLE"}}
				for _, p := range posts {
					rows = append(rows, []string{strconv.FormatInt(p.ID, 10), a.when(p.PublishAt), p.Status,
						dash(strings.Join(p.Channels, ",")), p.Slug, truncate(firstSet(p.Title, p.Body), 40)})
				}
				// The wide columns give way, title first, to fit the width; ids and
				// slugs never do: they are what a person copies.
				fitColumns(rows, a.fitWidth(), map[int]int{5: 8, 3: 8})
				t := newTable(w)
				for i, r := range rows {
					if i > 0 {
						r[2] = a.paint(statusColor(r[2]), r[2])
					}
					t.row(r...)
				}
				if err := t.flush(); err != nil {
					return err
				}
				if limit > 0 && len(posts) == limit {
					fmt.Fprintf(a.errOut, "(showing the first %d; --limit 0 for all)\n", limit)
				}
				return nil
			})
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&status, "status", nil, "only these states: "+strings.Join(calendar.PostStatuses, ", "))
	fl.StringVar(&channel, "channel", "", "only posts on this channel")
	fl.StringVar(&campaign, "campaign", "", "only this campaign's posts")
	fl.StringVar(&tag, "tag", "", "only posts with this tag")
	fl.StringVar(&from, "from", "", "publish time from (a date or WHEN)")
	fl.StringVar(&to, "to", "", "publish time before (a date or WHEN)")
	fl.IntVar(&limit, "limit", 100, "at most this many (0: all)")
	return cmd
}

// parseDay reads a bound: a date (midnight in the viewer's zone) or a WHEN.
func (a *app) parseDay(field, s string) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		// The day's first instant: 01:00 where clocks spring forward at
		// midnight (ParseInLocation gives 23:00 of the day before).
		return calview.Midnight(d.Year(), d.Month(), d.Day(), a.zone()).UTC(), nil
	}
	t, err := when.Parse(s, a.now(), a.zone())
	if err != nil {
		return t, invalid(field, "%v", err)
	}
	return t.UTC(), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func newPostShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show REF",
		Short: "Show a post with each channel's delivery",
		Example: `  crieur post show winter-sale
  crieur post show 42 -o json`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			return a.showPostRef(st, args[0], "")
		},
	}
}

// changePost applies a store change to a post and shows the post it returns.
func (a *app) changePost(verb string, change func(calendar.Store) (calendar.Post, error)) error {
	st, err := a.db()
	if err != nil {
		return err
	}
	p, err := change(st)
	if err != nil {
		return err
	}
	return a.showPost(p, verb)
}

func (a *app) showPostRef(st calendar.Store, ref, verb string) error {
	p, err := st.Post(a.ctx, ref)
	if err != nil {
		return err
	}
	return a.showPost(p, verb)
}

func (a *app) showPost(p calendar.Post, verb string) error {
	return a.emit(p, func(w io.Writer) error {
		if a.quiet() {
			fmt.Fprintln(w, p.Slug)
			return nil
		}
		if verb != "" {
			fmt.Fprintf(w, "%s post %d (%s): %s", verb, p.ID, p.Slug, p.Status)
			if p.PublishAt != nil {
				fmt.Fprintf(w, " for %s", a.when(p.PublishAt))
			}
			fmt.Fprintln(w)
			return nil
		}
		t := newTable(w)
		t.row("id:", strconv.FormatInt(p.ID, 10))
		t.row("slug:", p.Slug)
		if p.Title != "" {
			t.row("title:", p.Title)
		}
		t.row("status:", a.paint(statusColor(p.Status), p.Status))
		t.row("publish at:", a.when(p.PublishAt)+yesNo(p.Queued, " (queued)", ""))
		if p.PublishedAt != nil {
			t.row("published:", a.when(p.PublishedAt))
		}
		t.row("campaign:", dash(p.Campaign))
		if p.Category != "" {
			limits := []string{}
			if p.MaxRepeats > 0 {
				limits = append(limits, "at most "+calendar.Count(p.MaxRepeats, "time", "times"))
			}
			if p.MinGap > 0 {
				limits = append(limits, "min gap "+calendar.GapText(p.MinGap))
			}
			if p.ExpiresAt != nil {
				limits = append(limits, "expires "+a.when(p.ExpiresAt))
			}
			t.row("category:", p.Category+yesNo(len(limits) > 0, " ("+strings.Join(limits, ", ")+")", ""))
		}
		if p.RecycledFrom != "" {
			t.row("recycled from:", p.RecycledFrom)
		}
		t.row("tags:", dash(strings.Join(p.Tags, ", ")))
		if p.Link != "" {
			t.row("link:", p.Link)
		}
		for _, m := range p.Media {
			t.row("media:", m.Path+yesNo(m.Alt != "", " — alt: "+m.Alt, " — no alt text"))
		}
		if p.ApprovedAt != nil {
			t.row("approved:", a.when(p.ApprovedAt)+" by "+p.ApprovedBy)
		}
		t.row("version:", strconv.FormatInt(p.Version, 10))
		if err := t.flush(); err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n", p.Body)
		for _, part := range p.Thread {
			fmt.Fprintf(w, "\n↳ %s\n", part)
		}
		for _, ch := range sortedKeys(p.Variants) {
			fmt.Fprintf(w, "\n[variant for %s]\n%s\n", ch, p.Variants[ch])
		}
		if len(p.Deliveries) > 0 {
			fmt.Fprintln(w)
			t := newTable(w, "CHANNEL", "NETWORK", "STATUS", "DUE", "ATTEMPTS", "REMOTE", "ERROR")
			for _, d := range p.Deliveries {
				t.row(d.Channel, d.Network, a.paint(statusColor(d.Status), d.Status), a.when(d.DueAt), strconv.Itoa(d.Attempts),
					dash(firstSet(d.RemoteURL, d.RemoteID)), dash(truncate(d.LastError, 60)))
			}
			if err := t.flush(); err != nil {
				return err
			}
			for _, d := range p.Deliveries {
				var live []calendar.DeliveryPart
				for _, part := range d.Parts {
					if part.RemoteID != "" { // not a container made but not published (Threads, Instagram)
						live = append(live, part)
					}
				}
				if len(live) < 2 && (len(live) == 0 || d.Status == calendar.DeliveryPublished) {
					continue // a single post: its remote id says it all
				}
				fmt.Fprintf(w, "\nThread on %s, parts live:\n", d.Channel)
				for _, part := range live {
					fmt.Fprintf(w, "  %d  %s\n", part.Index+1, firstSet(part.RemoteURL, part.RemoteID))
				}
			}
		}
		if len(p.Notes) > 0 {
			fmt.Fprintln(w, "\nNotes:")
			for _, n := range p.Notes {
				fmt.Fprintf(w, "  %s %s: %s\n", a.when(&n.At), n.Author, n.Text)
			}
		}
		return nil
	})
}

func newPostScheduleCmd(a *app) *cobra.Command {
	var at string
	var queue, allowPast bool
	cmd := &cobra.Command{
		Use:   "schedule REF (--at WHEN | --queue) [--allow-past]",
		Short: "Give a post its publish time, or each channel's next free slot",
		Example: `  crieur post schedule winter-sale --at "2027-12-01 09:00"
  crieur post schedule winter-sale --at "tomorrow 9am" --tz Europe/Paris
  crieur post schedule 42 --queue`,
		Args: exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (at == "") == !queue {
				return usageErr{errors.New("give --at WHEN or --queue")}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			if err := a.checkPost(st, p); err != nil {
				return err
			}
			var t *time.Time
			loc := a.timeZoneFor(cmd, st, p.Channels)
			if at != "" {
				v, err := a.parseWhen("at", at, loc, allowPast)
				if err != nil {
					return err
				}
				t = &v
			}
			p, err = st.SchedulePost(a.ctx, args[0], t, queue)
			if err != nil {
				return err
			}
			if t != nil {
				a.noteReadIn(at, *t, loc)
			}
			return a.showPost(p, "Scheduled")
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "publish at WHEN")
	cmd.Flags().BoolVar(&queue, "queue", false, "each channel's next free slot")
	cmd.Flags().BoolVar(&allowPast, "allow-past", false, "accept a time in the past (publishes at once)")
	return cmd
}

func newPostCancelCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "cancel REF",
		Short:   "Cancel a post: nothing more of it is published",
		Long:    "Cancel a post. Its pending deliveries are canceled at once; a running daemon will not publish them.",
		Example: `  crieur post cancel winter-sale`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.changePost("Canceled", func(st calendar.Store) (calendar.Post, error) {
				p, err := st.CancelPost(a.ctx, args[0])
				if err == nil {
					a.warnCanceledLive(p)
				}
				return p, err
			})
		},
	}
}

// warnCanceledLive says when a canceled post is already out on a channel, or
// on its way there: a cancel cannot take that back.
func (a *app) warnCanceledLive(p calendar.Post) {
	var out, going, canceled []string
	for _, d := range p.Deliveries {
		switch d.Status {
		case calendar.DeliveryPublished:
			out = append(out, d.Channel)
		case calendar.DeliveryPublishing:
			going = append(going, d.Channel)
		case calendar.DeliveryCanceled:
			canceled = append(canceled, d.Channel)
		}
	}
	if len(out)+len(going) == 0 {
		return
	}
	var what []string
	if len(out) > 0 {
		what = append(what, "already published on "+strings.Join(out, ", "))
	}
	if len(going) > 0 {
		what = append(what, "being published on "+strings.Join(going, ", ")+" at this moment")
	}
	msg := fmt.Sprintf("post %s is %s: canceling does not take it back there", p.Slug, strings.Join(what, " and "))
	if len(going) > 0 {
		// What the cancel does to a call in flight: its outcome stands if
		// the network takes the post, and a failure is not retried.
		msg += "; should the call in flight fail, it is not retried"
	}
	if len(canceled) > 0 {
		msg += "; it is canceled on " + strings.Join(canceled, ", ") + " only"
	}
	a.warnf("%s", msg)
}

func newPostDeleteCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "delete REF",
		Aliases: []string{"rm"},
		Short:   "Delete a post that was never published",
		Example: `  crieur post delete old-draft`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			if err := st.DeletePost(a.ctx, args[0]); err != nil {
				return err
			}
			return a.emit(map[string]any{"deleted": args[0]}, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Deleted post %s.\n", args[0])
				}
				return nil
			})
		},
	}
}

func newPostHistoryCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "history REF",
		Short:   "Show every change and publish attempt of a post",
		Example: `  crieur post history winter-sale -o json`,
		Args:    exactArgs(1, "a post REF (id or slug)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			p, err := st.Post(a.ctx, args[0])
			if err != nil {
				return err
			}
			evs, err := st.PostHistory(a.ctx, p.ID)
			if err != nil {
				return err
			}
			if evs == nil {
				evs = []calendar.Event{}
			}
			return a.emit(evs, func(w io.Writer) error {
				t := newTable(w, "WHEN", "WHO", "WHAT", "CHANNEL", "DETAIL")
				for _, e := range evs {
					t.row(a.when(&e.At), e.Actor, e.Kind, dash(e.Channel), a.detailText(e.Detail))
				}
				return t.flush()
			})
		},
	}
}

// detailText says an event's detail in the user's words: times in the
// viewer's zone, lists and counts as text, never Go's map syntax.
func (a *app) detailText(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := a.detailValue(m[k])
		if v == "" {
			continue // an empty field says nothing (a log channel has no address)
		}
		parts = append(parts, k+"="+v)
	}
	return dash(truncate(strings.Join(parts, " "), 80))
}

func (a *app) detailValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case string:
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return a.when(&t)
		}
		if strings.ContainsAny(v, " ,") {
			return strconv.Quote(v)
		}
		return v
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10)
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any:
		items := make([]string, len(v))
		for i, x := range v {
			items[i] = a.detailValue(x)
		}
		return strings.Join(items, ",")
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sortStrings(keys)
		items := make([]string, len(keys))
		for i, k := range keys {
			items[i] = a.detailValue(v[k]) + " " + k
		}
		return strings.Join(items, ",")
	}
	return fmt.Sprint(v)
}
