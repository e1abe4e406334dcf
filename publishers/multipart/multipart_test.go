package multipart

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"testing"
)

func TestStream(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "notes.png")
	if err := os.WriteFile(doc, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		fields []Field
		ok     bool
	}{
		{"values only", []Field{{Name: "chat_id", Value: "@c"}}, true},
		{"values and a file", []Field{{Name: "chat_id", Value: "@c"}, {Name: "photo", Path: doc}}, true},
		{"missing file", []Field{{Name: "chat_id", Value: "@c"}, {Name: "photo", Path: "/nonexistent/x.png"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Stream(c.fields)
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if err != nil {
				return
			}
			data, err := io.ReadAll(f.Body)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(data)) != f.Length {
				t.Errorf("announced length %d, streamed %d bytes", f.Length, len(data))
			}
			_, params, err := mime.ParseMediaType(f.ContentType)
			if err != nil {
				t.Fatal(err)
			}
			r := multipart.NewReader(bytes.NewReader(data), params["boundary"])
			for _, want := range c.fields {
				part, err := r.NextPart()
				if err != nil {
					t.Fatalf("part %s: %v", want.Name, err)
				}
				got, _ := io.ReadAll(part)
				if part.FormName() != want.Name || (want.Path == "" && string(got) != want.Value) || (want.Path != "" && string(got) != "0123456789") {
					t.Errorf("part %s = %q", part.FormName(), got)
				}
			}
			if err := f.Body.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
