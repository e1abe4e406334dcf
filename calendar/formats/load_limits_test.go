package formats

import (
	"strings"
	"testing"
	"time"

	calendar "github.com/crieur/crieur/calendar"
)

// A few hundred bytes of YAML aliases that expand to billions of values are
// refused before anything is expanded, with the line.
func TestReadYAMLAliasBomb(t *testing.T) {
	bomb := `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
posts:
  - slug: x
    body: *i
`
	for _, c := range []struct {
		name string
		read func() *calendar.LoadSet
	}{
		{"yaml", func() *calendar.LoadSet { return ReadYAML([]byte(bomb), "bomb.yaml") }},
		{"markdown", func() *calendar.LoadSet {
			return ReadMarkdown([]byte("---\n"+strings.Join(strings.Split(bomb, "\n")[:9], "\n")+"\ntags: *i\n---\nbody\n"), "bomb.md", "bomb.md")
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan *calendar.LoadSet)
			go func() { done <- c.read() }()
			var set *calendar.LoadSet
			select {
			case set = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the alias bomb is being expanded")
			}
			if len(set.Problems) != 1 || !strings.Contains(set.Problems[0].Message, "aliases followed") || set.Problems[0].Line < 1 {
				t.Fatalf("problems = %+v", set.Problems)
			}
		})
	}
	// aliases a load really uses still work
	set := ReadYAML([]byte("x: &ch [acme-log]\nposts:\n  - {slug: a, channels: *ch, body: hi}\n"), "ok.yaml")
	if len(set.Problems) != 1 || set.Problems[0].Field != "x" || len(set.Items) != 1 || set.Items[0].Channels[0] != "acme-log" {
		t.Errorf("a plain alias: %+v %+v", set.Problems, set.Items)
	}
}

// Deep nesting ends in an error with the line, not a stack overflow.
func TestReadDeepNesting(t *testing.T) {
	deep := strings.Repeat("[", 5_000_000)
	for _, set := range []*calendar.LoadSet{
		ReadJSON([]byte(`{"posts": `+deep), "deep.json"),
		ReadYAML([]byte("posts: "+deep), "deep.yaml"),
	} {
		if len(set.Problems) != 1 || set.Problems[0].Line != 1 || !strings.Contains(set.Problems[0].Message, "depth") && !strings.Contains(set.Problems[0].Message, "deep") {
			t.Errorf("problems = %+v", set.Problems)
		}
	}
}
