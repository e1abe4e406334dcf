package longform

import (
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

func TestPostHTML(t *testing.T) {
	cases := []struct {
		name string
		post publishers.Post
		want string
	}{
		{"markdown with its link", publishers.Post{Text: "Hi *there*", Markdown: true, Link: "https://x.example/a"},
			"<p>Hi <em>there</em></p>\n<p><a href=\"https://x.example/a\">https://x.example/a</a></p>\n"},
		{"plain text escaped, URLs linked", publishers.Post{Text: "a <b> & *c*\r\nline two\n\nsee https://x.example/?a=1&b=2."},
			"<p>a &lt;b&gt; &amp; *c*<br>\nline two</p>\n<p>see <a href=\"https://x.example/?a=1&amp;b=2\">https://x.example/?a=1&amp;b=2</a>.</p>\n"},
		{"plain text with its link", publishers.Post{Text: "read", Link: "https://x.example/a"},
			"<p>read</p>\n<p><a href=\"https://x.example/a\">https://x.example/a</a></p>\n"},
		{"link already in the body", publishers.Post{Text: "read https://x.example/a", Link: "https://x.example/a"},
			"<p>read <a href=\"https://x.example/a\">https://x.example/a</a></p>\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PostHTML(c.post)
			if err != nil || got != c.want {
				t.Errorf("PostHTML = %q, %v;\nwant %q", got, err, c.want)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	probs := []publishers.Problem{{Field: "title", Message: "missing"}}
	pv := Preview(publishers.Post{Text: "é **b**", Markdown: true}, probs)
	if len(pv.Parts) != 1 || pv.Parts[0] != "é **b**" || pv.Count[0] != 7 || pv.Unit != "characters" {
		t.Errorf("parts = %q %v %s", pv.Parts, pv.Count, pv.Unit)
	}
	if pv.Extra != "<p>é <strong>b</strong></p>\n" || len(pv.Problems) != 1 {
		t.Errorf("preview = %+v", pv)
	}
}

func TestCheckPost(t *testing.T) {
	cases := []struct {
		name   string
		post   publishers.Post
		fields []string
	}{
		{"fine", publishers.Post{Slug: "Launch day", Text: "body"}, nil},
		{"empty body", publishers.Post{Slug: "s", Text: " \n"}, []string{"text"}},
		{"slug without letters", publishers.Post{Slug: "–!", Text: "body"}, []string{"slug"}},
		{"both", publishers.Post{Text: ""}, []string{"text", "slug"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fields []string
			for _, p := range CheckPost(c.post) {
				fields = append(fields, p.Field)
			}
			if strings.Join(fields, ",") != strings.Join(c.fields, ",") {
				t.Errorf("problems on %v, want %v", fields, c.fields)
			}
		})
	}
}
