package main

import "testing"

// The config skeleton names a PostgreSQL calendar without its password: a
// redacted "xxxxx" there would be sent as the password once uncommented.
func TestWithoutPassword(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://crieur:s3cret@db.example:5432/cal?sslmode=require", "postgres://crieur@db.example:5432/cal?sslmode=require"},
		{"postgres://crieur@db.example/cal", "postgres://crieur@db.example/cal"},
		{"postgresql://db.example/cal?user=crieur&password=s3cret", "postgresql://db.example/cal?user=crieur"},
	} {
		if got := withoutPassword(tc.in); got != tc.want {
			t.Errorf("withoutPassword(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
