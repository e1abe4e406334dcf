package publishertest

import (
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
)

// PNG is a 1×1 transparent PNG image, for media uploads.
const PNG = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\x00\x01\x00\x00\x05\x00\x01\r\n-\xb4\x00\x00\x00\x00IEND\xaeB`\x82"

// WriteFile creates a file of the given content in a directory removed with
// the test, and returns its path.
func WriteFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Server serves h on 127.0.0.1 until the test ends.
func Server(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// Start serves h until the test ends and builds an adapter with newPub for
// it: configure gets the server's base URL, and settings are added to the
// channel's settings.
func Start(t *testing.T, h http.Handler, newPub func(publishers.Config) (publishers.Publisher, error),
	configure func(baseURL string) publishers.Config, settings map[string]string) publishers.Publisher {
	t.Helper()
	cfg := configure(Server(t, h).URL)
	if cfg.Settings == nil {
		cfg.Settings = map[string]string{}
	}
	for k, v := range settings {
		cfg.Settings[k] = v
	}
	p, err := newPub(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// WriteJSON answers with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Reply answers every request with status, header and body, exactly.
func Reply(status int, header map[string]string, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	})
}

// ValidateCase is one change to a valid post and the fields, in order, of
// the problems Validate must then report (none for nil).
type ValidateCase struct {
	Name   string
	Change func(*publishers.Post)
	Fields []string
}

// CheckValidate runs each case on a copy of the valid post ok (its media
// copied too) and checks the fields of the problems p.Validate reports.
func CheckValidate(t *testing.T, p publishers.Publisher, ok publishers.Post, cases []ValidateCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			post := ok
			post.Media = append([]publishers.Media(nil), ok.Media...)
			c.Change(&post)
			var fields []string
			for _, pr := range p.Validate(post) {
				fields = append(fields, pr.Field)
			}
			if !reflect.DeepEqual(fields, c.Fields) {
				t.Errorf("problems on %v, want %v", fields, c.Fields)
			}
		})
	}
}

// CheckError checks that err is of class, with the wait the network asked
// for, and carries text (the network's words).
func CheckError(t *testing.T, err error, class publishers.Class, wait time.Duration, text string) {
	t.Helper()
	got, gotWait := publishers.Classify(err)
	if err == nil || got != class || gotWait != wait {
		t.Fatalf("err = %v (%v, wait %v), want %v wait %v", err, got, gotWait, class, wait)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("error %q does not carry %q", err, text)
	}
}

// CheckFind checks what Finder.Find returned: found and failed as wanted
// and, when found, the result.
func CheckFind(t *testing.T, res publishers.Result, found bool, err error, wantFound, wantErr bool, want publishers.Result) {
	t.Helper()
	if found != wantFound || (err != nil) != wantErr {
		t.Fatalf("found = %v, err = %v; want %v, error %v", found, err, wantFound, wantErr)
	}
	if found && res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
}

// Form is a multipart/form-data body as a fake network reads it.
type Form struct {
	Fields map[string]string // value parts by name
	Files  map[string]string // file parts by name: their content
	Names  map[string]string // file parts by name: their file name
}

// ReadForm reads a multipart/form-data body with the given boundary.
func ReadForm(body io.Reader, boundary string) (Form, error) {
	f := Form{Fields: map[string]string{}, Files: map[string]string{}, Names: map[string]string{}}
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return f, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return f, err
		}
		if part.FileName() != "" {
			f.Files[part.FormName()] = string(data)
			f.Names[part.FormName()] = part.FileName()
		} else {
			f.Fields[part.FormName()] = string(data)
		}
	}
}

// CheckProblems checks that probs are on the fields want, in order.
func CheckProblems(t *testing.T, probs []publishers.Problem, want []string) {
	t.Helper()
	var got []string
	for _, p := range probs {
		got = append(got, p.Field)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("problems = %v, want fields %v", probs, want)
	}
}

// ThreadPost is a representative post for a chat network's Suite: text with
// a UTM-tagged link, one image (the file or URL at image) with alt text, and
// a thread part.
func ThreadPost(image string) publishers.Post {
	return publishers.Post{
		IdempotencyKey: "d1",
		Text:           "Our spring issue is out.",
		Link:           "https://example.org/spring?utm_campaign=spring&utm_medium=social&utm_source=crieur",
		Media:          []publishers.Media{{Path: image, Alt: "A cover in green"}},
		Thread:         []string{"It has twelve stories."},
	}
}

// ErrorCase is one error answer and how the adapter must classify it.
type ErrorCase struct {
	Name   string
	Status int
	Header map[string]string
	Body   string
	Class  publishers.Class
	Wait   time.Duration
	Text   string // words the error must carry
}

// CheckErrors runs call with a handler that answers each case, and checks
// the error call returns with CheckError.
func CheckErrors(t *testing.T, cases []ErrorCase, call func(t *testing.T, h http.Handler) error) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			CheckError(t, call(t, Reply(c.Status, c.Header, c.Body)), c.Class, c.Wait, c.Text)
		})
	}
}

// ClosedURL is the base URL of a server that no longer listens: a request
// to it fails in transport, as when a network is unreachable.
func ClosedURL() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}
