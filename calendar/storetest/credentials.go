package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar"
)

// A channel's credentials as an adapter holds them: read at use, saved when
// a token rotates (the saved value is what every handle reads next), locked
// by whoever refreshes it so that two refreshers never lose an update, and
// sealed in the channel's own transaction when a channel is edited.
func testCredentials(t *testing.T, h Harness) {
	// acme's secrets, stored when the channel is added.
	setup := func(t *testing.T) *env {
		t.Helper()
		e := newEnv(t, h)
		c := &calendar.Channel{Name: "acme", Network: "log", Secrets: map[string]string{"token": "stored:acme/token", "counter": "stored:acme/counter"}}
		wantErr(t, "AddChannelWithSecrets", e.s.AddChannelWithSecrets(e.ctx, c, map[string]string{"acme/token": "token-v1", "acme/counter": "0"}), nil)
		return e
	}
	get := func(t *testing.T, s Store, name string) string {
		t.Helper()
		v, err := s.Credentials("acme").Get(name)
		if err != nil {
			t.Fatalf("Credentials(acme).Get(%s): %v", name, err)
		}
		return v
	}

	t.Run("save-then-get", func(t *testing.T) {
		e := setup(t)
		var other Store
		if h.OpenSecond != nil {
			other = e.second()
			if v := get(t, other, "token"); v != "token-v1" { // read before the save
				t.Fatal("a second handle reads another token before the save")
			}
		}
		wantErr(t, "Save", e.s.Credentials("acme").Save(e.ctx, "token", "token-v2-ROTATED"), nil)
		if v := get(t, e.s, "token"); v != "token-v2-ROTATED" {
			t.Error("a fresh handle reads the token from before the save")
		}
		// A secret the channel does not have is said so (an OAuth channel
		// not logged in yet has no token), not a failure to read.
		if _, err := e.s.Credentials("acme").Get("refresh_token"); !errors.Is(err, calendar.ErrNoSecret) {
			t.Errorf("Get of a secret the channel does not have: %v, want calendar.ErrNoSecret", err)
		}
		all, err := e.s.Credentials("acme").All()
		wantErr(t, "All", err, nil)
		if all["token"] != "token-v2-ROTATED" || all["counter"] != "0" || len(all) != 2 {
			t.Errorf("All gives %d secrets, the saved token among them: %v", len(all), all["token"] == "token-v2-ROTATED")
		}
		if other != nil {
			if v := get(t, other, "token"); v != "token-v2-ROTATED" {
				t.Error("a second handle reads the token from before the save")
			}
		}
		c, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		if got, err := e.s.ResolveSecrets(c.Secrets); err != nil || got["token"] != "token-v2-ROTATED" {
			t.Errorf("the channel's references resolve to another token (%v)", err)
		}
		neverShown(t, e, "token-v2-ROTATED")
	})
	t.Run("save-replaces-env-reference", func(t *testing.T) {
		const env = "CRIEUR_STORETEST_TOKEN"
		t.Setenv(env, "token-from-env")
		e := newEnv(t, h)
		e.channel("acme", func(c *calendar.Channel) { c.Secrets = map[string]string{"token": "env:" + env} })
		if v := get(t, e.s, "token"); v != "token-from-env" {
			t.Fatal("an env: reference does not resolve to the variable's value")
		}
		wantErr(t, "Save over an env: reference", e.s.Credentials("acme").Save(e.ctx, "token", "token-ROTATED-over-env"), nil)
		c, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		if ref := c.Secrets["token"]; !strings.HasPrefix(ref, "stored:") {
			t.Errorf("after a save, the channel refers to its token as %q, want a stored: reference", ref)
		}
		t.Setenv(env, "")
		if v := get(t, e.s, "token"); v != "token-ROTATED-over-env" {
			t.Error("after a save over an env: reference, the token read is not the saved one")
		}
		neverShown(t, e, "token-ROTATED-over-env")
	})
	t.Run("save-refused-for-no-channel", func(t *testing.T) {
		e := newEnv(t, h)
		err := e.s.Credentials("nosuch").Save(e.ctx, "token", "lost-VALUE")
		wantErr(t, "Save on no channel", err, calendar.ErrNotFound)
		if strings.Contains(err.Error(), "lost-VALUE") {
			t.Error("the error shows the value")
		}
		if keys, _ := e.s.StoredSecretKeys(e.ctx); len(keys) != 0 {
			t.Errorf("a refused save stored %v", keys)
		}
	})
	t.Run("lock-loses-no-update", func(t *testing.T) {
		e := setup(t)
		other := e.second()
		const n = 10
		ctx, cancel := context.WithTimeout(e.ctx, 60*time.Second)
		defer cancel()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, s := range []Store{e.s, other} {
			wg.Go(func() {
				cred := s.Credentials("acme")
				<-start
				for range n {
					unlock, err := cred.Lock(ctx)
					if err != nil {
						t.Errorf("Lock: %v", err)
						return
					}
					v, err := cred.Get("counter")
					if err == nil {
						var k int
						if k, err = strconv.Atoi(v); err == nil {
							// A refresh waits on the network between
							// reading the token and saving the next.
							time.Sleep(2 * time.Millisecond)
							err = cred.Save(ctx, "counter", strconv.Itoa(k+1))
						}
					}
					unlock()
					if err != nil {
						t.Errorf("Get, Save: %v", err)
						return
					}
				}
			})
		}
		close(start)
		wg.Wait()
		if v := get(t, e.s, "counter"); v != strconv.Itoa(2*n) {
			t.Errorf("two holders each adding 1 %d times under the lock: counter %s, want %d", n, v, 2*n)
		}
	})
	t.Run("lock-honours-ctx", func(t *testing.T) {
		e := setup(t)
		unlock, err := e.s.Credentials("acme").Lock(e.ctx)
		wantErr(t, "Lock", err, nil)
		waiters := []Store{e.s} // a waiter in the same process
		if h.OpenSecond != nil {
			waiters = append(waiters, e.second()) // and in another
		}
		for i, s := range waiters {
			ctx, cancel := context.WithTimeout(e.ctx, 100*time.Millisecond)
			err := lockWithin(ctx, t, s, 2*time.Second)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("waiter %d: Lock of a held channel gave %v, want the context's deadline", i, err)
			}
			ctx, cancel = context.WithCancel(e.ctx)
			cancel()
			if err := lockWithin(ctx, t, s, 2*time.Second); !errors.Is(err, context.Canceled) {
				t.Errorf("waiter %d: Lock with a canceled context gave %v", i, err)
			}
		}
		// Another channel's lock is another lock.
		c := &calendar.Channel{Name: "other", Network: "log"}
		wantErr(t, "AddChannel", e.s.AddChannel(e.ctx, c), nil)
		for i, s := range waiters {
			ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
			unlockOther, err := s.Credentials("other").Lock(ctx)
			cancel()
			if err != nil {
				t.Errorf("waiter %d: Lock of another channel while acme is held: %v", i, err)
			} else {
				unlockOther()
			}
		}
		unlock()
		unlock() // safe to call twice
		for i, s := range waiters {
			ctx, cancel := context.WithTimeout(e.ctx, 5*time.Second)
			if err := lockWithin(ctx, t, s, 5*time.Second); err != nil {
				t.Errorf("waiter %d: Lock once let go: %v", i, err)
			}
			cancel()
		}
	})
	t.Run("update-with-secrets", func(t *testing.T) {
		e := setup(t)
		c, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		c.Secrets = map[string]string{"token": "stored:acme/token2", "counter": "stored:acme/counter"}
		c.RatePerDay = 7
		_, err = e.s.UpdateChannelWithSecrets(e.ctx, &c, map[string]string{"acme/token2": "token-TWO"})
		wantErr(t, "UpdateChannelWithSecrets", err, nil)
		got, err := e.s.Channel(e.ctx, "acme")
		wantErr(t, "Channel", err, nil)
		if got.RatePerDay != 7 || got.Secrets["token"] != "stored:acme/token2" {
			t.Errorf("the update read back: rate %d a day, token %q", got.RatePerDay, got.Secrets["token"])
		}
		if v := get(t, e.s, "token"); v != "token-TWO" {
			t.Error("the token sealed with the update does not resolve")
		}
		if _, err := e.s.ResolveSecrets(map[string]string{"token": "stored:acme/token"}); err == nil {
			t.Error("the token the channel no longer refers to still resolves")
		}
		neverShown(t, e, "token-TWO")

		// Refused (no such channel): neither the channel nor its secrets change.
		before, _ := e.s.Channel(e.ctx, "acme")
		bad := before
		bad.ID = before.ID + 1000
		bad.RatePerDay = 99
		bad.Secrets = map[string]string{"token": "stored:acme/token3"}
		_, err = e.s.UpdateChannelWithSecrets(e.ctx, &bad, map[string]string{"acme/token3": "token-THREE"})
		wantErr(t, "UpdateChannelWithSecrets of no channel", err, calendar.ErrNotFound)
		after, _ := e.s.Channel(e.ctx, "acme")
		if !reflect.DeepEqual(after, before) {
			t.Errorf("a refused update changed the channel:\n%+v\nvs\n%+v", after, before)
		}
		if _, err := e.s.ResolveSecrets(map[string]string{"token": "stored:acme/token3"}); err == nil {
			t.Error("a refused update stored its secret")
		}
		if v := get(t, e.s, "token"); v != "token-TWO" {
			t.Error("a refused update changed the channel's token")
		}
		if keys, _ := e.s.StoredSecretKeys(e.ctx); !reflect.DeepEqual(keys, []string{"acme/counter", "acme/token2"}) {
			t.Errorf("stored secrets %v, want acme/counter and acme/token2", keys)
		}
	})
	t.Run("rotate-key", func(t *testing.T) {
		if h.NextKey == nil {
			t.Skip("the harness has no NextKey")
		}
		e := setup(t)
		c := &calendar.Channel{Name: "other", Network: "log", Secrets: map[string]string{"token": "stored:other/token"}}
		wantErr(t, "AddChannelWithSecrets", e.s.AddChannelWithSecrets(e.ctx, c, map[string]string{"other/token": "other-token"}), nil)
		want := map[string]map[string]string{"acme": {"token": "token-v1", "counter": "0"}, "other": {"token": "other-token"}}
		if h.OpenSecond != nil {
			want["other"]["token"] = "other-token-2" // saved on the second handle after the rotation
		}
		var second Store
		if h.OpenSecond != nil {
			second = e.second()
			if _, err := second.Credentials("acme").All(); err != nil { // it reads the key in use now
				t.Fatalf("All on a second handle: %v", err)
			}
		}
		before, err := e.s.SealedKeyIDs(e.ctx)
		wantErr(t, "SealedKeyIDs", err, nil)
		next := h.NextKey(t)
		r, err := e.s.RotateKey(e.ctx, next)
		wantErr(t, "RotateKey", err, nil)
		if r.Secrets != 3 || r.NewKeyID != next.ID() || r.OldKeyID == next.ID() || len(before) != 1 || r.OldKeyID != before[0] {
			t.Errorf("RotateKey says %+v; sealed with %v before, the new key is %s", r, before, next.ID())
		}
		if ids, err := e.s.SealedKeyIDs(e.ctx); err != nil || !reflect.DeepEqual(ids, []string{next.ID()}) {
			t.Errorf("after the rotation, secrets sealed with %v (%v), want only %s", ids, err, next.ID())
		}
		// A handle that read the old key before the rotation (a daemon
		// running while `crieur secrets rotate-key` ran) seals what it
		// saves with the new key too: the old one is about to be removed.
		if second != nil {
			wantErr(t, "Save on the second handle after the rotation", second.Credentials("other").Save(e.ctx, "token", "other-token-2"), nil)
			if ids, _ := e.s.SealedKeyIDs(e.ctx); !reflect.DeepEqual(ids, []string{next.ID()}) {
				t.Errorf("a save on a handle opened before the rotation sealed with %v, want only the new key %s", ids, next.ID())
			}
		}
		if n, err := e.s.VerifySecrets(e.ctx); err != nil || n != 3 {
			t.Errorf("VerifySecrets after the rotation: %d, %v; want 3", n, err)
		}
		handles := []Store{e.s}
		if second != nil {
			handles = append(handles, second)
		}
		for i, s := range handles {
			for ch, secrets := range want {
				got, err := s.Credentials(ch).All()
				if err != nil || !reflect.DeepEqual(got, secrets) {
					t.Errorf("handle %d: %s's secrets after the rotation do not resolve as before (%v)", i, ch, err)
				}
			}
		}
		// What is saved next is sealed with the new key.
		wantErr(t, "Save after the rotation", e.s.Credentials("acme").Save(e.ctx, "token", "token-after-rotation"), nil)
		if ids, _ := e.s.SealedKeyIDs(e.ctx); !reflect.DeepEqual(ids, []string{next.ID()}) {
			t.Errorf("a save after the rotation sealed with %v", ids)
		}
		for i, s := range handles {
			if v := get(t, s, "token"); v != "token-after-rotation" {
				t.Errorf("handle %d reads another token after a save under the new key", i)
			}
		}
	})
}

// lockWithin takes acme's lock on s with ctx (and lets go at once), failing
// the test when Lock does not return within limit.
func lockWithin(ctx context.Context, t *testing.T, s Store, limit time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		unlock, err := s.Credentials("acme").Lock(ctx)
		if err == nil {
			unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		t.Fatalf("Lock did not return within %s", limit)
		return nil
	}
}

// neverShown fails when a channel read shows value.
func neverShown(t *testing.T, e *env, value string) {
	t.Helper()
	all, err := e.s.Channels(e.ctx)
	wantErr(t, "Channels", err, nil)
	for _, c := range all {
		one, err := e.s.Channel(e.ctx, c.Name)
		wantErr(t, "Channel", err, nil)
		byID, err := e.s.ChannelByID(e.ctx, c.ID)
		wantErr(t, "ChannelByID", err, nil)
		for _, v := range []any{c, one, byID} {
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), value) || strings.Contains(fmt.Sprintf("%+v", v), value) {
				t.Errorf("a read of channel %s shows a secret's value", c.Name)
			}
		}
	}
}
