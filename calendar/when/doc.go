// Package when reads the times people write (WHEN expressions such as
// "tomorrow 9am", "+2h" or "2026-12-01 09:00") and computes the instants at
// which recurring publish slots fire, correctly across daylight-saving changes.
//
// One rule is shared by everything here that turns a local wall-clock time
// into an instant:
//   - a wall time that does not exist that day (the spring-forward gap)
//     resolves to the first instant after the gap: 02:30 in Europe/Paris on
//     2026-03-29 is 03:00 CEST;
//   - a wall time that happens twice (the fall-back overlap) resolves to its
//     first occurrence: 02:30 in Europe/Paris on 2026-10-25 is 02:30 CEST.
//
// Errors about the user's input wrap ErrInvalid, so callers can tell a
// validation error from a runtime one with errors.Is.
package when

import "errors"

// ErrInvalid is wrapped by every error about malformed input (a WHEN
// expression, a slot spec or a zone name).
var ErrInvalid = errors.New("invalid input")

// invalid is an input error whose text is exactly msg and which matches ErrInvalid.
type invalid struct{ msg string }

func (e *invalid) Error() string        { return e.msg }
func (e *invalid) Is(target error) bool { return target == ErrInvalid }
