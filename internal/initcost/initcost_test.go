package initcost

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	trace := `init internal/bytealg @0.005 ms, 0 ms clock, 0 bytes, 0 allocs
some other line
init github.com/crieur/crieur/calendar @1.2 ms, 0.026 ms clock, 1784 bytes, 14 allocs
init github.com/crieur/crieur/publishers/slack @1.3 ms, 0.061 ms clock, 3424 bytes, 22 allocs
init github.com/crieur/crieur/cmd/crieur @2 ms, 0.1 ms clock, 99999 bytes, 99 allocs
`
	got, err := parse(trace, "github.com/crieur/crieur/", "github.com/crieur/crieur/cmd/crieur")
	if err != nil {
		t.Fatal(err)
	}
	want := []Cost{
		{"github.com/crieur/crieur/calendar", 1784, 14},
		{"github.com/crieur/crieur/publishers/slack", 3424, 22},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parse = %+v, want %+v", got, want)
	}
	if _, err := parse("init x @1 ms, 2 ms clock, many bytes, 3 allocs\n", "x", ""); err == nil {
		t.Error("a line whose figures are not numbers was read without error")
	}
}

// The trace this package's own test binary prints names the package itself.
func TestTrace(t *testing.T) {
	costs := Trace(t, "internal/", "")
	if len(costs) == 0 {
		t.Fatal("no standard-library internal package in the trace")
	}
}
