package formats

import (
	"testing"

	calendar "github.com/crieur/crieur/calendar"
)

func TestDocumentErrorsNameTheirLine(t *testing.T) {
	cases := []struct {
		name, format, doc string
		want              []calendar.FieldError
	}{
		{"yaml syntax", "yaml", "posts:\n  - slug: a\n    body: x\n  - slug: b\n     c: [\n", []calendar.FieldError{{Line: 5}}},
		{"yaml unknown field", "yaml", "posts:\n  - slug: a\n    bdy: x\n", []calendar.FieldError{{Line: 3, Field: "bdy"}}},
		{"yaml wrong shape", "yaml", "posts:\n  - slug: a\n    body: x\n  - slug: [b]\n", []calendar.FieldError{{Line: 4, Field: "slug"}}},
		{"yaml no posts", "yaml", "campaign: {name: x}\n", []calendar.FieldError{{Line: 1, Field: "posts"}}},
		{"json syntax", "json", "{\n  \"posts\": [\n    {\"slug\": \"a\",}\n  ]\n}\n", []calendar.FieldError{{Line: 3}}},
		{"json unknown field", "json", "{\"posts\": [\n  {\"slug\": \"a\",\n   \"bdy\": \"x\"}\n]}", []calendar.FieldError{{Line: 3, Field: "bdy"}}},
		{"json wrong shape", "json", "{\"posts\": [\n {\"slug\": \"a\", \"body\": \"x\"},\n {\"slug\": \"b\",\n  \"tags\": {\"a\": 1}}]}", []calendar.FieldError{{Line: 4, Field: "tags"}}},
		{"json invalid utf-8", "json", "{\"posts\": [\n{\"body\": \"\xff\"}]}", []calendar.FieldError{{Line: 2}}},
		{"json trailing", "json", "{\"posts\": []}\n{}", []calendar.FieldError{{Line: 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var set *calendar.LoadSet
			if c.format == "yaml" {
				set = ReadYAML([]byte(c.doc), "f")
			} else {
				set = ReadJSON([]byte(c.doc), "f")
			}
			if len(set.Problems) != len(c.want) {
				t.Fatalf("problems %+v, want %d", set.Problems, len(c.want))
			}
			for i, w := range c.want {
				if p := set.Problems[i]; p.Line != w.Line || p.Field != w.Field || p.File != "f" {
					t.Errorf("problem %+v, want line %d field %q", p, w.Line, w.Field)
				}
			}
		})
	}
}
