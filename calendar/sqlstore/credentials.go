package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/crieur/crieur/internal/seal"

	calendar "github.com/crieur/crieur/calendar"
)

// credState is the store's key source, its keys once read, and the locks its
// handles take within this process.
type credState struct {
	keys   calendar.KeySource
	mu     sync.Mutex
	loaded *calendar.Keys
	locks  map[string]chan struct{}
}

// keyring returns the calendar's keys, reading them once.
func (s *Store) keyring() (calendar.Keys, error) {
	s.cred.mu.Lock()
	defer s.cred.mu.Unlock()
	if s.cred.loaded != nil {
		return *s.cred.loaded, nil
	}
	src := s.cred.keys
	if src == nil {
		src = calendar.EnvKeys
	}
	k, err := src()
	if err != nil {
		return calendar.Keys{}, err
	}
	if !k.Current.Valid() {
		return calendar.Keys{}, fmt.Errorf("%w: set CRIEUR_KEY, or run `crieur init` to make a key file", calendar.ErrNoKey)
	}
	s.cred.loaded = &k
	return k, nil
}

// sealingKeys reads the calendar's keys again, for a seal made in a write
// transaction: another process may have rotated the key since this one read
// it (a daemon running for weeks while `crieur secrets rotate-key` ran), and
// a secret sealed with the old key would be lost once the old key is
// removed. Called inside the transaction, it reads the key after any
// rotation that committed before it. Seals are rare (a channel's secrets
// set, a rotated token saved): reading the key source each time costs
// nothing that matters.
func (s *Store) sealingKeys() (calendar.Keys, error) {
	s.cred.mu.Lock()
	s.cred.loaded = nil
	s.cred.mu.Unlock()
	return s.keyring()
}

// splitSecretKey turns the key of a stored: reference (CHANNEL/NAME) into its row.
func splitSecretKey(key string) (channel, name string) {
	if c, n, ok := strings.Cut(key, "/"); ok {
		return c, n
	}
	return "", key
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// storedSecret opens the row (channel, name).
func (s *Store) storedSecret(ctx context.Context, q querier, channel, name string) (string, bool, error) {
	var sealed seal.Sealed
	err := q.QueryRowContext(ctx, `SELECT nonce, ciphertext, key_id FROM secrets WHERE channel=? AND name=?`, channel, name).
		Scan(&sealed.Nonce, &sealed.Ciphertext, &sealed.KeyID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	keys, err := s.keyring()
	if err != nil {
		return "", false, err
	}
	v, err := keys.Open(channel, name, sealed)
	if errors.Is(err, calendar.ErrWrongKey) {
		// Another process rotated the key since this one read it (a daemon
		// running for weeks): read the key again, once.
		s.cred.mu.Lock()
		s.cred.loaded = nil
		s.cred.mu.Unlock()
		if keys, err = s.keyring(); err != nil {
			return "", false, err
		}
		v, err = keys.Open(channel, name, sealed)
	}
	return v, err == nil, err
}

// sealTx seals value into the row (channel, name) with the current key.
func (s *Store) sealTx(ctx context.Context, tx *sql.Tx, keys calendar.Keys, channel, name, value string) error {
	sealed, err := keys.Current.Seal([]byte(value), calendar.SecretAD(channel, name))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO secrets (channel, name, ciphertext, nonce, key_id, updated_at) VALUES (?,?,?,?,?,?)
		ON CONFLICT (channel, name) DO UPDATE SET ciphertext=excluded.ciphertext, nonce=excluded.nonce,
		key_id=excluded.key_id, version=secrets.version+1, updated_at=excluded.updated_at`,
		channel, name, sealed.Ciphertext, sealed.Nonce, sealed.KeyID, ms(s.now()))
	return err
}

// writeSecretsTx seals values (keyed CHANNEL/NAME, as in their stored:
// references) in tx, then deletes channel's rows that no channel refers to
// any more (a removed channel, a value replaced by an env: reference). A
// channel borrowing another's stored: secret keeps it alive.
func (s *Store) writeSecretsTx(ctx context.Context, tx *sql.Tx, channel string, values map[string]string) error {
	if len(values) > 0 {
		keys, err := s.sealingKeys()
		if err != nil {
			return err
		}
		for key, v := range values {
			c, n := splitSecretKey(key)
			if err := s.sealTx(ctx, tx, keys, c, n, v); err != nil {
				return err
			}
		}
	}
	used, err := usedSecretsTx(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT name FROM secrets WHERE channel=?`, channel)
	if err != nil {
		return err
	}
	var stale []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		if !used[channel+"/"+n] {
			stale = append(stale, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range stale {
		if _, err := tx.ExecContext(ctx, `DELETE FROM secrets WHERE channel=? AND name=?`, channel, n); err != nil {
			return err
		}
	}
	return nil
}

// usedSecretsTx lists the stored: keys some channel refers to.
func usedSecretsTx(ctx context.Context, tx *sql.Tx) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT secrets FROM channels`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	used := map[string]bool{}
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		refs := map[string]string{}
		_ = json.Unmarshal([]byte(text), &refs)
		for _, ref := range refs {
			if k, ok := strings.CutPrefix(ref, "stored:"); ok {
				used[k] = true
			}
		}
	}
	return used, rows.Err()
}

// AddChannelWithSecrets creates c and seals values (keyed CHANNEL/NAME, the
// keys of c's stored: references) in one transaction: if either fails,
// neither is written.
func (s *Store) AddChannelWithSecrets(ctx context.Context, c *calendar.Channel, values map[string]string) error {
	return s.addChannel(ctx, c, values)
}

// UpdateChannelWithSecrets is UpdateChannelReport, sealing values in the
// same transaction and deleting the stored secrets c no longer refers to.
func (s *Store) UpdateChannelWithSecrets(ctx context.Context, c *calendar.Channel, values map[string]string) (calendar.ApprovalMoves, error) {
	return s.updateChannel(ctx, c, values)
}

// StoreSecret seals value under key (CHANNEL/NAME) in its own transaction and
// returns its reference.
func (s *Store) StoreSecret(key, value string) (string, error) {
	c, n := splitSecretKey(key)
	err := s.tx(context.Background(), func(tx *sql.Tx) error {
		keys, err := s.sealingKeys()
		if err != nil {
			return err
		}
		return s.sealTx(context.Background(), tx, keys, c, n, value)
	})
	if err != nil {
		return "", err
	}
	return "stored:" + key, nil
}

// importSecretsFile moves the secrets an earlier crieur kept in
// <db>.secrets into the table, sealed, in one transaction, then removes the
// file. Without a key nothing is changed and the error says how to make one:
// the file stays until its secrets are in the calendar.
func (s *Store) importSecretsFile(ctx context.Context) error {
	if s.dia.pg {
		return nil // no earlier crieur kept a PostgreSQL calendar
	}
	path := calendar.SecretsPath(s.path)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the secrets file %s: %w", path, calendar.UnwrapPath(err))
	}
	m := map[string]string{}
	if len(strings.TrimSpace(string(b))) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("%s: not a secrets file (%v); it was left as it is", path, unwrapJSON(err))
		}
	}
	if len(m) > 0 {
		keys, err := s.keyring()
		if err != nil {
			return fmt.Errorf("%s holds secrets kept by an earlier crieur; they move into the calendar, sealed with a key, and no key is set up yet (%w). Nothing was changed", path, err)
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			for key, v := range m {
				c, n := splitSecretKey(key)
				var exists bool
				// A row already there was written after an earlier import
				// stopped short of removing the file: it is the newer one.
				if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM secrets WHERE channel=? AND name=?)`, c, n).Scan(&exists); err != nil {
					return err
				}
				if exists {
					continue
				}
				if err := s.sealTx(ctx, tx, keys, c, n, v); err != nil {
					return err
				}
			}
			return s.event(ctx, tx, calendar.Event{Kind: "secrets.imported", Detail: map[string]any{"file": path, "count": len(m)}})
		})
		if err != nil {
			return fmt.Errorf("moving the secrets of %s into the calendar: %w (the file was left as it is)", path, err)
		}
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("the secrets of %s are now in the calendar, but the file could not be removed: %w; remove it", path, calendar.UnwrapPath(err))
	}
	_ = os.Remove(path + ".lock")
	return nil
}

// unwrapJSON keeps a JSON error's position, never the text it quotes.
func unwrapJSON(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	return errors.New("not an object of names to values")
}

// RotateKey seals every stored secret again under next, in one transaction:
// every secret opens with the current key (or an old one) first, or nothing
// changes. The caller has written next where it will be found before calling
// (see `crieur secrets rotate-key`): once this commits, only next opens them.
func (s *Store) RotateKey(ctx context.Context, next seal.Key) (calendar.Rotation, error) {
	r := calendar.Rotation{NewKeyID: next.ID()}
	if !next.Valid() {
		return r, errors.New("no new key")
	}
	keys, err := s.keyring()
	if err != nil {
		return r, err
	}
	r.OldKeyID = keys.Current.ID()
	err = s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT channel, name, nonce, ciphertext, key_id FROM secrets ORDER BY channel, name`)
		if err != nil {
			return err
		}
		type row struct {
			channel, name, value string
		}
		var all []row
		for rows.Next() {
			var rw row
			var sealed seal.Sealed
			if err := rows.Scan(&rw.channel, &rw.name, &sealed.Nonce, &sealed.Ciphertext, &sealed.KeyID); err != nil {
				rows.Close()
				return err
			}
			if rw.value, err = keys.Open(rw.channel, rw.name, sealed); err != nil {
				rows.Close()
				return err
			}
			all = append(all, rw)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		nk := calendar.Keys{Current: next}
		for _, rw := range all {
			if err := s.sealTx(ctx, tx, nk, rw.channel, rw.name, rw.value); err != nil {
				return err
			}
		}
		r.Secrets = len(all)
		return s.event(ctx, tx, calendar.Event{Kind: "secrets.rotated", Detail: map[string]any{"count": len(all), "old_key_id": r.OldKeyID, "new_key_id": r.NewKeyID}})
	})
	if err != nil {
		return r, err
	}
	s.cred.mu.Lock()
	s.cred.loaded = &calendar.Keys{Current: next}
	s.cred.mu.Unlock()
	return r, nil
}

// VerifySecrets opens every stored secret with the calendar's keys and says
// how many there are: the first that does not open is the error.
func (s *Store) VerifySecrets(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, name, nonce, ciphertext, key_id FROM secrets ORDER BY channel, name`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var c, name string
		var sealed seal.Sealed
		if err := rows.Scan(&c, &name, &sealed.Nonce, &sealed.Ciphertext, &sealed.KeyID); err != nil {
			return n, err
		}
		keys, err := s.keyring()
		if err != nil {
			return n, err
		}
		if _, err := keys.Open(c, name, sealed); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// StoredSecretKeys lists the stored secrets (CHANNEL/NAME), without values.
func (s *Store) StoredSecretKeys(ctx context.Context) ([]string, error) {
	return queryNames(ctx, s.db, `SELECT channel || '/' || name FROM secrets ORDER BY channel, name`)
}

// SealedKeyIDs lists the ids of the keys the stored secrets are sealed with
// (none when nothing is stored).
func (s *Store) SealedKeyIDs(ctx context.Context) ([]string, error) {
	return queryNames(ctx, s.db, `SELECT DISTINCT key_id FROM secrets ORDER BY key_id`)
}

// Credentials is the handle a channel's adapter gets (it implements
// publishers.Credentials): it reads the channel's secrets when asked, locks
// the channel while a token is refreshed, and saves a rotated token.
//
// The lock is a lease row in secret_locks, taken with one conditional
// upsert, so two processes (the daemon, `channel test`) exclude each other
// as two goroutines do, and a holder that dies frees it when the lease
// expires; within one process a channel semaphore keeps waiters from
// polling the database. SQLite's own write lock (BEGIN IMMEDIATE) was not
// chosen: it would stop every writer of the calendar for as long as a
// refresh waits on the network.
type Credentials struct {
	s       *Store
	channel string
}

// Credentials returns the handle of the channel called channel.
func (s *Store) Credentials(channel string) calendar.Credentials {
	return &Credentials{s: s, channel: channel}
}

// Get resolves the channel's secret name as it is now: a stored value from
// the table (the latest Save), env: and file: references at the moment.
func (c *Credentials) Get(name string) (string, error) {
	ctx := context.Background()
	ch, err := c.s.Channel(ctx, c.channel)
	if err != nil {
		return "", err
	}
	ref, ok := ch.Secrets[name]
	if !ok {
		return "", fmt.Errorf("channel %s has no secret %s", c.channel, name)
	}
	m, err := c.s.ResolveSecrets(map[string]string{name: ref})
	if err != nil {
		return "", err
	}
	return m[name], nil
}

// All resolves every secret of the channel, as publishers.Config.Secrets.
func (c *Credentials) All() (map[string]string, error) {
	ch, err := c.s.Channel(context.Background(), c.channel)
	if err != nil {
		return nil, err
	}
	return c.s.ResolveSecrets(ch.Secrets)
}

// Save seals value as the channel's secret name, in its own transaction, and
// makes the channel refer to it (a token saved over an env: or file:
// reference replaces it: the rotated token is the one that works now).
func (c *Credentials) Save(ctx context.Context, name, value string) error {
	if value == "" {
		return fmt.Errorf("channel %s: secret %s: an empty value is not saved", c.channel, name)
	}
	return c.s.tx(ctx, func(tx *sql.Tx) error {
		keys, err := c.s.sealingKeys()
		if err != nil {
			return err
		}
		var text string
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id, secrets FROM channels WHERE name=?`, c.channel).Scan(&id, &text); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return calendar.NotFound("channel", c.channel)
			}
			return err
		}
		if err := c.s.sealTx(ctx, tx, keys, c.channel, name, value); err != nil {
			return err
		}
		refs := map[string]string{}
		_ = json.Unmarshal([]byte(text), &refs)
		if want := "stored:" + c.channel + "/" + name; refs[name] != want {
			refs[name] = want
			if _, err := tx.ExecContext(ctx, `UPDATE channels SET secrets=?, updated_at=? WHERE id=?`, jsonText(refs), ms(c.s.now()), id); err != nil {
				return err
			}
		}
		return c.s.event(ctx, tx, calendar.Event{Kind: "channel.secret_saved", ChannelID: id, Detail: map[string]any{"secret": name}})
	})
}

// Lock takes the channel's lock, waiting for another holder (in this process
// or another) to let go, or for ctx. unlock lets go; it is safe to call once.
func (c *Credentials) Lock(ctx context.Context) (unlock func(), err error) {
	sem := c.s.channelSemaphore(c.channel)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	holder := randomHolder()
	for {
		now := time.Now().UTC() // a lease is real time, whatever clock the store reads
		res, err := c.s.db.ExecContext(ctx, `INSERT INTO secret_locks (channel, holder, expires_at) VALUES (?,?,?)
			ON CONFLICT (channel) DO UPDATE SET holder=excluded.holder, expires_at=excluded.expires_at
			WHERE secret_locks.expires_at <= ?`, c.channel, holder, ms(now.Add(calendar.LockLease)), ms(now))
		if err != nil {
			<-sem
			return nil, fmt.Errorf("locking channel %s: %w", c.channel, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			break
		}
		select {
		case <-time.After(25 * time.Millisecond):
		case <-ctx.Done():
			<-sem
			return nil, ctx.Err()
		}
	}
	// The lease is renewed while held, so a slow refresh keeps it; only a
	// holder that died lets it run out.
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(calendar.LockLease / 4)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_, _ = c.s.db.ExecContext(context.Background(), `UPDATE secret_locks SET expires_at=? WHERE channel=? AND holder=?`,
					ms(time.Now().Add(calendar.LockLease)), c.channel, holder)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			_, _ = c.s.db.ExecContext(context.Background(), `DELETE FROM secret_locks WHERE channel=? AND holder=?`, c.channel, holder)
			<-sem
		})
	}, nil
}

func (s *Store) channelSemaphore(channel string) chan struct{} {
	s.cred.mu.Lock()
	defer s.cred.mu.Unlock()
	if s.cred.locks == nil {
		s.cred.locks = map[string]chan struct{}{}
	}
	sem, ok := s.cred.locks[channel]
	if !ok {
		sem = make(chan struct{}, 1)
		s.cred.locks[channel] = sem
	}
	return sem
}

func randomHolder() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
