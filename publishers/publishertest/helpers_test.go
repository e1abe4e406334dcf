package publishertest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"reflect"
	"testing"
)

func TestReadForm(t *testing.T) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("chat_id", "@c")
	part, _ := w.CreateFormFile("photo", "a.png")
	_, _ = part.Write([]byte(PNG))
	_ = w.Close()
	f, err := ReadForm(&buf, w.Boundary())
	if err != nil {
		t.Fatal(err)
	}
	want := Form{
		Fields: map[string]string{"chat_id": "@c"},
		Files:  map[string]string{"photo": PNG},
		Names:  map[string]string{"photo": "a.png"},
	}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("ReadForm = %+v, want %+v", f, want)
	}
	if _, err := ReadForm(bytes.NewReader([]byte("--x\r\nbroken")), "x"); err == nil {
		t.Errorf("ReadForm accepted a broken body")
	}
}

func TestReplyAndWriteFile(t *testing.T) {
	srv := Server(t, Reply(429, map[string]string{"Retry-After": "3"}, "slow down"))
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" || string(body) != "slow down" {
		t.Errorf("answer = %d %v %q", resp.StatusCode, resp.Header, body)
	}
	path := WriteFile(t, "a.txt", "hello")
	if data, err := os.ReadFile(path); err != nil || string(data) != "hello" {
		t.Errorf("WriteFile wrote %q, %v", data, err)
	}
}
