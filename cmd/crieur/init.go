package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar/sqlstore"
)

func init() { registerCommand(newInitCmd) }

const configSkeleton = `# crieur configuration. Precedence: this file < CRIEUR_* environment < flags.

# The calendar database (env CRIEUR_DB, flag --db).
# db: %s

# Your zone (IANA name, e.g. Europe/Paris; env CRIEUR_TZ): times are read and
# shown in it when a command is given no --tz. A calendar without a zone of its
# own records this one; then every machine reads in it the slots of a channel
# without its own --tz ("crieur init --tz ZONE" changes the calendar's).
# Empty: the calendar's zone; with none there either, times in the machine's
# zone, such slots in UTC.
# tz: Europe/Paris

# Who you are: a post's author, its approver, who events are attributed to
# (env CRIEUR_USER; default: author below, else the OS user).
# user: camille
# author: Camille

# The editorial rules (env CRIEUR_RULES, flag --rules; default: rules.yaml
# beside this file, if there is one).
# rules: /home/me/campaigns/rules.yaml

# Default output: table, json or yaml.
# output: table

# The key file that seals the secrets kept in the calendar (env CRIEUR_KEY_FILE;
# default beside this file). CRIEUR_KEY, if set, holds the key itself instead.
# key_file: /home/me/.config/crieur/key

# The daemon:
# concurrency: 4          # publishes at once
# max-attempts: 8         # transient failures retried this many times, then failed
# log-format: text        # or json
# fill-horizon: 7d        # category slots filled this far ahead (env CRIEUR_FILL_HORIZON)
# stats-at: 1h,24h,7d,30d # engagement read back this long after publishing (env CRIEUR_STATS_AT)
`

func newInitCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Create the calendar database and a commented config file",
		Long: `Create the calendar database (SQLite, 0600; or, with --db postgres://…, the
tables in an existing PostgreSQL database), the key that seals the secrets
kept in it (a 0600 key file beside the config, unless CRIEUR_KEY is set) and,
if none exists, a commented config file. Running it again changes nothing: an
existing key is never replaced.

The calendar keeps its zone (an IANA name such as Europe/Paris): the slots of
channels without their own zone, evergreen fills and rules' days are read in
it by every process that opens it, a daemon or CI runner without this
machine's config included. init records the configured zone (tz in the
config, or CRIEUR_TZ); --tz ZONE sets it, or changes an existing calendar's
(slots are read in the new zone from then on; posts already placed keep
their times).`,
		Example: `  crieur init
  crieur init --tz Europe/Paris
  crieur init --db ./campaign.db
  crieur init --db postgres://crieur@db.example/calendar`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := a.dbPath()
			cfgDB := path // what the config skeleton names
			var existed bool
			if sqlstore.IsPostgresURL(path) {
				cfgDB = withoutPassword(path)
				// A PostgreSQL calendar exists once its tables do.
				if s, err := sqlstore.OpenURL(a.ctx, path, sqlstore.Options{Keys: a.keys, ShortLived: true}); err == nil {
					existed = true
					s.Close()
				}
				path = sqlstore.RedactURL(path) // shown and written below: never its password
			} else {
				_, statErr := os.Stat(path)
				existed = statErr == nil
			}
			// The key first: opening moves an earlier crieur's secrets file
			// into the calendar, sealed with it.
			keyPath, keyCreated, keyID, err := a.ensureKey()
			if err != nil {
				return err
			}
			a.inInit = true
			if fl := cmd.Flag(keyTZ); fl != nil && fl.Changed {
				a.setZone = fl.Value.String()
			}
			if _, err := a.openStore(true); err != nil {
				return err
			}
			cfg := a.v.GetString(keyConfig)
			if cfg == "" {
				cfg = filepath.Join(configDir(), "config.yaml")
			}
			wroteCfg := false
			if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
				if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
					return err
				}
				if err := os.WriteFile(cfg, []byte(fmt.Sprintf(configSkeleton, cfgDB)), 0o600); err != nil {
					return err
				}
				wroteCfg = true
			}
			doc := map[string]any{"database": path, "created": !existed, "config": cfg, "config_created": wroteCfg, "key_file": keyPath, "key_created": keyCreated, "key_id": keyID,
				"zone": a.calRec}
			zoneChanged := a.setZone != "" && existed && a.setZonePrev != a.calRec
			if zoneChanged {
				doc["previous_zone"] = a.setZonePrev
			}
			return a.emit(doc, func(io.Writer) error {
				if a.quiet() {
					return nil
				}
				if existed {
					fmt.Fprintf(a.out, "Calendar already at %s (up to date).\n", path)
				} else {
					fmt.Fprintf(a.out, "Created calendar %s\n", path)
				}
				switch {
				case zoneChanged:
					fmt.Fprintf(a.out, "The calendar's zone is now %s (was %s): slots of channels without their own zone are read in it from now on; posts already placed keep their times. Restart running daemons so that they read it.\n", a.calRec, orNoZone(a.setZonePrev))
				case a.calRec != "" && (!existed || a.zoneAdopted):
					fmt.Fprintf(a.out, "The calendar's zone is %s: every machine and daemon reads its slots in it (`crieur init --tz ZONE` changes it).\n", a.calRec)
				}
				if wroteCfg {
					fmt.Fprintf(a.out, "Wrote config skeleton %s\n", cfg)
				}
				if keyCreated {
					fmt.Fprintf(a.out, "Made the key that seals the calendar's secrets: %s (key %s). Back it up with the database: one without the other is useless.\n", keyPath, keyID)
				}
				fmt.Fprintln(a.out, "Next: crieur channel add NAME --network NET   (crieur channel add --help)")
				return nil
			})
		},
	}
}

// withoutPassword is a PostgreSQL URL with its password taken out (the
// config file names the database; the password belongs in ~/.pgpass or
// PGPASSWORD, and a redacted "xxxxx" there would be sent as the password).
func withoutPassword(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return sqlstore.RedactURL(target)
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	if q := u.Query(); q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// orNoZone names a recorded zone, or says there was none (UTC).
func orNoZone(z string) string {
	if z == "" {
		return "none: UTC"
	}
	return z
}
