package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names an external server the PostgreSQL tests use instead of
// starting their own: the URL of a role that may create databases
// (postgres://user:pass@127.0.0.1:5432/postgres).
const PostgresEnv = "CRIEUR_TEST_POSTGRES"

// pgServer is the one server a test binary starts, on first use.
var pgServer struct {
	once  sync.Once
	admin string // URL of its maintenance database
	dir   string
	ctl   []string // how to run pg_ctl (with setpriv as root)
	err   error    // why it could not start
	none  string   // why there is no server to start (binaries missing)
}

// Postgres returns the URL of a new, empty database, dropped when t ends,
// on the server named by CRIEUR_TEST_POSTGRES, else on a server this test
// binary starts from Debian's postgresql package (initdb + pg_ctl in a
// temporary folder, fsync off, 127.0.0.1 on a free port; as root it runs as
// the postgres user). Without PostgreSQL the test skips, or fails under CI.
// A package using it stops the server in TestMain with StopPostgres; a
// watchdog stops it too if the test binary dies first.
func Postgres(t testing.TB) string {
	t.Helper()
	return newDatabase(t, pgAdmin(t), "")
}

// pgTemplates are the template databases PostgresFrom made, by key.
var pgTemplates struct {
	sync.Mutex
	made map[string]string // key → database name
}

// PostgresFrom is Postgres with the new database a copy of a template made
// once per test binary for key: init is given the template's URL to fill it
// (a schema migrated once instead of once per test). The template is
// dropped with the server (or by StopPostgres on an external one).
func PostgresFrom(t testing.TB, key string, init func(url string) error) string {
	t.Helper()
	admin := pgAdmin(t)
	pgTemplates.Lock()
	defer pgTemplates.Unlock()
	name, ok := pgTemplates.made[key]
	if !ok {
		name = "tmpl_" + randomHex(6)
		if err := createDatabase(admin, name, ""); err != nil {
			t.Fatalf("creating template database %s: %v", name, redactErr(err, admin))
		}
		if err := init(databaseURL(t, admin, name)); err != nil {
			t.Fatalf("filling template database %s: %v", name, redactErr(err, admin))
		}
		if pgTemplates.made == nil {
			pgTemplates.made = map[string]string{}
		}
		pgTemplates.made[key] = name
	}
	return newDatabase(t, admin, name)
}

// pgAdmin is the URL of the server's maintenance database, starting the
// server on first use.
func pgAdmin(t testing.TB) string {
	t.Helper()
	if admin := os.Getenv(PostgresEnv); admin != "" {
		return admin
	}
	pgServer.once.Do(startPostgres)
	if pgServer.none != "" {
		RequireService(t, "PostgreSQL", pgServer.none)
	}
	if pgServer.err != nil {
		t.Fatalf("starting the test PostgreSQL: %v", pgServer.err)
	}
	return pgServer.admin
}

func createDatabase(admin, name, template string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	q := "CREATE DATABASE " + name
	if template != "" {
		q += " TEMPLATE " + template
	}
	// FILE_COPY (PostgreSQL 15+) copies a small database twice as fast as
	// the default WAL_LOG, and makes its DROP five times faster.
	if _, err = conn.Exec(ctx, q+" STRATEGY FILE_COPY"); err != nil && strings.Contains(strings.ToLower(err.Error()), "strategy") {
		_, err = conn.Exec(ctx, q)
	}
	return err
}

func dropDatabase(admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if c, err := pgx.Connect(ctx, admin); err == nil {
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		c.Close(ctx)
	}
}

func databaseURL(t testing.TB, admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s is not a URL", PostgresEnv)
	}
	u.Path = "/" + name
	return u.String()
}

// newDatabase makes a database (a copy of template unless it is ""),
// dropped when t ends, and returns its URL.
func newDatabase(t testing.TB, admin, template string) string {
	t.Helper()
	name := "t_" + randomHex(8)
	if err := createDatabase(admin, name, template); err != nil {
		t.Fatalf("creating test database %s: %v", name, redactErr(err, admin))
	}
	t.Cleanup(func() { dropDatabase(admin, name) })
	return databaseURL(t, admin, name)
}

// StopPostgres stops the server Postgres started, if it did (TestMain calls
// it after m.Run).
func StopPostgres() {
	if admin := os.Getenv(PostgresEnv); admin != "" {
		for _, name := range pgTemplates.made {
			dropDatabase(admin, name)
		}
		return
	}
	if pgServer.dir == "" || pgServer.err != nil {
		return
	}
	cmd := exec.Command(pgServer.ctl[0], append(pgServer.ctl[1:], "-D", filepath.Join(pgServer.dir, "data"), "-m", "immediate", "-w", "stop")...)
	_ = cmd.Run()
	_ = os.RemoveAll(pgServer.dir)
}

// pgBin finds the directory holding initdb and pg_ctl: the newest
// /usr/lib/postgresql/*/bin (Debian keeps them off PATH), else PATH.
func pgBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("initdb and pg_ctl were not found in /usr/lib/postgresql/*/bin nor on PATH (apt-get install -y postgresql, or set " + PostgresEnv + "=postgres://…)")
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func startPostgres() {
	bin, err := pgBin()
	if err != nil {
		pgServer.none = err.Error()
		return
	}
	pgServer.err = func() error {
		dir, err := os.MkdirTemp("", "crieur-pg-")
		if err != nil {
			return err
		}
		pgServer.dir = dir
		var as []string // the command prefix that runs a server program
		if os.Geteuid() == 0 {
			// PostgreSQL refuses to run as root: its programs run as postgres.
			u, err := user.Lookup("postgres")
			if err != nil {
				return fmt.Errorf("running as root and there is no postgres user: %w", err)
			}
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			if err := os.Chown(dir, uid, gid); err != nil {
				return err
			}
			as = []string{"setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"}
		}
		run := func(prog string, args ...string) *exec.Cmd {
			full := append(append([]string{}, as...), filepath.Join(bin, prog))
			full = append(full, args...)
			return exec.Command(full[0], full[1:]...)
		}
		pgServer.ctl = append(append([]string{}, as...), filepath.Join(bin, "pg_ctl"))
		data := filepath.Join(dir, "data")
		if out, err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions").CombinedOutput(); err != nil {
			return fmt.Errorf("initdb: %v: %s", err, out)
		}
		port, err := freePort()
		if err != nil {
			return err
		}
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", port, dir)
		if out, err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput(); err != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
		}
		// Should this process die without StopPostgres, the server follows.
		watch := fmt.Sprintf("while kill -0 %d 2>/dev/null; do sleep 1; done; %s -D %s -m immediate -w stop >/dev/null 2>&1; rm -rf %s",
			os.Getpid(), strings.Join(pgServer.ctl, " "), data, dir)
		w := exec.Command("sh", "-c", watch)
		w.Stdout, w.Stderr = nil, nil
		if err := w.Start(); err == nil {
			go func() { _ = w.Wait() }()
		}
		pgServer.admin = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
		return nil
	}()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redactErr keeps a password of dsn out of an error's text.
func redactErr(err error, dsn string) string {
	msg := err.Error()
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	return msg
}
