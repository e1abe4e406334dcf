package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/suggest"
	"github.com/crieur/crieur/publishers"
	"github.com/spf13/cobra"
)

func init() { registerCommand(newChannelCmd) }

func invalid(field, format string, args ...any) error {
	return calendar.Invalid(field, format, args...)
}

func newChannelCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "channel",
		Short: "Manage channels: named accounts on networks",
		Example: `  crieur channel add acme-mastodon --network mastodon --set instance=https://mastodon.social --secret token=env:MASTODON_TOKEN
  crieur channel list`,
	}
	cmd.AddCommand(newChannelAddCmd(a), newChannelListCmd(a), newChannelShowCmd(a), newChannelEditCmd(a),
		newChannelRemoveCmd(a), newChannelPauseCmd(a, true), newChannelPauseCmd(a, false), newChannelLoginCmd(a))
	return addVerbs(a, cmd)
}

// channelFlags are shared by add and edit.
type channelFlags struct {
	network         string
	set             []string
	secret          []string
	tz              string
	requireApproval approvalMode
	approvers       []string
	maxLateness     time.Duration
	perMinute       int
	perDay          int
	// storeSecrets are the bare secret values given (keyed channel/name),
	// sealed into the calendar in the channel's own transaction.
	storeSecrets map[string]string
}

func (f *channelFlags) bind(cmd *cobra.Command, add bool) {
	fl := cmd.Flags()
	if add {
		fl.StringVar(&f.network, "network", "", "the network: "+strings.Join(publishers.Names(), ", "))
	}
	fl.StringArrayVar(&f.set, "set", nil, "a setting key=value, in the network's own words (repeatable)")
	fl.StringArrayVar(&f.secret, "secret", nil, "a secret key=env:VAR, key=file:PATH or key=VALUE (sealed in the calendar with the key made by init)")
	fl.StringVar(&f.tz, "tz", "", "the channel's time zone for slots and local times (IANA name)")
	fl.Var(&f.requireApproval, "require-approval", "publish nothing on this channel that is not approved: true, false, or other (approved by someone other than its author)")
	fl.Lookup("require-approval").NoOptDefVal = "true"
	fl.StringSliceVar(&f.approvers, "approvers", nil, "only these people may approve posts on this channel (comma-separated; \"\" lets anyone)")
	fl.DurationVar(&f.maxLateness, "max-lateness", 0, "after a stop, publish posts late by less than this, mark older ones missed (default 1h)")
	fl.IntVar(&f.perMinute, "rate-per-minute", 0, "at most this many posts a minute (0: the network's own limits only)")
	fl.IntVar(&f.perDay, "rate-per-day", 0, "at most this many posts a day (0: no daily cap)")
}

func parsePairs(field string, pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, invalid(field, "%q: expected key=value", redactPair(field, p))
		}
		out[k] = v
	}
	return out, nil
}

// redactPair hides a secret's value in an error about its shape.
func redactPair(field, p string) string {
	if field != "secret" {
		return p
	}
	if k, _, ok := strings.Cut(p, "="); ok {
		return k + "=" + calendar.Redacted
	}
	return calendar.Redacted
}

// apply checks the flags against the network and writes them into c.
func (f *channelFlags) apply(a *app, cmd *cobra.Command, st calendar.Store, c *calendar.Channel) error {
	nw, err := network(c.Network)
	if err != nil {
		return err
	}
	settings, err := parsePairs("set", f.set)
	if err != nil {
		return err
	}
	secrets, err := parsePairs("secret", f.secret)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, s := range nw.Settings {
		known["set:"+s.Name] = true
	}
	for _, s := range nw.Secrets {
		known["secret:"+s.Name] = true
	}
	verr := &calendar.ValidationError{}
	for k, v := range settings {
		if !known["set:"+k] {
			verr.Add(calendar.FieldError{Field: "set", Message: fmt.Sprintf("%s has no setting %q%s (it has: %s)", nw.Name, k, suggest.DidYouMeanShort(k, names(nw.Settings)), fieldNames(nw.Settings))})
			continue
		}
		if v == "" {
			delete(c.Settings, k)
			continue
		}
		if outFile(nw, k) && v != "-" {
			// Kept by its full path: the daemon may run in another folder.
			if abs, err := filepath.Abs(v); err == nil {
				v = abs
			}
		}
		c.Settings[k] = v
	}
	for k, ref := range secrets {
		if !known["secret:"+k] {
			verr.Add(calendar.FieldError{Field: "secret", Message: fmt.Sprintf("%s has no secret %q%s (it has: %s)", nw.Name, k, suggest.DidYouMeanShort(k, names(nw.Secrets)), fieldNames(nw.Secrets))})
			continue
		}
		if err := calendar.CheckSecretRef(ref); err != nil {
			verr.Add(calendar.FieldError{Field: "secret", Message: k + ": " + err.Error()})
			c.Secrets[k] = ref // given, if unusable: not "missing" too (nothing is saved)
			continue
		}
		norm, value, err := calendar.NormalizeSecretRef(c.Name+"/"+k, ref)
		if err != nil {
			verr.Add(calendar.FieldError{Field: "secret", Message: k + ": " + err.Error()})
			continue
		}
		if value != "" {
			if f.storeSecrets == nil {
				f.storeSecrets = map[string]string{}
			}
			f.storeSecrets[strings.TrimPrefix(norm, "stored:")] = value
		}
		c.Secrets[k] = norm
	}
	if missing := nw.Missing(c.Settings, c.Secrets); len(missing) > 0 {
		verr.Add(calendar.FieldError{Field: "network", Message: fmt.Sprintf("%s needs %s; e.g. %s", nw.Name, strings.Join(missing, ", "), exampleFlags(nw))})
	}
	// What can be checked without the network is checked now: the settings
	// given here (URLs, the folders of files crieur writes), then the whole
	// channel as its network reads it.
	given := map[string]string{}
	for k := range settings {
		given[k] = c.Settings[k]
	}
	for _, prob := range nw.CheckSettings(given) {
		verr.Add(calendar.FieldError{Field: "set", Message: prob.Field + ": " + prob.Message})
	}
	// The network reads the channel's settings once, without its secrets
	// (the flags below do not change what it reads); http:// for
	// credentials is said once, below.
	_, buildErr := validator(*c)
	if len(verr.Problems) == 0 && buildErr != nil && !errors.Is(buildErr, publishers.ErrInsecureHTTP) {
		verr.Add(calendar.FieldError{Field: "set", Message: buildErr.Error()})
	}
	if cmd.Flags().Changed("tz") {
		c.TZ = f.tz
	}
	if cmd.Flags().Changed("require-approval") {
		c.RequireApproval = f.requireApproval != "false"
		c.ApproverNotAuthor = f.requireApproval == "other"
	}
	if cmd.Flags().Changed("approvers") {
		c.Approvers = []string{}
		for _, n := range f.approvers {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(c.Approvers, n) {
				c.Approvers = append(c.Approvers, n)
			}
		}
	}
	if cmd.Flags().Changed("max-lateness") {
		c.MaxLateness = f.maxLateness
	}
	if cmd.Flags().Changed("rate-per-minute") {
		c.RatePerMinute = f.perMinute
	}
	if cmd.Flags().Changed("rate-per-day") {
		c.RatePerDay = f.perDay
	}
	// The channel's own values, as the store checks them on every write;
	// said here with the network's problems, all at once.
	var cerr *calendar.ValidationError
	if errors.As(calendar.CheckChannel(c), &cerr) {
		verr.Problems = append(verr.Problems, cerr.Problems...)
	}
	// Credentials over plain http are refused now, not at the first post:
	// by the network's offline rules (a setting's URL), then with the secrets
	// themselves when they resolve (a webhook URL kept as a secret).
	if errors.Is(buildErr, publishers.ErrInsecureHTTP) {
		verr.Add(calendar.FieldError{Field: "set", Message: buildErr.Error()})
	} else if resolved, rerr := f.resolveSecrets(st, c.Secrets); rerr == nil {
		_, err := nw.New(publishers.Config{Channel: c.Name, Settings: c.Settings, Secrets: resolved, Out: io.Discard})
		if errors.Is(err, publishers.ErrInsecureHTTP) {
			verr.Add(calendar.FieldError{Field: "secret", Message: err.Error()})
		}
	}
	return verr.Err()
}

// outFile reports whether the network's setting name is a file (or a folder) crieur writes.
func outFile(nw publishers.Network, name string) bool {
	for _, f := range nw.Settings {
		if f.Name == name {
			return f.Kind == publishers.OutFile || f.Kind == publishers.OutDir
		}
	}
	return false
}

// resolveSecrets resolves refs as the channel will once saved: values given
// in this command are not in the calendar yet (they are sealed with the
// channel), so they are taken from the command itself.
func (f *channelFlags) resolveSecrets(st calendar.Store, refs map[string]string) (map[string]string, error) {
	rest := map[string]string{}
	out := map[string]string{}
	for k, ref := range refs {
		if v, ok := f.storeSecrets[strings.TrimPrefix(ref, "stored:")]; ok && strings.HasPrefix(ref, "stored:") {
			out[k] = v
			continue
		}
		rest[k] = ref
	}
	resolved, err := st.ResolveSecrets(rest)
	if err != nil {
		return nil, err
	}
	for k, v := range resolved {
		out[k] = v
	}
	return out, nil
}

// names lists the fields' names.
func names(fs []publishers.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func fieldNames(fs []publishers.Field) string {
	if len(fs) == 0 {
		return "none"
	}
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
		if f.Required {
			names[i] += " (required)"
		}
	}
	return strings.Join(names, ", ")
}

func exampleFlags(nw publishers.Network) string {
	var parts []string
	for _, f := range nw.Settings {
		if f.Required && f.Default == "" {
			parts = append(parts, "--set "+f.Name+"=…")
		}
	}
	for _, f := range nw.Secrets {
		if f.Required {
			parts = append(parts, "--secret "+f.Name+"=env:"+strings.ToUpper(nw.Name+"_"+f.Name))
		}
	}
	return strings.Join(parts, " ")
}

func newChannelAddCmd(a *app) *cobra.Command {
	var f channelFlags
	cmd := &cobra.Command{
		Use:   "add NAME --network NET [--set key=value]... [--secret key=REF]...",
		Short: "Add a channel",
		Long: `Add a channel: a named account on one network. Settings and secrets use the
network's own words; run with a network and no settings to be told which are needed.

Networks: ` + networksHelp(),
		Example: `  crieur channel add acme-log --network log --set path=./published.log
  crieur channel add acme-mastodon --network mastodon --set instance=https://mastodon.social --secret token=env:MASTODON_TOKEN --tz Europe/Paris
  crieur channel add acme-bsky --network bluesky --set handle=acme.bsky.social --secret app_password=file:~/.config/crieur/bsky --require-approval`,
		Args: exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.network == "" {
				return usageErr{fmt.Errorf("--network is required: one of %s", strings.Join(publishers.Names(), ", "))}
			}
			st, err := a.db()
			if err != nil {
				return err
			}
			if err := calendar.ValidName("name", args[0]); err != nil {
				return err
			}
			c := &calendar.Channel{Name: args[0], Network: f.network, Settings: map[string]string{}, Secrets: map[string]string{}, MaxLateness: time.Hour}
			if err := f.apply(a, cmd, st, c); err != nil {
				return err
			}
			if err := st.AddChannelWithSecrets(a.ctx, c, f.storeSecrets); err != nil {
				return err
			}
			return a.showChannel(*c, "Added channel")
		},
	}
	f.bind(cmd, true)
	return cmd
}

func networksHelp() string {
	var b strings.Builder
	for _, name := range publishers.Names() {
		nw, _ := publishers.Lookup(name)
		fmt.Fprintf(&b, "\n  %-11s %s", name, nw.Description)
		if len(nw.Settings) > 0 {
			fmt.Fprintf(&b, "\n  %-11s   settings: %s", "", fieldNames(nw.Settings))
		}
		if len(nw.Secrets) > 0 {
			fmt.Fprintf(&b, "\n  %-11s   secrets:  %s", "", fieldNames(nw.Secrets))
		}
	}
	return b.String()
}

func newChannelEditCmd(a *app) *cobra.Command {
	var f channelFlags
	cmd := &cobra.Command{
		Use:   "edit NAME [--set key=value]... [--secret key=REF]...",
		Short: "Change a channel's settings, secrets, zone or limits",
		Long:  "Change a channel. `--set key=` (empty value) removes a setting.",
		Example: `  crieur channel edit acme-mastodon --set visibility=unlisted
  crieur channel edit acme-mastodon --secret token=env:NEW_TOKEN --tz America/New_York`,
		Args: exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			c, err := st.Channel(a.ctx, args[0])
			if err != nil {
				return err
			}
			if err := f.apply(a, cmd, st, &c); err != nil {
				return err
			}
			moved, err := st.UpdateChannelWithSecrets(a.ctx, &c, f.storeSecrets)
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("require-approval") {
				a.sayApprovalMoves(c, moved)
			}
			return a.showChannel(c, "Updated channel")
		},
	}
	f.bind(cmd, false)
	return cmd
}

// sayApprovalMoves tells, on stderr (unless -q), what turning a channel's approval rule
// on or off did to the posts waiting on it.
func (a *app) sayApprovalMoves(c calendar.Channel, mv calendar.ApprovalMoves) {
	if len(mv.ToReview) > 0 {
		fmt.Fprintf(a.note(), "%s on %s moved to review, to wait for approval: %s\n", calendar.Count(len(mv.ToReview), "post", "posts"), c.Name, strings.Join(mv.ToReview, ", "))
	}
	if len(mv.ToScheduled) > 0 {
		fmt.Fprintf(a.note(), "%s on %s back to scheduled, no approval needed now: %s\n", calendar.Count(len(mv.ToScheduled), "post", "posts"), c.Name, strings.Join(mv.ToScheduled, ", "))
	}
	if len(mv.ToReview)+len(mv.ToScheduled) == 0 {
		fmt.Fprintf(a.note(), "No post on %s had to move.\n", c.Name)
	}
}

// channelDoc is a channel as shown: secrets redacted.
func channelDoc(c calendar.Channel) calendar.Channel {
	c.Secrets = calendar.RedactedSecrets(c.Secrets)
	return c
}

func (a *app) showChannel(c calendar.Channel, verb string) error {
	if nw, err := publishers.Lookup(c.Network); err == nil {
		for _, k := range nw.Deprecated(c.Settings) {
			fmt.Fprintf(a.errOut, "crieur: warning: channel %s keeps its %s as a setting, which is shown to anyone; make it a secret: crieur channel edit %s --secret %s=env:VAR --set %s=\n", c.Name, k, c.Name, k, k)
		}
	}
	return a.emit(channelDoc(c), func(w io.Writer) error {
		if a.quiet() {
			fmt.Fprintln(w, c.Name)
			return nil
		}
		if verb != "" {
			fmt.Fprintf(w, "%s %s.\n", verb, c.Name)
		}
		t := newTable(w)
		t.row("name:", c.Name)
		t.row("network:", c.Network)
		for _, k := range sortedKeys(c.Settings) {
			t.row("setting "+k+":", c.Settings[k])
		}
		red := calendar.RedactedSecrets(c.Secrets)
		for _, k := range sortedKeys(red) {
			t.row("secret "+k+":", red[k])
		}
		t.row("zone:", dash(c.TZ))
		state := "active"
		if c.Paused {
			state = "paused: " + c.PauseReason
		}
		t.row("state:", state)
		t.row("approval:", approvalWords(c))
		if len(c.Approvers) > 0 {
			t.row("approvers:", strings.Join(c.Approvers, ", "))
		}
		t.row("max lateness:", c.MaxLateness.String())
		if c.RatePerMinute > 0 || c.RatePerDay > 0 {
			t.row("rate limit:", fmt.Sprintf("%d/min, %d/day", c.RatePerMinute, c.RatePerDay))
		}
		return t.flush()
	})
}

// approvalMode is --require-approval: true, false or other (four eyes).
type approvalMode string

func (m *approvalMode) String() string {
	if *m == "" {
		return "false"
	}
	return string(*m)
}

func (m *approvalMode) Set(v string) error {
	switch w := strings.ToLower(strings.TrimSpace(v)); w {
	case "true", "false", "other":
		*m = approvalMode(w)
		return nil
	}
	return fmt.Errorf("%q: use true, false or other (approved by someone other than the post's author)", v)
}

func (m *approvalMode) Type() string { return "true|false|other" }

// approvalColumn is a channel's approval rule in a list.
func approvalColumn(c calendar.Channel) string {
	if c.RequireApproval && c.ApproverNotAuthor {
		return "four eyes"
	}
	return yesNo(c.RequireApproval, "required", "-")
}

// approvalWords says a channel's approval rule.
func approvalWords(c calendar.Channel) string {
	switch {
	case c.RequireApproval && c.ApproverNotAuthor:
		return "required, by someone other than the author"
	case c.RequireApproval:
		return "required"
	case c.ApproverNotAuthor:
		return "not required; when given, by someone other than the author"
	}
	return "not required"
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func newChannelListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List channels",
		Example: `  crieur channel list
  crieur channel list -o json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			chans, err := st.Channels(a.ctx)
			if err != nil {
				return err
			}
			// An OAuth channel says when its token expires.
			docs := make([]channelListDoc, len(chans))
			for i, c := range chans {
				docs[i] = channelListDoc{Channel: channelDoc(c)}
				if e, ok, err := tokenExpiry(st, c); ok && err == nil {
					docs[i].Token = &e
				}
			}
			return a.emit(docs, func(w io.Writer) error {
				if a.quiet() {
					for _, c := range chans {
						fmt.Fprintln(w, c.Name)
					}
					return nil
				}
				if len(chans) == 0 {
					fmt.Fprintln(w, "No channels yet. Add one: crieur channel add NAME --network log")
					return nil
				}
				// TOKEN only when a channel is on an OAuth network.
				oauthed := false
				for _, d := range docs {
					oauthed = oauthed || d.Token != nil
				}
				head := []string{"NAME", "NETWORK", "ZONE", "APPROVAL", "STATE"}
				if oauthed {
					head = append(head, "TOKEN")
				}
				t := newTable(w, head...)
				for i, c := range chans {
					state := "active"
					if c.Paused {
						state = a.paint("33", "paused")
					}
					cols := []string{c.Name, c.Network, dash(c.TZ), approvalColumn(c), state}
					if oauthed {
						cols = append(cols, a.tokenCell(docs[i].Token))
					}
					t.row(cols...)
				}
				return t.flush()
			})
		},
	}
}

func newChannelShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a channel (secrets redacted)",
		Example: `  crieur channel show acme-mastodon -o json`,
		Args:    exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			c, err := st.Channel(a.ctx, args[0])
			if err != nil {
				return err
			}
			return a.showChannel(c, "")
		},
	}
}

func newChannelRemoveCmd(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "remove NAME",
		Aliases: []string{"rm"},
		Short:   "Remove a channel",
		Long: `Remove a channel. One with deliveries still to publish is refused unless
--force, and the refusal says what removing it would do. With --force, its
deliveries not yet published are dropped; posts left with no channel go back
to draft (keeping their time; the output lists them), posts with other
channels keep those, and published posts stay published.`,
		Example: `  crieur channel remove old-twitter`,
		Args:    exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			rm, err := st.RemoveChannelReport(a.ctx, args[0], force)
			if err != nil {
				return err
			}
			return a.emit(rm, func(w io.Writer) error {
				if !a.quiet() {
					fmt.Fprintf(w, "Removed channel %s: %s.\n", args[0], rm.Summary())
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove even with deliveries not yet published (they are dropped)")
	return cmd
}

func newChannelPauseCmd(a *app, pause bool) *cobra.Command {
	var reason string
	use, short, example := "resume NAME", "Resume publishing on a channel", "  crieur channel resume acme-mastodon"
	if pause {
		use, short, example = "pause NAME", "Stop publishing on a channel until resumed", `  crieur channel pause acme-mastodon --reason "token rotation"`
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args:    exactArgs(1, "a channel NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.pauseChannel(a.ctx, args[0], pause, reason)
		},
	}
	if pause {
		cmd.Flags().StringVar(&reason, "reason", "paused by hand", "why, shown by status")
	}
	return cmd
}

func (a *app) pauseChannel(ctx context.Context, name string, pause bool, reason string) error {
	st, err := a.db()
	if err != nil {
		return err
	}
	if err := st.SetChannelPaused(ctx, name, pause, reason); err != nil {
		return err
	}
	c, err := st.Channel(ctx, name)
	if err != nil {
		return err
	}
	return a.showChannel(c, yesNo(pause, "Paused", "Resumed"))
}
