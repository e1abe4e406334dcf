package calendar

import (
	"regexp"
	"strings"
	"testing"
)

// TestNamePatternMatchesRegexp holds the loop to the regexps it replaced, on
// hand-picked edges and on every string of up to three bytes from an
// alphabet that has each class (first byte, extra byte, foreign byte).
func TestNamePatternMatchesRegexp(t *testing.T) {
	cases := []struct {
		name string
		p    namePattern
		re   *regexp.Regexp
	}{
		{"channel name", nameRE, regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)},
		{"slug", slugRE, regexp.MustCompile(`^[a-z0-9][a-z0-9._/-]{0,199}$`)},
	}
	edges := []string{
		"", "a", "0", "-", ".a", "_a", "/a", "a-b", "a.b", "a_b", "a/b", "a b", "A", "aB",
		"a\n", "\na", "é", "aé", "a\x00", "acme-log", "blog/2026/launch",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65),
		strings.Repeat("b", 199), strings.Repeat("b", 200), strings.Repeat("b", 201),
		"a" + strings.Repeat("/", 199), "a" + strings.Repeat("-", 63), "a" + strings.Repeat("-", 64),
	}
	alphabet := []string{"a", "z", "0", "9", ".", "_", "-", "/", "A", " ", "\n", "é", "~"}
	inputs := append([]string{}, edges...)
	var grow func(prefix string, n int)
	grow = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			grow(prefix+c, n-1)
		}
	}
	grow("", 3)
	for _, tc := range cases {
		for _, s := range inputs {
			if got, want := tc.p.MatchString(s), tc.re.MatchString(s); got != want {
				t.Errorf("%s %q: match %v, the regexp says %v", tc.name, s, got, want)
			}
		}
	}
}
