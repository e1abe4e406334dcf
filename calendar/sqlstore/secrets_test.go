package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/internal/seal"

	calendar "github.com/crieur/crieur/calendar"
)

func testKey(t testing.TB) seal.Key {
	t.Helper()
	k, err := seal.New()
	if err != nil {
		t.Fatal(err)
	}
	k.Source = "the test key"
	return k
}

func keysOf(k seal.Key, old ...seal.Key) calendar.KeySource {
	return func() (calendar.Keys, error) { return calendar.Keys{Current: k, Old: old}, nil }
}

func secretRows(t *testing.T, s *Store) map[string]bool {
	t.Helper()
	rows, err := s.db.Query(`SELECT channel, name FROM secrets`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c, n string
		rows.Scan(&c, &n)
		out[c+"/"+n] = true
	}
	return out
}

// Twelve commands storing a secret at once, each with its own Store on one
// database (as twelve processes would), keep all twelve, sealed: no value is
// in the database's files.
func TestStoredSecretsParallelAndSealed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	key := testKey(t)
	first, err := Open(context.Background(), path, Options{Create: true, Keys: keysOf(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), path, Options{Keys: keysOf(key)})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			c := &calendar.Channel{Name: fmt.Sprintf("ch%d", i), Network: "log", Secrets: map[string]string{"token": fmt.Sprintf("stored:ch%d/token", i)}}
			if err := s.AddChannelWithSecrets(context.Background(), c, map[string]string{fmt.Sprintf("ch%d/token", i): fmt.Sprintf("value-%d-xyzzy", i)}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range n {
		got, err := first.Credentials(fmt.Sprintf("ch%d", i)).Get("token")
		if err != nil || got != fmt.Sprintf("value-%d-xyzzy", i) {
			t.Errorf("ch%d token = %q, %v after parallel writes", i, got, err)
		}
	}
	first.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, _ := os.ReadFile(path + suffix)
		if strings.Contains(string(b), "xyzzy") {
			t.Errorf("a secret's value is in %s in clear", path+suffix)
		}
	}
}

// A refused add or edit writes neither the channel nor its secrets; an edit
// replacing a stored value by a reference, and a removal, delete the row; a
// channel borrowing another's stored secret keeps it alive.
func TestChannelAndSecretsInOneTransaction(t *testing.T) {
	ctx := context.Background()
	s := newTestStore(t, t0)
	ok := &calendar.Channel{Name: "acme", Network: "log", Secrets: map[string]string{"token": "stored:acme/token"}}
	if err := s.AddChannelWithSecrets(ctx, ok, map[string]string{"acme/token": "first"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*calendar.Channel{
		"name taken":   {Name: "acme", Network: "log", Secrets: map[string]string{"token": "stored:acme/token"}},
		"invalid name": {Name: "Not A Name", Network: "log"},
	} {
		if err := s.AddChannelWithSecrets(ctx, c, map[string]string{c.Name + "/token": "second"}); err == nil {
			t.Errorf("%s: add accepted", name)
		}
	}
	if got, _ := s.Credentials("acme").Get("token"); got != "first" {
		t.Errorf("a refused add changed acme's secret to %q", got)
	}
	if rows := secretRows(t, s); len(rows) != 1 || !rows["acme/token"] {
		t.Errorf("rows after refused adds: %v", rows)
	}

	// With no key, an add with a value is refused whole.
	nokey, err := OpenURL(ctx, s.Path(), Options{Keys: func() (calendar.Keys, error) { return calendar.Keys{}, fmt.Errorf("%w: make one", calendar.ErrNoKey) }})
	if err != nil {
		t.Fatal(err)
	}
	defer nokey.Close()
	err = nokey.AddChannelWithSecrets(ctx, &calendar.Channel{Name: "keyless", Network: "log", Secrets: map[string]string{"token": "stored:keyless/token"}}, map[string]string{"keyless/token": "v"})
	if !errors.Is(err, calendar.ErrNoKey) {
		t.Errorf("add without a key = %v", err)
	}
	if _, err := s.Channel(ctx, "keyless"); err == nil {
		t.Error("the channel was added although its secret could not be sealed")
	}

	borrower := &calendar.Channel{Name: "borrower", Network: "log", Secrets: map[string]string{"token": "stored:acme/token"}}
	if err := s.AddChannel(ctx, borrower); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RemoveChannelReport(ctx, "acme", false); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Credentials("borrower").Get("token"); got != "first" || err != nil {
		t.Errorf("borrowed secret after its owner was removed: %q, %v", got, err)
	}
	borrower.Secrets["token"] = "env:ACME_TOKEN"
	if _, err := s.UpdateChannelWithSecrets(ctx, borrower, nil); err != nil {
		t.Fatal(err)
	}
	// Nothing refers to acme/token now; the next write of a channel called
	// acme clears it (each write clears the rows of its own channel).
	c := &calendar.Channel{Name: "acme", Network: "log", Secrets: map[string]string{}}
	if err := s.AddChannelWithSecrets(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if rows := secretRows(t, s); len(rows) != 0 {
		t.Errorf("rows no channel refers to: %v", rows)
	}
	c.Secrets["token"] = "stored:acme/token"
	if _, err := s.UpdateChannelWithSecrets(ctx, c, map[string]string{"acme/token": "again"}); err != nil {
		t.Fatal(err)
	}
	c.Secrets["token"] = "env:ACME_TOKEN"
	if _, err := s.UpdateChannelWithSecrets(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	if rows := secretRows(t, s); len(rows) != 0 {
		t.Errorf("the stored value replaced by env: is still kept: %v", rows)
	}
}

// A row's ciphertext copied over another's does not open; a store opened
// with another key says which key sealed the secrets and which one it has,
// without either key.
func TestSealedSecretsCannotMoveAndWrongKeyIsNamed(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, Options{Create: true, Keys: keysOf(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, n := range []string{"a", "b"} {
		c := &calendar.Channel{Name: n, Network: "log", Secrets: map[string]string{"token": "stored:" + n + "/token"}}
		if err := s.AddChannelWithSecrets(ctx, c, map[string]string{n + "/token": "value-of-" + n}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Exec(`UPDATE secrets SET (ciphertext, nonce) = (SELECT ciphertext, nonce FROM secrets WHERE channel='a') WHERE channel='b'`); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Credentials("b").Get("token"); !errors.Is(err, seal.ErrOpen) || v != "" {
		t.Errorf("a's ciphertext in b's row: %q, %v", v, err)
	}

	other := testKey(t)
	other.Source = "CRIEUR_KEY"
	s2, err := Open(ctx, path, Options{Keys: keysOf(other)})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	_, err = s2.Credentials("a").Get("token")
	want := fmt.Sprintf("this calendar's secrets were sealed with key %s; CRIEUR_KEY is key %s", key.ID(), other.ID())
	if !errors.Is(err, calendar.ErrWrongKey) || !strings.Contains(err.Error(), want) {
		t.Errorf("wrong key: %v\nwant %q", err, want)
	}
	if err != nil && (strings.Contains(err.Error(), key.Encode()) || strings.Contains(err.Error(), other.Encode())) {
		t.Errorf("the error shows a key: %v", err)
	}
}

// An earlier crieur's <db>.secrets is sealed into the calendar on first open
// and removed; with no key, the open is refused, says how to make one, and
// changes nothing.
func TestSecretsFileMovedIntoTheCalendar(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	s, err := Open(ctx, path, Options{Create: true, Keys: keysOf(testKey(t))})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"acme", "blog"} {
		if err := s.AddChannel(ctx, &calendar.Channel{Name: n, Network: "log", Secrets: map[string]string{"token": "stored:" + n + "/token"}}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	fixture, err := os.ReadFile(filepath.Join("testdata", "old.secrets"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(calendar.SecretsPath(path), fixture, 0o600); err != nil {
		t.Fatal(err)
	}

	noKey := func() (calendar.Keys, error) {
		return calendar.Keys{}, fmt.Errorf("%w: run `crieur init` to make the key file, or set CRIEUR_KEY", calendar.ErrNoKey)
	}
	if _, err := Open(ctx, path, Options{Keys: noKey}); err == nil || !strings.Contains(err.Error(), "crieur init") || !strings.Contains(err.Error(), calendar.SecretsPath(path)) {
		t.Fatalf("open without a key = %v", err)
	} else if strings.Contains(err.Error(), "mastodon-token-1") {
		t.Errorf("the error shows a secret: %v", err)
	}
	if b, _ := os.ReadFile(calendar.SecretsPath(path)); string(b) != string(fixture) {
		t.Fatal("the secrets file changed although nothing could be moved")
	}

	key := testKey(t)
	s, err = Open(ctx, path, Options{Keys: keysOf(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(calendar.SecretsPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the secrets file is still there: %v", err)
	}
	for ch, want := range map[string]string{"acme": "mastodon-token-1", "blog": "blog\"token\n2"} {
		if got, err := s.Credentials(ch).Get("token"); got != want || err != nil {
			t.Errorf("%s token = %q, %v; want %q", ch, got, err, want)
		}
	}
	if rows := secretRows(t, s); len(rows) != 3 || !rows["gone/token"] {
		t.Errorf("rows after the move: %v (every value is kept, even one no channel names)", rows)
	}
}

// Rotating the key seals every secret again: they all resolve with the new
// key, none with the old one; a store still holding the old key as Old (a
// rotation cut short) opens both.
func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	old := testKey(t)
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, Options{Create: true, Keys: keysOf(old)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := map[string]string{}
	for i := range 5 {
		n := fmt.Sprintf("ch%d", i)
		want[n] = "secret-" + n
		c := &calendar.Channel{Name: n, Network: "log", Secrets: map[string]string{"token": "stored:" + n + "/token"}}
		if err := s.AddChannelWithSecrets(ctx, c, map[string]string{n + "/token": want[n]}); err != nil {
			t.Fatal(err)
		}
	}
	next := testKey(t)
	r, err := s.RotateKey(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if r.Secrets != 5 || r.OldKeyID != old.ID() || r.NewKeyID != next.ID() {
		t.Errorf("rotation = %+v", r)
	}
	if ids, _ := s.SealedKeyIDs(ctx); len(ids) != 1 || ids[0] != next.ID() {
		t.Errorf("sealed with %v after rotation", ids)
	}
	withNew, _ := Open(ctx, path, Options{Keys: keysOf(next)})
	defer withNew.Close()
	withOld, _ := Open(ctx, path, Options{Keys: keysOf(old)})
	defer withOld.Close()
	for n, v := range want {
		if got, err := withNew.Credentials(n).Get("token"); got != v || err != nil {
			t.Errorf("%s with the new key: %q, %v", n, got, err)
		}
		if got, err := withOld.Credentials(n).Get("token"); err == nil || got != "" {
			t.Errorf("%s opens with the old key: %q", n, got)
		}
	}
	// Half-rotated: the new key current, the old one kept as Old.
	third := testKey(t)
	both, _ := Open(ctx, path, Options{Keys: keysOf(third, next)})
	defer both.Close()
	if got, err := both.Credentials("ch0").Get("token"); got != want["ch0"] || err != nil {
		t.Errorf("with the old key kept as Old: %q, %v", got, err)
	}
	if r, err := both.RotateKey(ctx, third); err != nil || r.Secrets != 5 {
		t.Errorf("finishing a rotation: %+v, %v", r, err)
	}
}

// A token saved through the handle is what a fresh handle reads, and the
// channel now refers to it; two holders of the lock never interleave their
// read-modify-save.
func TestCredentialsSaveAndLock(t *testing.T) {
	ctx := context.Background()
	key := testKey(t)
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path, Options{Create: true, Keys: keysOf(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t.Setenv("CRIEUR_TEST_REFRESH", "from-env")
	c := &calendar.Channel{Name: "x", Network: "log", Secrets: map[string]string{"refresh_token": "env:CRIEUR_TEST_REFRESH"}}
	if err := s.AddChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Credentials("x").Save(ctx, "refresh_token", "rotated-1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Credentials("x").Get("refresh_token"); got != "rotated-1" || err != nil {
		t.Errorf("fresh handle = %q, %v", got, err)
	}
	if ch, _ := s.Channel(ctx, "x"); ch.Secrets["refresh_token"] != "stored:x/refresh_token" {
		t.Errorf("channel refers to %q", ch.Secrets["refresh_token"])
	}
	if err := s.Credentials("nosuch").Save(ctx, "t", "v"); !errors.Is(err, calendar.ErrNotFound) {
		t.Errorf("Save on a missing channel = %v", err)
	}

	// Two goroutines, each with its own Store (as two processes), each
	// appending to the token under the lock: no append is lost.
	if err := s.Credentials("x").Save(ctx, "refresh_token", "t"); err != nil {
		t.Fatal(err)
	}
	const rounds = 15
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := Open(ctx, path, Options{Keys: keysOf(key)})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			cr := st.Credentials("x")
			for range rounds {
				unlock, err := cr.Lock(ctx)
				if err != nil {
					errs <- err
					return
				}
				v, err := cr.Get("refresh_token")
				if err == nil {
					time.Sleep(time.Millisecond) // a refresh's round trip
					err = cr.Save(ctx, "refresh_token", v+fmt.Sprint(g))
				}
				unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, _ := s.Credentials("x").Get("refresh_token")
	if len(got) != 1+2*rounds {
		t.Errorf("after %d locked saves: %q (%d long): saves interleaved", 2*rounds, got, len(got))
	}

	// A lock whose holder died is taken once its lease ran out; ctx bounds the wait.
	if _, err := s.db.Exec(`INSERT INTO secret_locks (channel, holder, expires_at) VALUES ('x', 'dead', ?)`, time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Credentials("x").Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Lock while held = %v", err)
	}
	s.db.Exec(`UPDATE secret_locks SET expires_at=? WHERE channel='x'`, time.Now().Add(-time.Second).UnixMilli())
	unlock, err := s.Credentials("x").Lock(ctx)
	if err != nil {
		t.Fatalf("Lock after the lease ran out = %v", err)
	}
	unlock()
}

// A store that read the key before another process rotated it (a running
// daemon) reads the key again when a secret was sealed with another one.
func TestKeyReadAgainAfterAnotherProcessRotated(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	current := testKey(t)
	source := func() (calendar.Keys, error) {
		mu.Lock()
		defer mu.Unlock()
		return calendar.Keys{Current: current}, nil
	}
	path := filepath.Join(t.TempDir(), "c.db")
	daemon, err := Open(ctx, path, Options{Create: true, Keys: source})
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close()
	c := &calendar.Channel{Name: "x", Network: "log", Secrets: map[string]string{"token": "stored:x/token"}}
	if err := daemon.AddChannelWithSecrets(ctx, c, map[string]string{"x/token": "v1"}); err != nil {
		t.Fatal(err)
	}
	if v, err := daemon.Credentials("x").Get("token"); v != "v1" || err != nil {
		t.Fatalf("before: %q, %v", v, err)
	}
	cli, err := Open(ctx, path, Options{Keys: source})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	next := testKey(t)
	if _, err := cli.RotateKey(ctx, next); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	current = next // the key file now holds the new key
	mu.Unlock()
	if v, err := daemon.Credentials("x").Get("token"); v != "v1" || err != nil {
		t.Errorf("after another process rotated: %q, %v", v, err)
	}
}
