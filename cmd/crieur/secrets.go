package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/seal"
)

func init() { registerCommand(newSecretsCmd) }

func newSecretsCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Manage the key that seals the secrets kept in the calendar",
		Long: `Secrets given as values (channel add --secret token=VALUE) are kept in the
calendar, sealed with a key that is never in it: CRIEUR_KEY (standard base64 of
32 random bytes), else the key file made by crieur init (key_file, env
CRIEUR_KEY_FILE, default beside the config). Back up the key file and the
database together: one without the other is useless.`,
		Example: `  crieur secrets rotate-key`,
	}
	cmd.AddCommand(newSecretsRotateKeyCmd(a))
	return addVerbs(a, cmd)
}

// rotation is what rotate-key prints.
type rotation struct {
	Secrets  int    `json:"secrets"`
	OldKeyID string `json:"old_key_id"`
	NewKeyID string `json:"new_key_id"`
	KeyFile  string `json:"key_file"`
	// UpdateEnv says CRIEUR_KEY still holds the old key: it must be set to
	// the key now in KeyFile (or unset, to use the file).
	UpdateEnv bool `json:"crieur_key_must_change"`
	Resumed   bool `json:"resumed_interrupted_rotation,omitempty"`
}

func newSecretsRotateKeyCmd(a *app) *cobra.Command {
	var newKeyFile string
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Seal every stored secret with a new key",
		Long: `Make a new key (or take the one in --new-key-file), seal every secret kept in
the calendar again with it in one transaction, and write it to the key file.

The order keeps one working key on disk at every moment: the old key file is
kept as KEY.old, the new key replaces KEY atomically, the calendar is sealed
again in one transaction, and only then is KEY.old removed. If crieur stops
half way, both keys are on disk and every command still opens the secrets
(KEY.old opens what the new key did not seal yet); run rotate-key again to
finish.

With CRIEUR_KEY set, the new key is written to the key file too, and
CRIEUR_KEY must then be set to it (or unset, to read the file): the old key
no longer opens the secrets. Back up the new key with the database.`,
		Example: `  crieur secrets rotate-key
  crieur secrets rotate-key --new-key-file ./new.key -o json
  CRIEUR_KEY_FILE=/etc/crieur/key crieur secrets rotate-key`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.db()
			if err != nil {
				return err
			}
			cur, err := a.keys()
			if err != nil {
				return err
			}
			path := a.keyFile()
			old := oldKeyFile(path)
			fromEnv := os.Getenv(envKey) != ""
			r := rotation{KeyFile: path, UpdateEnv: fromEnv}
			var next seal.Key
			_, statErr := os.Lstat(old)
			switch {
			case statErr == nil && !fromEnv:
				// A rotation was cut short: the key file already holds
				// its new key; seal what is left with it.
				if newKeyFile != "" {
					return fmt.Errorf("%s is left by a rotation cut short: run `crieur secrets rotate-key` without --new-key-file to finish it first", old)
				}
				next, r.Resumed = cur.Current, true
			case newKeyFile != "":
				if next, err = seal.Load(newKeyFile); err != nil {
					return err
				}
			default:
				if next, err = seal.New(); err != nil {
					return err
				}
			}
			// Every secret must open with the keys at hand before anything
			// is written: a wrong key is said now, with nothing changed.
			if _, err := st.VerifySecrets(a.ctx); err != nil {
				return err
			}
			if !r.Resumed {
				if next.ID() == cur.Current.ID() {
					return usageErr{fmt.Errorf("--new-key-file holds the current key (%s): give a new one", next.ID())}
				}
				if err := keepOldKey(path, old); err != nil {
					return err
				}
				if err := seal.Replace(path, next); err != nil {
					return fmt.Errorf("writing the new key to %s: %w (nothing was changed; the old key is also in %s)", path, err, old)
				}
			}
			res, err := st.RotateKey(a.ctx, next)
			if err != nil {
				where := "kept in " + old
				if fromEnv {
					where = "still in CRIEUR_KEY"
				}
				return fmt.Errorf("%w; the secrets are still sealed with the old key, %s: run `crieur secrets rotate-key` again", err, where)
			}
			r.Secrets, r.OldKeyID, r.NewKeyID = res.Secrets, res.OldKeyID, res.NewKeyID
			if err := os.Remove(old); err != nil && !errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(a.errOut, "crieur: warning: could not remove the old key %s: %v; remove it\n", old, err)
			}
			return a.emit(r, func(w io.Writer) error {
				if a.quiet() {
					return nil
				}
				fmt.Fprintf(w, "Sealed %s with key %s (was %s).\n", calendar.Count(r.Secrets, "secret", "secrets"), r.NewKeyID, r.OldKeyID)
				fmt.Fprintf(w, "The new key is in %s. Back it up with the database: one without the other is useless.\n", path)
				if r.UpdateEnv {
					fmt.Fprintf(w, "CRIEUR_KEY still holds the old key, which no longer opens them: set CRIEUR_KEY to the content of %s (or unset it to read the file).\n", path)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&newKeyFile, "new-key-file", "", "take the new key from this 0600 file (standard base64 of 32 random bytes) instead of making one")
	return cmd
}

// keepOldKey keeps the key file's present content as old, synced, before it
// is replaced: a hard link (the same bytes under a second name), else a copy.
// No key file (CRIEUR_KEY alone) keeps nothing.
func keepOldKey(path, old string) error {
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Link(path, old); err == nil {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("keeping the old key: %w", err)
	}
	f, err := os.OpenFile(old, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("keeping the old key as %s: %w", old, err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(old)
		return fmt.Errorf("keeping the old key as %s: %w", old, err)
	}
	return nil
}
