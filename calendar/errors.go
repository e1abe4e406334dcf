package calendar

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is wrapped by every "no such thing" error.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped when a change was made on a stale copy, or a name is taken.
var ErrConflict = errors.New("conflict")

// NotFound builds an error that names what was looked for.
func NotFound(kind, ref string) error {
	return fmt.Errorf("%s %q: %w", kind, ref, ErrNotFound)
}

// FieldError is one invalid field, with where it came from when known.
type FieldError struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"error"`
}

func (e FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Count says n things in English: Count(1, "delivery", "deliveries") is
// "1 delivery", Count(2, …) "2 deliveries".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// ValidationError holds every invalid field of an input: nothing was changed.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].Error()
	}
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return fmt.Sprintf("%d problems:\n  %s", len(e.Problems), strings.Join(parts, "\n  "))
}

// Invalid builds a ValidationError of one field.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Problems: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// Add appends a problem.
func (e *ValidationError) Add(p FieldError) { e.Problems = append(e.Problems, p) }

// Err returns e, or nil when it holds no problem.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}
