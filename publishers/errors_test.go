package publishers

import "testing"

func TestInvalid(t *testing.T) {
	cases := []struct {
		name  string
		probs []Problem
		want  string
	}{
		{"one", []Problem{{Field: "title", Message: "missing"}}, "title: missing"},
		{"several", []Problem{{Field: "text", Message: "empty"}, {Message: "no media"}}, "text: empty; no media"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Invalid(c.probs)
			if e.Class != Permanent || e.Message != c.want || e.Error() != "permanent: "+c.want {
				t.Errorf("Invalid = %#v (%v), want permanent %q", e, e, c.want)
			}
		})
	}
}
