package when

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST tables under test must not depend on the host's zoneinfo
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustTime(t testing.TB, rfc3339 string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatalf("parse %s: %v", rfc3339, err)
	}
	return v
}
