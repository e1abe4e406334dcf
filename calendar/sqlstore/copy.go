package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/crieur/crieur/internal/seal"

	calendar "github.com/crieur/crieur/calendar"
)

// copyTable is one table of the calendar's schema as Copy treats it: copied
// (in this order, parents before children), or left out for a reason.
type copyTable struct {
	name string
	// skip says why the table is not copied ("" copies it).
	skip string
	// serial: an integer id column the engine numbers (its sequence is set
	// past the copied ids on engines that keep one apart).
	serial bool
	// resealed: the rows' secrets are opened with the source's key and
	// sealed with the target's.
	resealed bool
}

// copyTables is every table of the schema. A new migration's table must be
// added here: TestCopyKnowsEveryTable fails until it is.
var copyTables = []copyTable{
	{name: "channels", serial: true},
	{name: "categories", serial: true},
	{name: "slots", serial: true},
	{name: "campaigns", serial: true},
	{name: "posts", serial: true},
	{name: "category_fills"},
	{name: "post_variants"},
	{name: "post_media"},
	{name: "post_notes", serial: true},
	{name: "deliveries", serial: true},
	{name: "delivery_parts"},
	{name: "stat_snapshots"},
	{name: "stat_latest"},
	{name: "blackouts", serial: true},
	{name: "events", serial: true},
	{name: "state"},
	{name: "secrets", resealed: true},
	{name: "secret_locks", skip: "locks held by the source's running processes"},
	{name: "daemons", skip: "heartbeats of the source's daemons"},
	{name: "leaders", skip: "the source's daemons' leader lease"},
}

// CopyOptions tune Copy.
type CopyOptions struct {
	// Replace empties the target's tables first; without it a target that
	// holds anything is refused (ErrConflict).
	Replace bool
}

// CopiedTable is one table's rows in the source and, after the copy, in
// the target (equal, or Copy fails).
type CopiedTable struct {
	Table   string `json:"table"`
	Source  int64  `json:"source"`
	Target  int64  `json:"target"`
	Skipped string `json:"skipped,omitempty"`
}

// CopyReport is what Copy did.
type CopyReport struct {
	Tables []CopiedTable `json:"tables"`
	// Resealed counts the secrets sealed again under the target's key.
	Resealed int    `json:"secrets_resealed"`
	KeyID    string `json:"target_key_id,omitempty"`
}

// Copy copies the whole calendar src into dst in one transaction of dst
// (read from one transaction of src), ids kept, secrets opened with src's
// keys and sealed with dst's current key; then it counts each table on both
// sides and fails when they differ. Heartbeats, leader and secret locks are
// the source's processes' and are not copied.
func Copy(ctx context.Context, src, dst *Store, opt CopyOptions) (CopyReport, error) {
	var rep CopyReport
	dst.openZone.Store(nil) // its state is replaced by the source's
	// One snapshot of the source: SQLite's transaction is one already;
	// PostgreSQL's must be repeatable read to be one across statements.
	var ro *sql.TxOptions
	if src.dia.pg {
		ro = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	in, err := src.db.BeginTx(ctx, ro)
	if err != nil {
		return rep, err
	}
	defer in.Rollback() //nolint:errcheck // read only
	counts := map[string]int64{}
	for _, t := range copyTables {
		if t.skip != "" {
			continue
		}
		if counts[t.name], err = countRows(ctx, in, t.name); err != nil {
			return rep, fmt.Errorf("source %s: %w", t.name, err)
		}
	}
	err = dst.tx(ctx, func(out *sql.Tx) error {
		rep.Resealed = 0 // the transaction may be run again (PostgreSQL: a serialization retry)
		if err := dst.prepareTarget(ctx, out, opt.Replace); err != nil {
			return err
		}
		for _, t := range copyTables {
			if t.skip != "" || counts[t.name] == 0 {
				continue
			}
			n, err := copyRows(ctx, in, out, t, src, dst, &rep)
			if err != nil {
				return fmt.Errorf("copying %s: %w", t.name, err)
			}
			if n != counts[t.name] {
				return fmt.Errorf("copying %s: %d rows read, %d counted", t.name, n, counts[t.name])
			}
			if t.serial {
				if err := dst.resetSerial(ctx, out, t.name); err != nil {
					return fmt.Errorf("numbering %s after the copy: %w", t.name, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	// Verified after the commit, on the target as anyone will read it.
	var bad []string
	for _, t := range copyTables {
		ct := CopiedTable{Table: t.name, Source: counts[t.name], Skipped: t.skip}
		if t.skip == "" {
			if ct.Target, err = countRows(ctx, dst.db, t.name); err != nil {
				return rep, fmt.Errorf("target %s: %w", t.name, err)
			}
			if ct.Target != ct.Source {
				bad = append(bad, fmt.Sprintf("%s: %d in the source, %d in the target", t.name, ct.Source, ct.Target))
			}
		}
		rep.Tables = append(rep.Tables, ct)
	}
	if len(bad) > 0 {
		return rep, fmt.Errorf("the copy does not match the source: %s", strings.Join(bad, "; "))
	}
	return rep, nil
}

type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func countRows(ctx context.Context, q rowQuerier, table string) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	return n, err
}

// prepareTarget refuses a target holding anything (a calendar id alone, as
// every opened calendar may have made, does not count), or empties it.
func (s *Store) prepareTarget(ctx context.Context, out *sql.Tx, replace bool) error {
	if replace {
		// Daemons running on the target would publish again whatever the
		// copy brings back unpublished: they must be stopped first. One
		// that stopped, or has been silent a minute (status: unresponsive),
		// does not hold the copy back.
		var running int64
		if err := out.QueryRowContext(ctx, `SELECT COUNT(*) FROM daemons WHERE stopped_at IS NULL AND beat_at > ?`,
			ms(s.now().Add(-time.Minute))).Scan(&running); err != nil {
			return err
		}
		if running > 0 {
			return fmt.Errorf("%w: %s running on the target calendar (see crieur status): stop them before replacing it, or they would publish again what the copy brings back unpublished",
				calendar.ErrConflict, calendar.Count(int(running), "daemon is", "daemons are"))
		}
		for i := len(copyTables) - 1; i >= 0; i-- {
			if t := copyTables[i]; t.skip == "" {
				if _, err := out.ExecContext(ctx, `DELETE FROM `+t.name); err != nil {
					return fmt.Errorf("emptying the target's %s: %w", t.name, err)
				}
			}
		}
		return nil
	}
	var held []string
	for _, t := range copyTables {
		if t.skip != "" {
			continue
		}
		q := `SELECT COUNT(*) FROM ` + t.name
		if t.name == "state" {
			q += ` WHERE key <> '` + calendar.StateCalendarID + `'`
		}
		var n int64
		if err := out.QueryRowContext(ctx, q).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%s: %d", t.name, n)) // "campaigns: 1", not "1 campaigns"
		}
	}
	if len(held) > 0 {
		return fmt.Errorf("%w: the target calendar is not empty (%s): copy into an empty one, or pass --replace to empty it first",
			calendar.ErrConflict, strings.Join(held, ", "))
	}
	// The target's own calendar id gives way to the source's.
	_, err := out.ExecContext(ctx, `DELETE FROM state`)
	return err
}

// copyRows copies one table's rows, column by column as the source has them.
func copyRows(ctx context.Context, in *sql.Tx, out *sql.Tx, t copyTable, src, dst *Store, rep *CopyReport) (int64, error) {
	q := `SELECT * FROM ` + t.name
	if t.serial {
		// In id order: a row may name an earlier row of its table (a
		// recycled copy its original), and PostgreSQL, unlike SQLite, gives
		// rows in no set order (an updated row moves to the end).
		q += ` ORDER BY id`
	}
	rows, err := in.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",")
	ins, err := out.PrepareContext(ctx, `INSERT INTO `+t.name+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	var reseal func(vals []any) error
	if t.resealed {
		if reseal, err = resealer(cols, src, dst, rep); err != nil {
			return 0, err
		}
	}
	var n int64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for rows.Next() {
		for i := range vals {
			vals[i] = nil
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		if reseal != nil {
			if err := reseal(vals); err != nil {
				return n, err
			}
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// resealer opens a secrets row with the source's keys and seals it with
// the target's current key, in place.
func resealer(cols []string, src, dst *Store, rep *CopyReport) (func([]any) error, error) {
	at := map[string]int{}
	for i, c := range cols {
		at[c] = i
	}
	for _, c := range []string{"channel", "name", "nonce", "ciphertext", "key_id"} {
		if _, ok := at[c]; !ok {
			return nil, fmt.Errorf("the secrets table has no %s column", c)
		}
	}
	from, err := src.keyring()
	if err != nil {
		return nil, fmt.Errorf("the source's key: %w", err)
	}
	to, err := dst.sealingKeys()
	if err != nil {
		return nil, fmt.Errorf("the target's key: %w", err)
	}
	rep.KeyID = to.Current.ID()
	text := func(v any) string {
		switch v := v.(type) {
		case string:
			return v
		case []byte:
			return string(v)
		}
		return fmt.Sprint(v)
	}
	bytes := func(v any) []byte {
		switch v := v.(type) {
		case []byte:
			return v
		case string:
			return []byte(v)
		}
		return nil
	}
	return func(vals []any) error {
		channel, name := text(vals[at["channel"]]), text(vals[at["name"]])
		value, err := from.Open(channel, name, seal.Sealed{Nonce: bytes(vals[at["nonce"]]), Ciphertext: bytes(vals[at["ciphertext"]]), KeyID: text(vals[at["key_id"]])})
		if err != nil {
			return fmt.Errorf("secret %s/%s does not open with the source's key: %w", channel, name, err)
		}
		sealed, err := to.Current.Seal([]byte(value), calendar.SecretAD(channel, name))
		if err != nil {
			return err
		}
		vals[at["nonce"]], vals[at["ciphertext"]], vals[at["key_id"]] = sealed.Nonce, sealed.Ciphertext, sealed.KeyID
		rep.Resealed++
		return nil
	}, nil
}

// resetSerial sets the engine's numbering of table's id past the copied
// ids: PostgreSQL's identity sequence would otherwise start again at 1.
// SQLite numbers from the largest id present: nothing to do.
func (s *Store) resetSerial(ctx context.Context, out *sql.Tx, table string) error {
	if !s.dia.pg {
		return nil
	}
	_, err := out.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('`+table+`', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM `+table)
	return err
}
