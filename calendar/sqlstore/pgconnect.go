package sqlstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// connectError is a failure to reach or log in to the PostgreSQL server,
// said in the user's words (the URL redacted, never the password) while
// errors.Is and errors.As still see the driver's error.
type connectError struct {
	msg string
	err error
}

func (e connectError) Error() string { return e.msg }
func (e connectError) Unwrap() error { return e.err }

// openError is err, met while doing what (e.g. "opening"), as the user
// reads it: a connection the server refused or that never happened says
// so (connecting, not what crieur was about to do once connected).
// given says whether a password was given at all (in the URL, PGPASSWORD
// or a password file).
func openError(err error, doing, shown, user, password string, given bool) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return fmt.Errorf("%s %s: %w", doing, shown, redact(err, password))
	}
	var msg string
	switch pgCode(err) {
	case "28P01": // invalid_password
		if !given {
			msg = fmt.Sprintf("connecting to %s: the server wants a password for user %q and none was given: put it in the URL (postgres://%s:PASSWORD@…), PGPASSWORD or ~/.pgpass", shown, user, user)
			break
		}
		msg = fmt.Sprintf("connecting to %s: the server refused the password of user %q (password authentication failed): check the password in the URL (or PGPASSWORD, ~/.pgpass)", shown, user)
	case "28000": // invalid_authorization_specification: no pg_hba.conf entry, a role that may not log in
		msg = fmt.Sprintf("connecting to %s: the server does not let user %q in: %s", shown, user, serverSays(err, password))
	case "3D000": // invalid_catalog_name
		msg = fmt.Sprintf("connecting to %s: the server has no such database (`crieur init` creates it when the user may)", shown)
	default:
		msg = fmt.Sprintf("connecting to %s failed: %s", shown, onceEach(redact(err, password).Error()))
	}
	return connectError{msg: msg, err: err}
}

// onceEach is msg with its repeated lines left out: the driver tries an
// address twice (with TLS, then without, as sslmode=prefer asks) and says
// each attempt's failure, the same "connection refused" twice.
func onceEach(msg string) string {
	lines := strings.Split(msg, "\n")
	seen := make(map[string]bool, len(lines))
	kept := lines[:0]
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// serverSays is what the server said of a refused login, the password
// kept out.
func serverSays(err error, password string) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return redact(errors.New(pe.Message), password).Error()
	}
	return redact(err, password).Error()
}
