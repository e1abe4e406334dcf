package telegram

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

func TestStreamForm(t *testing.T) {
	doc := writeFile(t, "notes.png", "0123456789")
	cases := []struct {
		name   string
		fields []field
		ok     bool
	}{
		{"values only", []field{{name: "chat_id", value: "@c"}}, true},
		{"values and a file", []field{{name: "chat_id", value: "@c"}, {name: "photo", path: doc}}, true},
		{"missing file", []field{{name: "chat_id", value: "@c"}, {name: "photo", path: "/nonexistent/x.png"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := streamForm(c.fields)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				return
			}
			data, err := io.ReadAll(f.body)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != f.length {
				t.Errorf("announced length %d, streamed %d bytes", f.length, len(data))
			}
			_, params, err := mime.ParseMediaType(f.contentType)
			if err != nil {
				t.Fatal(err)
			}
			r := multipart.NewReader(bytes.NewReader(data), params["boundary"])
			for _, want := range c.fields {
				part, err := r.NextPart()
				if err != nil {
					t.Fatalf("part %s: %v", want.name, err)
				}
				got, _ := io.ReadAll(part)
				if part.FormName() != want.name || (want.path == "" && string(got) != want.value) || (want.path != "" && string(got) != "0123456789") {
					t.Errorf("part %s = %q", part.FormName(), got)
				}
			}
			if err := f.body.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
