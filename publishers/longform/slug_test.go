package longform

import (
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	cases := map[string]string{
		"launch-day":               "launch-day",
		"Launch Day: Crème 2026":   "launch-day-creme-2026",
		"  --a__b--  ":             "a-b",
		"Über straße":              "uber-stra-e",
		"日本":                       "",
		strings.Repeat("ab-", 100): strings.Repeat("ab-", 63) + "a",
	}
	for in, want := range cases {
		if got := Slug(in, 190); got != want {
			t.Errorf("Slug(%q, 190) = %q, want %q", in, got, want)
		}
	}
}
