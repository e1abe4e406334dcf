package calendar

import (
	"testing"
)

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Soldes d'hiver : -20 % !": "soldes-d-hiver-20",
		"Ça, c'est Noël 🎄":         "ca-c-est-noel",
		"2026":                     "post-2026",
		"🎉":                        "post",
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}
