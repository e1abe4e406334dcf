package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/crieur/crieur/calendar/sqlstore"
	"github.com/crieur/crieur/publishers"
)

// The crash test: a daemon in a child process (this test binary, re-run as
// TestCrashChild) publishes to a local HTTP network and is killed with
// SIGKILL at random moments, then restarted, until every delivery is
// settled. Every delivery must be published exactly once, or held (never
// published twice) where the network gives no idempotency; none lost.
//
// Short form under `go test`; CRIEUR_CRASH_TEST=long (the Makefile's
// crash-test target) runs more deliveries and kills.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	posts, kills, window := 20, 6, 3*time.Second
	if os.Getenv("CRIEUR_CRASH_TEST") == "long" {
		posts, kills, window = 200, 40, 20*time.Second
	}
	ctx := context.Background()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "crieur.db")
	st, err := sqlstore.Open(ctx, dbPath, sqlstore.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Three networks, so one's idempotency cannot hide another's duplicate.
	nets := crashCalendar(t, st, []crashChannel{{"idem", "crash-idem", true}, {"lookup", "crash-lookup", false}, {"unsafe", "crash-unsafe", false}},
		posts, time.Now().Add(500*time.Millisecond), window, "crash")
	idem, lookup, unsafe := nets["idem"], nets["lookup"], nets["unsafe"]
	open := func() int { return openDeliveries(t, st) }
	runs, killed := 0, 0
	deadline := time.Now().Add(window + 2*time.Minute)
	for open() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %d runs: %d deliveries still open", runs, open())
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), "CRIEUR_CRASH_CHILD="+dbPath, "CRIEUR_CRASH_IDEM="+idem.srv.URL,
			"CRIEUR_CRASH_LOOKUP="+lookup.srv.URL, "CRIEUR_CRASH_UNSAFE="+unsafe.srv.URL)
		logf, _ := os.OpenFile(filepath.Join(dir, "child.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs++
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if killed < kills {
			select {
			case <-time.After(time.Duration(100+rand.IntN(600)) * time.Millisecond):
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed++
				<-exited
			case err := <-exited:
				t.Logf("child exited early: %v", err)
			}
		} else {
			// The last run: let it settle everything, then stop it gracefully.
			for open() > 0 && time.Now().Before(deadline) {
				time.Sleep(50 * time.Millisecond)
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := <-exited; err != nil {
				t.Errorf("daemon stopped by SIGTERM exited with %v", err)
			}
		}
		logf.Close()
	}

	r := tallyCrash(t, st, nets, "unsafe")
	published, held, heldReached, dup := r.published, r.held, r.heldReached, r.dup
	msg := fmt.Sprintf("crash test: %d deliveries, %d runs, %d SIGKILLs: %d published exactly once, %d held (%d of them had reached the network), %d duplicates, %d lost",
		3*posts, runs, killed, published, held, heldReached, dup, 3*posts-published-held)
	t.Log(msg)
	fmt.Println(msg)
	if b, err := os.ReadFile(filepath.Join(dir, "child.log")); err == nil && t.Failed() {
		t.Logf("child log:\n%s", b)
	}
}

// TestCrashChild is the daemon TestCrash starts and kills; it does nothing
// unless CRIEUR_CRASH_CHILD names a database.
func TestCrashChild(t *testing.T) {
	path := os.Getenv("CRIEUR_CRASH_CHILD")
	if path == "" {
		t.Skip("run by TestCrash")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	idem, lookup, unsafe := os.Getenv("CRIEUR_CRASH_IDEM"), os.Getenv("CRIEUR_CRASH_LOOKUP"), os.Getenv("CRIEUR_CRASH_UNSAFE")
	crashDaemon(ctx, t, st, "child", 1500*time.Millisecond, map[string]publishers.Network{
		"crash-idem":   httpNetwork("crash-idem", idem, publishers.RetryIdempotent, time.Second),
		"crash-lookup": httpNetwork("crash-lookup", lookup, publishers.RetryLookup, time.Second),
		"crash-unsafe": httpNetwork("crash-unsafe", unsafe, publishers.RetryUnsafe, time.Second),
	})
}
