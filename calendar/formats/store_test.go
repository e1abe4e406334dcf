package formats

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	calendar "github.com/crieur/crieur/calendar"
)

func TestDocumentRoundTripAndErrors(t *testing.T) {
	doc := Document{Slug: "s", Title: "Titre", At: "2026-12-01 09:00", Channels: []string{"a", "b"}, Tags: []string{"x"},
		Media: MediaList{{Path: "p.png", Alt: "un vélo"}}, Variants: map[string]string{"a": "court"}, Body: "Bonjour 🎉\n\nsecond"}
	back, err := ParseDocument(doc.Render())
	if err != nil {
		t.Fatal(err)
	}
	back.BodyLine = 0
	if fmt.Sprint(back) != fmt.Sprint(doc) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, doc)
	}
	cases := []struct {
		in        string
		line      int
		wantField string
		want      string
	}{
		{"---\nslug: a\nchannels: [a\n---\nbody", 3, "", "did not find expected"},
		{"---\nslug: a\ntitle: b\ntags: : x\n---\nbody", 4, "", "mapping values are not allowed"},
		{"---\nslug: a\nnope: 1\n---\nbody", 3, "nope", "unknown field"},
		{"---\nslug: a\n", 1, "", "never closed"},
		{"ok\n\xff", 2, "", "UTF-8"},
		{"---\nslug: a\nchannels: a, b\nmedia: x.png#alt\n---\nbody", -1, "", ""},
	}
	for _, c := range cases {
		d, err := ParseDocument([]byte(c.in))
		if c.line < 0 {
			if err != nil || len(d.Channels) != 2 || d.Media[0].Alt != "alt" {
				t.Errorf("%q: %v %+v", c.in, err, d)
			}
			continue
		}
		var fe calendar.FieldError
		if !errors.As(err, &fe) || !strings.Contains(fe.Message, c.want) || fe.Field != c.wantField || (c.line > 0 && fe.Line != c.line) {
			t.Errorf("%q: err = %#v, want line %d field %q message ~%q", c.in, err, c.line, c.wantField, c.want)
		}
	}
}
