package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/internal/seal"
)

func init() { registerCommand(newDBCmd) }

func newDBCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "db",
		Short:   "Move a whole calendar between databases",
		Example: `  crieur db copy --from sqlite:crieur.db --to postgres://crieur@db.internal/crieur`,
	}
	cmd.AddCommand(newDBCopyCmd(a))
	return addVerbs(a, cmd)
}

// copyDoc is what db copy prints.
type copyDoc struct {
	From     string                 `json:"from"`
	To       string                 `json:"to"`
	Tables   []sqlstore.CopiedTable `json:"tables"`
	Resealed int                    `json:"secrets_resealed"`
	KeyID    string                 `json:"target_key_id,omitempty"`
}

func newDBCopyCmd(a *app) *cobra.Command {
	var from, to, fromKey, toKey string
	var replace bool
	cmd := &cobra.Command{
		Use:   "copy --from DB --to DB",
		Short: "Copy a whole calendar into another database (SQLite, PostgreSQL)",
		Long: `Copy every post, delivery, history event, channel, slot, campaign, blackout
and stored secret of one calendar into another, ids kept, in one transaction of
the target; then count each table on both sides and print the counts. The
daemons' heartbeats and locks are not copied. Stop the daemons of the source
first, so that nothing changes while it is copied.

A database is sqlite:PATH (or a path) or postgres://user@host/db?… . The
target must be empty (a new calendar): --replace empties it first.

Stored secrets are opened with the source's key and sealed with the target's:
--from-key-file and --to-key-file name key files (0600, as crieur init makes
them); either defaults to this configuration's key (CRIEUR_KEY, else the key
file).`,
		Example: `  crieur db copy --from "sqlite:${XDG_DATA_HOME:-$HOME/.local/share}/crieur/crieur.db" --to postgres://crieur@db.internal/crieur
  crieur db copy --from sqlite:old.db --to sqlite:new.db --to-key-file ./new.key -o json`,
		Args: exactArgs(0, "no arguments (the databases are --from and --to)"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return usageErr{errors.New("give both --from and --to (sqlite:PATH or postgres://…)")}
			}
			fromLoc, err := parseDBLocation(from)
			if err != nil {
				return err
			}
			toLoc, err := parseDBLocation(to)
			if err != nil {
				return err
			}
			if fromLoc.same(toLoc) {
				return usageErr{errors.New("--from and --to name the same database")}
			}
			src, err := a.openLocation(fromLoc, false, a.keySourceOf(fromKey))
			if err != nil {
				if errors.Is(err, sqlstore.ErrNoDatabase) && fromLoc.scheme == "sqlite" {
					// Not "pass --db": --from names the source. Say where
					// this machine's calendar is, when there is one.
					err = fmt.Errorf("%w at %s%s", sqlstore.ErrNoDatabase, fromLoc.path, a.localCalendarHint(fromLoc.path))
				}
				return fmt.Errorf("--from %s: %w", fromLoc, err)
			}
			defer src.Close()
			// A failed copy into a SQLite file it created removes what it
			// created: no empty or partial calendar left behind.
			created := toLoc.newFiles()
			dst, err := a.openLocation(toLoc, true, a.keySourceOf(toKey))
			if err != nil {
				created.remove()
				return fmt.Errorf("--to %s: %w", toLoc, err)
			}
			rep, err := sqlstore.Copy(a.ctx, src, dst, sqlstore.CopyOptions{Replace: replace})
			dst.Close()
			if err != nil {
				created.remove()
				return err
			}
			doc := copyDoc{From: fromLoc.String(), To: toLoc.String(), Tables: rep.Tables, Resealed: rep.Resealed, KeyID: rep.KeyID}
			return a.emit(doc, func(w io.Writer) error {
				if a.quiet() {
					return nil
				}
				fmt.Fprintf(w, "Copied %s to %s; rows per table:\n", doc.From, doc.To)
				t := newTable(w, "TABLE", "SOURCE", "TARGET")
				for _, c := range doc.Tables {
					if c.Skipped != "" {
						t.row(c.Table, "-", "-", "not copied: "+c.Skipped)
						continue
					}
					t.row(c.Table, strconv.FormatInt(c.Source, 10), strconv.FormatInt(c.Target, 10))
				}
				if err := t.flush(); err != nil {
					return err
				}
				if doc.Resealed > 0 {
					fmt.Fprintf(w, "%s sealed again with the target's key %s.\n", calendar.Count(doc.Resealed, "secret", "secrets"), doc.KeyID)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the calendar to copy: sqlite:PATH or postgres://…")
	cmd.Flags().StringVar(&to, "to", "", "the database to copy it into: sqlite:PATH or postgres://…")
	cmd.Flags().StringVar(&fromKey, "from-key-file", "", "the key that opens the source's secrets (default: this configuration's key)")
	cmd.Flags().StringVar(&toKey, "to-key-file", "", "the key to seal the target's secrets with (default: this configuration's key)")
	cmd.Flags().BoolVar(&replace, "replace", false, "empty the target first when it holds a calendar already")
	return cmd
}

// dbLocation is a database named on the command line.
type dbLocation struct {
	scheme string // sqlite, postgres
	path   string // the SQLite file
	url    string // the PostgreSQL URL
}

func (l dbLocation) String() string {
	if l.scheme == "sqlite" {
		return "sqlite:" + l.path
	}
	return sqlstore.RedactURL(l.url) // never a password on the screen
}

func (l dbLocation) same(o dbLocation) bool {
	return l.scheme == o.scheme && l.path == o.path && l.url == o.url
}

var schemeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]+):`)

// parseDBLocation reads sqlite:PATH, a plain path, or a postgres:// URL; any
// other scheme is a usage error (never a file named after it).
func parseDBLocation(s string) (dbLocation, error) {
	m := schemeRE.FindStringSubmatch(s)
	if m == nil {
		return dbLocation{scheme: "sqlite", path: s}, nil
	}
	switch strings.ToLower(m[1]) {
	case "sqlite", "sqlite3":
		p := strings.TrimPrefix(s[len(m[0]):], "//")
		if p == "" {
			return dbLocation{}, usageErr{fmt.Errorf("%q names no file: write sqlite:PATH", s)}
		}
		return dbLocation{scheme: "sqlite", path: p}, nil
	case "postgres", "postgresql":
		return dbLocation{scheme: "postgres", url: s}, nil
	}
	return dbLocation{}, usageErr{fmt.Errorf("unknown database scheme %q in %q: use sqlite:PATH or postgres://…", m[1], sqlstore.RedactURL(s))}
}

// sqliteFiles are the files of a SQLite database the command may create.
type sqliteFiles []string

// newFiles lists the files of l (a SQLite database and its journals) that do
// not exist yet: those a failed copy removes. Never a file that was there.
func (l dbLocation) newFiles() sqliteFiles {
	if l.scheme != "sqlite" {
		return nil
	}
	var out sqliteFiles
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if _, err := os.Lstat(l.path + suffix); errors.Is(err, fs.ErrNotExist) {
			out = append(out, l.path+suffix)
		}
	}
	return out
}

func (f sqliteFiles) remove() {
	for _, p := range f {
		_ = os.Remove(p)
	}
}

// keySourceOf reads a key file, or this configuration's keys when path is empty.
func (a *app) keySourceOf(path string) calendar.KeySource {
	if path == "" {
		return a.keys
	}
	return func() (calendar.Keys, error) {
		k, err := seal.Load(path)
		if err != nil {
			return calendar.Keys{}, fmt.Errorf("key file %s: %w", path, err)
		}
		return calendar.Keys{Current: k}, nil
	}
}

// localCalendarHint names this machine's SQLite calendar (--db or
// CRIEUR_DB when it is a file, else the default one) when it exists and is
// not missing: " (this machine's calendar is sqlite:PATH)", else "".
func (a *app) localCalendarHint(missing string) string {
	for _, p := range []string{a.dbPath(), filepath.Join(dataDir(), "crieur.db")} {
		l, err := parseDBLocation(p)
		if err != nil || l.scheme != "sqlite" || l.path == missing {
			continue
		}
		if fi, err := os.Stat(l.path); err == nil && fi.Mode().IsRegular() {
			return fmt.Sprintf(" (this machine's calendar is sqlite:%s)", l.path)
		}
	}
	return ""
}

// openLocation opens a calendar named on the command line (creating a
// target SQLite file).
func (a *app) openLocation(l dbLocation, create bool, keys calendar.KeySource) (*sqlstore.Store, error) {
	switch l.scheme {
	case "sqlite":
		return sqlstore.Open(a.ctx, l.path, sqlstore.Options{Create: create, Keys: keys})
	}
	return sqlstore.OpenURL(a.ctx, l.url, sqlstore.Options{Create: create, Keys: keys})
}
