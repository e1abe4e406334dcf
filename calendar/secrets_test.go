package calendar

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Twelve commands storing a secret at once, each with its own Store on one
// database (as twelve processes would), keep all twelve.
func TestChangeSecretsParallelKeepsEveryOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	first, err := Open(context.Background(), path, Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(context.Background(), path, Options{})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			if _, err := s.StoreSecret(fmt.Sprintf("ch%d/token", i), fmt.Sprintf("v%d", i)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	m, err := readSecrets(SecretsPath(path))
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if got := m[fmt.Sprintf("ch%d/token", i)]; got != fmt.Sprintf("v%d", i) {
			t.Errorf("ch%d/token = %q after parallel writes", i, got)
		}
	}
	if fi, _ := os.Stat(SecretsPath(path)); fi.Mode().Perm() != 0o600 {
		t.Errorf("secrets file mode %v", fi.Mode().Perm())
	}
}

func TestChangeSecretsUndo(t *testing.T) {
	s := newTestStore(t, t0)
	if _, err := s.ChangeSecrets(map[string]string{"a/token": "old", "b/token": "keep"}, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(SecretsPath(s.path))
	undo, err := s.ChangeSecrets(map[string]string{"a/token": "new", "c/token": "added"}, []string{"b/token"})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := readSecrets(SecretsPath(s.path)); m["a/token"] != "new" || m["c/token"] != "added" || m["b/token"] != "" {
		t.Fatalf("after the change: %v", len(m))
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(SecretsPath(s.path)); string(after) != string(before) {
		t.Errorf("undo did not put the file back as it was")
	}
}

func TestForgetChannelSecrets(t *testing.T) {
	s := newTestStore(t, t0)
	ctx := context.Background()
	if _, err := s.ChangeSecrets(map[string]string{"gone/token": "x", "gone/other": "y", "kept/token": "z", "shared/token": "w"}, nil); err != nil {
		t.Fatal(err)
	}
	// A channel that borrows another's stored secret keeps it alive.
	c := &Channel{Name: "borrower", Network: "log", Secrets: map[string]string{"token": "stored:shared/token"}}
	if err := s.AddChannel(ctx, c); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gone", "shared"} {
		if err := s.ForgetChannelSecrets(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := readSecrets(SecretsPath(s.path))
	for k, want := range map[string]bool{"gone/token": false, "gone/other": false, "kept/token": true, "shared/token": true} {
		if _, ok := m[k]; ok != want {
			t.Errorf("%s present = %v, want %v", k, ok, want)
		}
	}
}
