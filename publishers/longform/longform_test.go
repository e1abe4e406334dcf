package longform

import (
	"strings"
	"testing"
)

func TestHTML(t *testing.T) {
	cases := []struct {
		name    string
		md      string
		want    []string // substrings the HTML must hold
		wantNot []string // substrings it must not hold
	}{
		{"emphasis and link", "Hello *world*, [site](https://x.example).",
			[]string{"<p>Hello <em>world</em>, <a href=\"https://x.example\">site</a>.</p>"}, nil},
		{"heading", "# Launch day", []string{"<h1>Launch day</h1>"}, nil},
		{"image keeps alt", "![a red door](door.png)", []string{`<img src="door.png" alt="a red door">`}, nil},
		{"raw html block dropped", "<script>alert(1)</script>\n\nok", []string{"<p>ok</p>"}, []string{"<script", "alert(1)"}},
		{"inline raw html dropped", "a <b onclick=x>b</b> c", []string{"a ", "b", " c"}, []string{"<b", "onclick"}},
		{"javascript link emptied", "[x](javascript:alert(1))", []string{`<a href="">x</a>`}, []string{"javascript:"}},
		{"gfm table", "| a | b |\n|---|---|\n| 1 | 2 |", []string{"<table>", "<td>1</td>"}, nil},
		{"gfm strikethrough", "~~old~~", []string{"<del>old</del>"}, nil},
		{"gfm autolink", "see https://auto.example now", []string{`<a href="https://auto.example">https://auto.example</a>`}, nil},
		{"text escaped", "1 < 2 & 3 > 2", []string{"1 &lt; 2 &amp; 3 &gt; 2"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := HTML(c.md)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, missing %q", c.md, got, w)
				}
			}
			for _, w := range c.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("HTML(%q) = %q, should not hold %q", c.md, got, w)
				}
			}
		})
	}
}

func TestRenderImageRewrite(t *testing.T) {
	md := "![one](a.png) and ![two](b.png)"
	got, err := Render(md, Options{Image: func(dest string) string {
		if dest == "a.png" {
			return "cid:a@crieur"
		}
		return "" // keep
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`<img src="cid:a@crieur" alt="one">`, `<img src="b.png" alt="two">`} {
		if !strings.Contains(got, w) {
			t.Errorf("Render = %q, missing %q", got, w)
		}
	}
	if imgs := Images(md); strings.Join(imgs, ",") != "a.png,b.png" {
		t.Errorf("Images = %v", imgs)
	}
}

func TestPlainText(t *testing.T) {
	cases := []struct{ name, md, want string }{
		{"paragraphs", "one\n\ntwo", "one\n\ntwo"},
		{"inline marks dropped", "**bold** and `code` and ~~gone~~", "bold and code and gone"},
		{"link with url", "[the site](https://x.example)", "the site (https://x.example)"},
		{"autolink once", "https://x.example", "https://x.example"},
		{"dangerous link without url", "[x](javascript:alert(1))", "x"},
		{"image alt", "![a cat](cat.png)", "[image: a cat]"},
		{"image without alt", "![](cat.png)\n\ntext", "text"},
		{"raw html dropped", "<div>hidden</div>\n\nshown <i>x</i>", "shown x"},
		{"soft and hard breaks", "a\nb  \nc", "a\nb\nc"},
		{"heading", "## Part two\n\nbody", "Part two\n\nbody"},
		{"tight list nested", "- one\n- two\n  - deep", "- one\n- two\n  - deep"},
		{"ordered list start", "3. c\n4. d", "3. c\n4. d"},
		{"loose list", "- a\n\n- b", "- a\n\n- b"},
		{"blockquote", "> q1\n>\n> q2", "> q1\n>\n> q2"},
		{"code block verbatim", "```\nif a < b {\n}\n```", "if a < b {\n}"},
		{"table", "| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"},
		{"task list", "- [x] done\n- [ ] todo", "- [x] done\n- [ ] todo"},
		{"rule", "a\n\n---\n\nb", "a\n\n---\n\nb"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PlainText(c.md); got != c.want {
				t.Errorf("PlainText(%q) = %q, want %q", c.md, got, c.want)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	long := "The quick brown fox jumps over the lazy dog."
	cases := []struct {
		name string
		md   string
		n    int
		want string
	}{
		{"short kept", "Hello world.", 50, "Hello world."},
		{"no limit", long, 0, long},
		{"cut at word", long, 20, "The quick brown fox…"},
		{"exact length kept", "abcde", 5, "abcde"},
		{"no space to cut at", "abcdefghij", 5, "abcd…"},
		{"punctuation trimmed before ellipsis", "Well, then we go", 8, "Well…"},
		{"skips heading image and code", "# Title\n\n![x](a.png)\n\n```\ncode\n```\n\nFirst *real* [para](https://x.example).\n\nSecond.", 0, "First real para."},
		{"joins lines", "one\ntwo", 0, "one two"},
		{"counts characters not bytes", "héllo wörld ünd", 12, "héllo wörld…"},
		{"empty", "", 10, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Excerpt(c.md, c.n)
			if got != c.want {
				t.Errorf("Excerpt(%q, %d) = %q, want %q", c.md, c.n, got, c.want)
			}
			if c.n > 0 && len([]rune(got)) > c.n {
				t.Errorf("Excerpt longer than %d: %q", c.n, got)
			}
		})
	}
}

func TestFirstLine(t *testing.T) {
	cases := []struct{ md, want string }{
		{"# Big news\n\nbody", "Big news"},
		{"\n\n  first line\nsecond", "first line"},
		{"<p>only html</p>\n\nreal", "real"},
		{"", ""},
	}
	for _, c := range cases {
		if got := FirstLine(c.md); got != c.want {
			t.Errorf("FirstLine(%q) = %q, want %q", c.md, got, c.want)
		}
	}
}

func TestTextHTML(t *testing.T) {
	cases := []struct{ in, want string }{
		{"one", "<p>one</p>\n"},
		{"a <b> & c\nnext line\n\n\n second", "<p>a &lt;b&gt; &amp; c<br>\nnext line</p>\n<p>second</p>\n"},
		{"*not markdown*", "<p>*not markdown*</p>\n"},
		{"crlf\r\n\r\npara", "<p>crlf</p>\n<p>para</p>\n"},
		{"  \n", ""},
	}
	for _, c := range cases {
		if got := TextHTML(c.in); got != c.want {
			t.Errorf("TextHTML(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestConcurrentUse backs the claim that the shared renderer is safe to use
// from several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	md := "# T\n\n![a](x.png) *b* [c](https://c.example)"
	want, _ := Render(md, Options{Image: func(string) string { return "cid:x" }})
	done := make(chan string)
	for range 8 {
		go func() {
			got, _ := Render(md, Options{Image: func(string) string { return "cid:x" }})
			done <- got + PlainText(md) + Excerpt(md, 5)
		}()
	}
	for range 8 {
		if got := <-done; !strings.HasPrefix(got, want) {
			t.Errorf("concurrent render = %q, want prefix %q", got, want)
		}
	}
}
