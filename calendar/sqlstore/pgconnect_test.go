package sqlstore

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// refusingServer is a PostgreSQL server on 127.0.0.1 that asks each client
// for its password and refuses it as a server with password authentication
// does (SQLSTATE 28P01, or code when set); it records the passwords it was
// given.
func refusingServer(t *testing.T, code, message string) (addr string, given func() []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var passwords []string
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				be := pgproto3.NewBackend(conn, conn)
				msg, err := be.ReceiveStartupMessage()
				if _, ok := msg.(*pgproto3.SSLRequest); ok && err == nil {
					if _, err := conn.Write([]byte("N")); err != nil {
						return
					}
					msg, err = be.ReceiveStartupMessage()
				}
				if _, ok := msg.(*pgproto3.StartupMessage); !ok || err != nil {
					return
				}
				be.Send(&pgproto3.AuthenticationCleartextPassword{})
				if be.Flush() != nil || be.SetAuthType(pgproto3.AuthTypeCleartextPassword) != nil {
					return
				}
				msg, err = be.Receive()
				if pm, ok := msg.(*pgproto3.PasswordMessage); ok && err == nil {
					mu.Lock()
					passwords = append(passwords, pm.Password)
					mu.Unlock()
				}
				be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", Code: code, Message: message})
				_ = be.Flush()
			}()
		}
	}()
	return ln.Addr().String(), func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), passwords...)
	}
}

// A server refusing the password: the error says that connecting failed,
// the password refused, with the URL redacted and never the password
// (neither while creating the database, `crieur init`, nor opening).
func TestPostgresRefusedPassword(t *testing.T) {
	addr, given := refusingServer(t, "28P01", `password authentication failed for user "crieur"`)
	target := "postgres://crieur:s3cret-pw@" + addr + "/cal?sslmode=disable&connect_timeout=5"
	shown := "postgres://crieur:xxxxx@" + addr + "/cal?sslmode=disable&connect_timeout=5"
	for _, create := range []bool{true, false} {
		_, err := OpenURL(context.Background(), target, Options{Create: create})
		if err == nil {
			t.Fatalf("create %v: opened with a refused password", create)
		}
		msg := err.Error()
		want := "connecting to " + shown + `: the server refused the password of user "crieur" (password authentication failed)`
		if !strings.HasPrefix(msg, want) {
			t.Errorf("create %v: error %q\nwant it to begin %q", create, msg, want)
		}
		for _, wrong := range []string{"s3cret-pw", "creating the database", "opening"} {
			if strings.Contains(msg, wrong) {
				t.Errorf("create %v: error %q says %q", create, msg, wrong)
			}
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "28P01" {
			t.Errorf("create %v: the server's error is not kept for errors.As: %v", create, err)
		}
	}
	if got := given(); len(got) == 0 || got[0] != "s3cret-pw" {
		t.Errorf("the server was given passwords %q: the client never offered the URL's", got)
	}
}

// A server refusing the user itself (no pg_hba.conf entry): said as a
// connection refused with the server's words, the password kept out.
func TestPostgresRefusedUser(t *testing.T) {
	addr, _ := refusingServer(t, "28000", `no pg_hba.conf entry for host "127.0.0.1", user "crieur", database "cal", no encryption`)
	target := "postgres://crieur:s3cret-pw@" + addr + "/cal?sslmode=disable&connect_timeout=5"
	_, err := OpenURL(context.Background(), target, Options{Create: true})
	if err == nil {
		t.Fatal("opened")
	}
	want := "connecting to postgres://crieur:xxxxx@" + addr + `/cal?sslmode=disable&connect_timeout=5: the server does not let user "crieur" in: no pg_hba.conf entry`
	if msg := err.Error(); !strings.HasPrefix(msg, want) || strings.Contains(msg, "s3cret-pw") {
		t.Errorf("error %q\nwant it to begin %q, without the password", msg, want)
	}
}

// A server asking for a password when none was given (not in the URL, nor
// PGPASSWORD, nor a password file): the error says none was given and
// where to put it, not that a password was refused.
func TestPostgresNoPasswordGiven(t *testing.T) {
	t.Setenv("PGPASSWORD", "")
	t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
	addr, _ := refusingServer(t, "28P01", `password authentication failed for user "crieur"`)
	target := "postgres://crieur@" + addr + "/cal?sslmode=disable&connect_timeout=5"
	_, err := OpenURL(context.Background(), target, Options{})
	if err == nil {
		t.Fatal("opened")
	}
	want := "connecting to " + target + `: the server wants a password for user "crieur" and none was given: put it in the URL (postgres://crieur:PASSWORD@…), PGPASSWORD or ~/.pgpass`
	if err.Error() != want {
		t.Errorf("error %q\nwant %q", err, want)
	}
}

// A server that is not there: each address's failure is said once, though
// the driver tries it twice (with TLS, then without).
func TestPostgresRefusedConnectionSaidOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = OpenURL(context.Background(), "postgres://crieur@"+addr+"/cal?connect_timeout=5", Options{})
	if err == nil {
		t.Fatal("opened")
	}
	msg := err.Error()
	if strings.Count(msg, "connection refused") != 1 {
		t.Errorf("error %q: want one \"connection refused\"", msg)
	}
}
