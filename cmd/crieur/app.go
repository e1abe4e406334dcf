package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/rules"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/calendar/when"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

// app carries what every command needs: configuration, streams, the clock
// and the store, opened on first use. Commands take it instead of globals so
// that tests run them in-process.
type app struct {
	v      *viper.Viper
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	now    func() time.Time
	store  calendar.Store
	ctx    context.Context
	// loc caches the viewer's zone for locName: every time shown reads it.
	loc     *time.Location
	locName string
	// calTZ is the calendar's zone as configured (config file or CRIEUR_TZ),
	// whatever --tz says: slots are read in it, never in the viewer's zone.
	calTZ string
	// calLoc is the zone recorded in the calendar (nil: none), read when the
	// store is opened: slots, fills and rules' days are in it whatever this
	// process's own zone; calRec is its name. setZone, when set (init
	// --tz), replaces it; zoneAdopted: this process recorded calTZ as it.
	calLoc      *time.Location
	calRec      string
	setZone     string
	setZonePrev string
	zoneAdopted bool
	inInit      bool
	// configPath is the config file's path (read or not): rules.yaml is
	// looked for beside it.
	configPath string
	// ruleSet caches the editorial rules (rules.go); warned, the rule
	// warnings already printed.
	ruleSet    *rules.Set
	ruleErr    error
	rulesRead  bool
	warnedRule map[string]bool
	// muteRuleWarnings: a load said its rule warnings with their lines.
	muteRuleWarnings bool
	// keptWarnings, when set, gathers warnf's warnings (keepWarnings);
	// loadWarnings gives an import's.
	keptWarnings *[]string
	loadWarnings func() []string
	// longLived: the process runs for long (the daemon), and its store is
	// opened for that (sqlstore.Options.ShortLived false).
	longLived bool
}

// Global flag and config keys.
const (
	keyDB        = "db"
	keyConfig    = "config"
	keyOutput    = "output"
	keyTZ        = "tz"
	keyNoColor   = "no-color"
	keyQuiet     = "quiet"
	keyVerbose   = "verbose"
	keyAuthor    = "author"
	keyUser      = "user"
	keyRules     = "rules"
	keyLogFormat = "log-format"
)

// subcommand constructors, registered by each command's file.
var (
	commands []func(*app) *cobra.Command
	verbs    = map[string][]func(*app) *cobra.Command{}
)

func registerCommand(f func(*app) *cobra.Command) { commands = append(commands, f) }

// registerVerb adds a verb to a noun command ("post", "channel", …).
func registerVerb(noun string, f func(*app) *cobra.Command) { verbs[noun] = append(verbs[noun], f) }

func addVerbs(a *app, noun *cobra.Command) *cobra.Command {
	for _, f := range verbs[noun.Name()] {
		noun.AddCommand(f(a))
	}
	return noun
}

func run(args []string, in io.Reader, out, errOut io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{v: viper.New(), in: in, out: out, errOut: errOut, now: time.Now, ctx: ctx}
	defer a.close()
	root := a.rootCmdFor(args)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	if a.configPath == "" {
		// The command line did not parse (an unknown command or flag), so
		// its -o was never read: a script that asked for JSON errors
		// still gets one.
		a.v.SetDefault(keyOutput, outputOf(args, os.Getenv("CRIEUR_OUTPUT")))
	}
	return a.reportError(err)
}

// outputOf is the -o/--output a command line asks for (the last one wins,
// as when it parses), else env.
func outputOf(args []string, env string) string {
	out := env
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return out
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				out = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--output="):
			out = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o") && !strings.HasPrefix(a, "--"):
			out = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "=")
		}
	}
	return out
}

func (a *app) rootCmd() *cobra.Command { return a.rootCmdFor(nil) }

// rootCmdFor is the command tree that runs args. When args name one of the
// registered commands (after the global flags), only that command's tree is
// built: building all of them, their verbs and flags, took ~5 % of the
// process's CPU for every command. Anything else (no arguments, help,
// completion, an alias, a mistyped name, a flag it cannot tell) gets the
// whole tree, so help, suggestions and errors are as before.
func (a *app) rootCmdFor(args []string) *cobra.Command {
	root := &cobra.Command{
		Use:   "crieur",
		Short: "An editorial calendar and post scheduler for the command line",
		Long: `crieur keeps a brand's publishing plan — channels, slots, campaigns, drafts —
in a local calendar, and publishes each post on time on every network.`,
		Example: `  crieur init
  crieur channel add acme-log --network log
  crieur slot add acme-log "mon-fri 09:00"
  crieur post new --body "Hello, world" --channel acme-log --queue
  crieur post list
  crieur daemon`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			tuneGC(cmd)
			return a.loadConfig(cmd)
		},
	}
	pf := root.PersistentFlags()
	pf.String(keyDB, "", "calendar database: a SQLite file, or postgres://user@host/db (env CRIEUR_DB; default $XDG_DATA_HOME/crieur/crieur.db)")
	pf.String(keyConfig, "", "config file (default $XDG_CONFIG_HOME/crieur/config.yaml)")
	pf.StringP(keyOutput, "o", "table", "output format: table, json or yaml")
	pf.String(keyTZ, "", "time zone for reading and showing times (default: the config's tz, else the calendar's, else local)")
	pf.Bool(keyNoColor, false, "no colour (also NO_COLOR)")
	pf.BoolP(keyQuiet, "q", false, "print only what scripts need")
	pf.BoolP(keyVerbose, "v", false, "say more")
	pf.String(keyRules, "", "editorial rules file (default: rules.yaml beside the config file, if there is one)")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// `crieur pubish --due`: the flags were read for the noun, but the
		// mistake is the verb before them.
		if args := cmd.Flags().Args(); cmd.Annotations[nounAnnotation] != "" && len(args) > 0 {
			return unknownVerb(cmd, args[0])
		}
		return usageErr{suggestFlag(cmd, err)}
	})
	if f := commandFor(root, args); f != nil {
		root.AddCommand(f(a))
		refuseUnknownVerbs(root)
		return root
	}
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	// Cobra adds its completion command only when run; added now, it is held
	// to the same rule as the others (`crieur completion tcsh` exits 2).
	root.InitDefaultCompletionCmd()
	refuseUnknownVerbs(root)
	return root
}

// commandFor is the registered constructor of the command args run, told
// from args and root's flags alone, or nil when it cannot be told.
func commandFor(root *cobra.Command, args []string) func(*app) *cobra.Command {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			for _, f := range commands {
				if commandName(f) == arg {
					return f
				}
			}
			return nil
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		fl := root.PersistentFlags().Lookup(name)
		if !strings.HasPrefix(arg, "--") {
			fl = nil
			if len(arg) == 2 {
				fl = root.PersistentFlags().ShorthandLookup(name)
			}
		}
		if fl == nil || name == "" {
			return nil // --, -h, --help, a verb's flag, -qv: cobra tells
		}
		if !hasValue && fl.NoOptDefVal == "" {
			i++ // the flag's value
		}
	}
	return nil
}

// commandName is the name of the command a registered constructor makes,
// read from the constructor's own name (newPostCmd: post; newDBCmd: db),
// so that finding the one to build builds none; "" for a constructor not
// so named (a function literal: its command is found in the whole tree).
// TestCommandNames holds every constructor to it.
func commandName(f func(*app) *cobra.Command) string {
	fn := runtime.FuncForPC(reflect.ValueOf(f).Pointer())
	if fn == nil {
		return ""
	}
	name := fn.Name()
	name = name[strings.LastIndexByte(name, '.')+1:]
	name, ok := strings.CutPrefix(name, "new")
	if !ok {
		return ""
	}
	if name, ok = strings.CutSuffix(name, "Cmd"); !ok {
		return ""
	}
	return strings.ToLower(name)
}

// refuseUnknownVerbs makes a noun command (one with verbs and no action of
// its own) refuse an unknown verb as a usage mistake, with the verbs its
// spelling is close to: `crieur post lst` exits 2, not 0 with the help.
// A noun alone (and crieur alone) still shows its help.
func refuseUnknownVerbs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		refuseUnknownVerbs(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.SuggestionsMinimumDistance = 2
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[nounAnnotation] = "1"
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		return unknownVerb(cmd, args[0])
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// nounAnnotation marks a command that only groups verbs (see refuseUnknownVerbs).
const nounAnnotation = "crieur-noun"

// unknownVerb is the usage error for verb, unknown to the noun cmd, with the
// verbs its spelling is close to.
func unknownVerb(cmd *cobra.Command, verb string) error {
	msg := fmt.Sprintf("unknown command %q for %q", verb, cmd.CommandPath())
	if s := cmd.SuggestionsFor(verb); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErr{errors.New(msg)}
}

// loadConfig reads, in rising precedence: the config file, CRIEUR_* env, flags.
func (a *app) loadConfig(cmd *cobra.Command) error {
	v := a.v
	v.SetEnvPrefix("CRIEUR")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	if err := v.BindPFlags(cmd.Flags()); err != nil {
		return err
	}
	path := v.GetString(keyConfig)
	explicit := path != ""
	if !explicit {
		path = filepath.Join(configDir(), "config.yaml")
	}
	a.configPath = path
	v.SetConfigFile(path)
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil {
		var notFound viper.ConfigFileNotFoundError
		if explicit || !(errors.As(err, &notFound) || errors.Is(err, os.ErrNotExist) || isNotExist(err)) {
			return fmt.Errorf("config %s: %w", path, err)
		}
	}
	switch o := v.GetString(keyOutput); o {
	case "table", "json", "yaml":
	default:
		return usageErr{fmt.Errorf("--output %q: use table, json or yaml", o)}
	}
	if tz := v.GetString(keyTZ); tz != "" {
		if _, err := when.LoadZone(tz); err != nil {
			return usageErr{fmt.Errorf("--tz: %w", err)}
		}
	}
	a.calTZ = configuredTZ(v, path)
	if a.calTZ != "" {
		if _, err := when.LoadZone(a.calTZ); err != nil {
			return fmt.Errorf("config %s: tz: %w", path, err)
		}
	}
	return nil
}

// configuredTZ is the calendar's zone: CRIEUR_TZ, else the config file's tz;
// the --tz flag only changes how times are read and shown.
func configuredTZ(v *viper.Viper, path string) string {
	if tz := os.Getenv("CRIEUR_TZ"); tz != "" {
		return tz
	}
	if !v.InConfig(keyTZ) {
		return ""
	}
	cv := viper.New()
	cv.SetConfigFile(path)
	cv.SetConfigType("yaml")
	if err := cv.ReadInConfig(); err != nil {
		return ""
	}
	return cv.GetString(keyTZ)
}

// tuneGC lets a short-lived command collect garbage less often: it lives for
// milliseconds, and a month view spends a fifth of its time in the collector
// at Go's default. The daemon runs for months and keeps the default, as does
// anyone who sets GOGC.
func tuneGC(cmd *cobra.Command) {
	if cmd.Name() != "daemon" && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

func isNotExist(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && errors.Is(pe.Err, os.ErrNotExist)
}

func configDir() string {
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "crieur")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".config", "crieur")
	}
	return "."
}

func dataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "crieur")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "crieur")
	}
	return "."
}

func (a *app) dbPath() string {
	if p := a.v.GetString(keyDB); p != "" {
		return p
	}
	return filepath.Join(dataDir(), "crieur.db")
}

// openStore opens the calendar, creating it only for `init`.
func (a *app) openStore(create bool) (calendar.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	s, err := sqlstore.OpenURL(a.ctx, a.dbPath(), sqlstore.Options{Create: create, Keys: a.keys, ShortLived: !a.longLived})
	if err != nil {
		return nil, err
	}
	s.Now = a.now
	if err := a.useCalendarZone(s); err != nil {
		s.Close()
		return nil, err
	}
	if actor := a.actor(); actor != "" {
		s.Actor = actor
	}
	if set, err := a.rules(); err != nil {
		s.Rules = brokenRules{err}
	} else if set != nil {
		s.Rules = set
	}
	s.RuleWarning = a.ruleWarning
	a.store = s
	return s, nil
}

// db opens the existing calendar.
func (a *app) db() (calendar.Store, error) { return a.openStore(false) }

func (a *app) close() {
	if a.store != nil {
		a.store.Close()
	}
}

// useCalendarZone gives s the calendar's zone: the one recorded in it, the
// same for every process (a daemon or CI runner without this machine's
// config included). A calendar without one records this process's
// configured zone (config tz or CRIEUR_TZ), once; init --tz replaces it.
// A configured zone that differs from the recorded one is said once, and
// the calendar's is used.
func (a *app) useCalendarZone(s *sqlstore.Store) error {
	rec, err := s.CalendarZone(a.ctx)
	if err != nil {
		return err
	}
	switch {
	case a.setZone != "":
		if a.setZonePrev, err = s.SetCalendarZone(a.ctx, a.setZone); err != nil {
			return fmt.Errorf("--tz: %w", err)
		}
		rec, _ = s.CalendarZone(a.ctx)
	case rec == "" && a.calTZ != "":
		// A calendar made before its zone was kept in it, or without one:
		// the first process with a zone of its own records it. Should that
		// fail (a read-only database, "Local"), this process keeps its own.
		if got, err := s.AdoptCalendarZone(a.ctx, a.calTZ); err == nil {
			rec = got
			if loc, lerr := when.LoadZone(a.calTZ); lerr == nil && loc.String() == got {
				a.zoneAdopted = true
			}
		}
	}
	if rec == "" {
		if a.calTZ != "" {
			s.Zone = a.calendarZone()
		}
		return nil
	}
	loc, err := when.LoadZone(rec)
	if err != nil {
		a.warnf("the calendar's recorded zone %q cannot be read (%v): its slots are read in %s; set it with `crieur init --tz ZONE`", rec, err, a.calendarZone())
		s.Zone = a.calendarZone()
		return nil
	}
	a.calLoc, a.calRec, s.Zone = loc, rec, loc
	if a.calTZ != "" {
		if own, err := when.LoadZone(a.calTZ); err == nil && own.String() != rec {
			from := "CRIEUR_TZ"
			if os.Getenv("CRIEUR_TZ") == "" {
				from = "tz in " + a.configPath
			}
			a.warnf("this calendar's zone is %s, but your %s says %s: slots, evergreen fills and rules' days use the calendar's zone, %s. To change the calendar's zone: crieur init --tz %s",
				rec, from, a.calTZ, rec, a.calTZ)
		}
	}
	if a.zoneAdopted && !a.inInit {
		fmt.Fprintf(a.note(), "crieur: the calendar had no zone of its own: it now has yours, %s (every machine and daemon reads its slots in it; `crieur init --tz ZONE` changes it)\n", rec)
	}
	return nil
}

// zone is the viewer's zone: --tz, else the config's tz, else the
// calendar's (once it is open), else local.
func (a *app) zone() *time.Location {
	tz := a.v.GetString(keyTZ)
	if tz == "" && a.calLoc != nil {
		return a.calLoc
	}
	if a.loc != nil && a.locName == tz {
		return a.loc
	}
	a.loc, a.locName = time.Local, tz
	if tz != "" {
		if loc, err := when.LoadZone(tz); err == nil {
			a.loc = loc
		}
	}
	return a.loc
}

// calendarZone is the calendar's zone: the one recorded in it (once it is
// open), else the config's tz, else UTC: the zone of slots on channels
// without their own. Never the machine's zone.
func (a *app) calendarZone() *time.Location {
	if a.calLoc != nil {
		return a.calLoc
	}
	if a.calTZ != "" {
		if loc, err := when.LoadZone(a.calTZ); err == nil {
			return loc
		}
	}
	return time.UTC
}

func (a *app) quiet() bool { return a.v.GetBool(keyQuiet) }

// info is where a command says what it did (stdout): nowhere with -q, which
// prints errors only, and the ids a script needs from a command that
// creates or lists. Every informational line goes through info or note, so
// that a cron job with -q mails nothing when all went well.
func (a *app) info() io.Writer {
	if a.quiet() {
		return io.Discard
	}
	return a.out
}

// note is info's stderr twin: side remarks and warnings, silenced by -q.
func (a *app) note() io.Writer {
	if a.quiet() {
		return io.Discard
	}
	return a.errOut
}

// warnf prints a warning on stderr, unless -q. A command that keeps its
// warnings for its JSON or YAML document (keepWarnings) gets them there
// instead.
func (a *app) warnf(format string, args ...any) {
	if a.keptWarnings != nil {
		*a.keptWarnings = append(*a.keptWarnings, fmt.Sprintf(format, args...))
		return
	}
	fmt.Fprintf(a.note(), "crieur: warning: "+format+"\n", args...)
}

// keepWarnings makes warnf keep the warnings for the command's document
// when the output is JSON or YAML (stdout then holds the document alone,
// and stderr no copy of them); kept gives them, once. done prints on stderr
// those the command did not take (it failed before its document).
func (a *app) keepWarnings() (kept func() []string, done func()) {
	if a.format() == "table" {
		return func() []string { return nil }, func() {}
	}
	var w []string
	a.keptWarnings = &w
	kept = func() []string {
		out := w
		w = nil
		return out
	}
	done = func() {
		a.keptWarnings = nil
		for _, m := range kept() {
			a.warnf("%s", m)
		}
	}
	return kept, done
}
func (a *app) verbose() bool { return a.v.GetBool(keyVerbose) }
func (a *app) format() string {
	return a.v.GetString(keyOutput)
}

// usageErr marks a usage mistake (exit 2).
type usageErr struct{ error }

func (e usageErr) Unwrap() error { return e.error }

// Exit codes, as DESIGN.md's CLI contract fixes them.
const (
	exitOK         = 0
	exitRuntime    = 1
	exitUsage      = 2
	exitValidation = 3
	exitNotFound   = 4
	exitConflict   = 5
)

func exitCode(err error) int {
	var ue usageErr
	var ve *calendar.ValidationError
	var fe calendar.FieldError
	var pe *pgconn.ParseConfigError // a postgres:// URL that does not parse: the user's typo
	switch {
	case errors.As(err, &ue), errors.Is(err, sqlstore.ErrUnknownScheme), errors.As(err, &pe):
		return exitUsage
	case errors.As(err, &ve), errors.As(err, &fe):
		return exitValidation
	case errors.Is(err, calendar.ErrNotFound):
		return exitNotFound
	case errors.Is(err, calendar.ErrConflict):
		return exitConflict
	case errors.Is(err, sqlstore.ErrNoDatabase):
		return exitRuntime
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "accepts ") || strings.Contains(err.Error(), "requires at least") {
		return exitUsage
	}
	return exitRuntime
}

// reportError prints err (as JSON with -o json) and returns the exit code.
func (a *app) reportError(err error) int {
	code := exitCode(err)
	if a.v.GetString(keyOutput) == "json" {
		_ = writeJSON(a.errOut, errorDoc(err))
		return code
	}
	fmt.Fprintf(a.errOut, "crieur: %s\n", termSafe(userText(err)))
	if code == exitUsage {
		fmt.Fprintln(a.errOut, "Run 'crieur --help' or 'crieur COMMAND --help' for usage.")
	}
	return code
}

func errorDoc(err error) map[string]any {
	doc := problemDoc(err)
	var kept keptDraftErr
	if errors.As(err, &kept) {
		doc["draft"] = kept.path
	}
	return doc
}

func problemDoc(err error) map[string]any {
	var ve *calendar.ValidationError
	var fe calendar.FieldError
	switch {
	case errors.As(err, &ve) && len(ve.Problems) == 1:
		return fieldDoc(ve.Problems[0])
	case errors.As(err, &ve):
		doc := map[string]any{"error": fmt.Sprintf("%d problems", len(ve.Problems))}
		list := make([]map[string]any, len(ve.Problems))
		for i, p := range ve.Problems {
			list[i] = fieldDoc(p)
		}
		doc["errors"] = list
		return doc
	case errors.As(err, &fe):
		return fieldDoc(fe)
	}
	return map[string]any{"error": userText(err)}
}

// userText is an error as the user reads it: the sentinel a message wraps
// for the exit code (": conflict") is crieur's business, not theirs.
func userText(err error) string {
	msg := err.Error()
	if errors.Is(err, calendar.ErrConflict) {
		msg = strings.TrimSuffix(msg, ": "+calendar.ErrConflict.Error())
	}
	return msg
}

func fieldDoc(p calendar.FieldError) map[string]any {
	d := map[string]any{"error": p.Message}
	if p.File != "" {
		d["file"] = p.File
	}
	if p.Line > 0 {
		d["line"] = p.Line
	}
	if p.Field != "" {
		d["field"] = p.Field
	}
	return d
}

// args checks positional arguments, as a usage error.
func exactArgs(n int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr{fmt.Errorf("expected %s, got %d argument(s)", names, len(args))}
		}
		return nil
	}
}

func rangeArgs(min, max int, names string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usageErr{fmt.Errorf("expected %s, got %d argument(s)", names, len(args))}
		}
		return nil
	}
}
