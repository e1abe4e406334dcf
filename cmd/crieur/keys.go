package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/crieur/crieur/calendar"
	"github.com/crieur/crieur/internal/seal"
)

// keyKeyFile is the config key (env CRIEUR_KEY_FILE) of the key file's path.
const keyKeyFile = "key_file"

// envKey is the variable that holds the key itself, in standard base64; it
// is read from the environment only, never from the config file.
const envKey = "CRIEUR_KEY"

// keyFile is where the key that seals the calendar's secrets is kept:
// key_file (CRIEUR_KEY_FILE), else beside the config file (--config, else
// $XDG_CONFIG_HOME/crieur/key).
func (a *app) keyFile() string {
	if p := a.v.GetString(keyKeyFile); p != "" {
		return p
	}
	if cfg := a.v.GetString(keyConfig); cfg != "" {
		return filepath.Join(filepath.Dir(cfg), "key")
	}
	return filepath.Join(configDir(), "key")
}

// oldKeyFile is where rotate-key keeps the previous key until the calendar
// is sealed with the new one.
func oldKeyFile(path string) string { return path + ".old" }

// keys reads the calendar's key: CRIEUR_KEY, else the key file (with
// key.old, left by a rotation cut short, which only opens).
func (a *app) keys() (calendar.Keys, error) {
	if os.Getenv(envKey) != "" {
		return calendar.EnvKeys()
	}
	path := a.keyFile()
	k, err := seal.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		return calendar.Keys{}, fmt.Errorf("%w: run `crieur init` to make the key file %s, or set %s", calendar.ErrNoKey, path, envKey)
	}
	if err != nil {
		return calendar.Keys{}, err
	}
	keys := calendar.Keys{Current: k}
	if old, err := seal.Load(oldKeyFile(path)); err == nil {
		keys.Old = append(keys.Old, old)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return calendar.Keys{}, err
	}
	return keys, nil
}

// ensureKey makes the key file for `crieur init` when there is no key yet:
// an existing key file is checked (only its owner may read it), never
// replaced; with CRIEUR_KEY set, no file is made.
func (a *app) ensureKey() (path string, created bool, id string, err error) {
	if os.Getenv(envKey) != "" {
		keys, err := calendar.EnvKeys()
		if err != nil {
			return "", false, "", err
		}
		return "", false, keys.Current.ID(), nil
	}
	path = a.keyFile()
	k, err := seal.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = seal.Create(path)
		created = err == nil
	}
	if err != nil {
		return path, false, "", err
	}
	return path, created, k.ID(), nil
}
