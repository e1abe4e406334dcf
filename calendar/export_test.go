package calendar

import (
	"testing"
)

func TestGuardCell(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{"", ""},
		{"hello", "hello"},
		{"=1", "'=1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@a", "'@a"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"'", "'"},
		{"'x", "'x"},
		{"'=1", "''=1"},
		{"''-", "'''-"},
		{"a=1", "a=1"},
	} {
		if got := GuardCell(c.in); got != c.out {
			t.Errorf("guardCell(%q) = %q, want %q", c.in, got, c.out)
		}
		if got := UnguardCell(c.out); got != c.in {
			t.Errorf("unguardCell(%q) = %q, want %q", c.out, got, c.in)
		}
	}
}
