package messages

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/crieur/crieur/publishers"
)

var rules = publishers.Rules{Limit: 20, Unit: "characters"}

func TestPieces(t *testing.T) {
	upper := func(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
	cases := []struct {
		name   string
		post   publishers.Post
		render func(string) string
		want   []Piece
	}{
		{"short text", publishers.Post{Text: " hello "}, strings.TrimSpace, []Piece{{"text", "hello"}}},
		{"long text split", publishers.Post{Text: "One sentence here. Another one here."}, strings.TrimSpace,
			[]Piece{{"text", "One sentence here."}, {"text", "Another one here."}}},
		{"link appended", publishers.Post{Text: "Read", Link: "https://x.ex/a"}, strings.TrimSpace,
			[]Piece{{"text", "Read\n\nhttps://x.ex/a"}}},
		{"thread parts as given", publishers.Post{Text: "one", Thread: []string{" two ", " ", "three"}}, upper,
			[]Piece{{"text", "ONE"}, {"thread[0]", "TWO"}, {"thread[2]", "THREE"}}},
		{"thread without text", publishers.Post{Thread: []string{"two"}}, strings.TrimSpace, []Piece{{"thread[0]", "two"}}},
		{"nothing", publishers.Post{Text: "  "}, strings.TrimSpace, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Pieces(c.post, rules, c.render); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Pieces = %q, want %q", got, c.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		name   string
		pieces []Piece
		media  int
		fields []string
	}{
		{"fine", []Piece{{"text", "short"}}, 0, nil},
		{"media alone", nil, 1, nil},
		{"nothing", nil, 0, []string{"text"}},
		{"too long", []Piece{{"text", "short"}, {"thread[0]", strings.Repeat("x", 21)}}, 0, []string{"thread[0]"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var fields []string
			for _, p := range Check(c.pieces, c.media, rules) {
				fields = append(fields, p.Field)
			}
			if !reflect.DeepEqual(fields, c.fields) {
				t.Errorf("problems on %v, want %v", fields, c.fields)
			}
		})
	}
}

func TestWithLink(t *testing.T) {
	cases := []struct{ text, link, want string }{
		{"Hi", "", "Hi"},
		{"Hi \n", " https://x.example/a ", "Hi\n\nhttps://x.example/a"},
		{"", "https://x.example/a", "https://x.example/a"},
		{"see https://x.example/a?utm_source=crieur", "https://x.example/a", "see https://x.example/a?utm_source=crieur"},
		{"see https://x.example/b", "https://x.example/a", "see https://x.example/b\n\nhttps://x.example/a"},
	}
	for _, c := range cases {
		if got := WithLink(c.text, c.link); got != c.want {
			t.Errorf("WithLink(%q, %q) = %q, want %q", c.text, c.link, got, c.want)
		}
	}
}

func TestPartial(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"classified", &publishers.Error{Class: publishers.RateLimited, Status: 429, Message: "slow down"}, 429},
		{"plain", errors.New("connection reset"), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Partial(c.err, 1, 3, "m1")
			if e.Class != publishers.Permanent || e.Status != c.status || !errors.Is(e, c.err) {
				t.Errorf("Partial = %#v", e)
			}
			if !strings.Contains(e.Message, "only 1 of 3 messages published (first: m1)") || !strings.Contains(e.Message, c.err.Error()) {
				t.Errorf("message = %q", e.Message)
			}
		})
	}
}
