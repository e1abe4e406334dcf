package discord

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/crieur/crieur/publishers/publishertest"
)

const hookPath = "/api/webhooks/1234567890/SECRET-webhook-token"

// execution is one webhook execution the fake received.
type execution struct {
	payload payload
	files   map[string]string // part name → content
	names   map[string]string // part name → file name
}

// fakeDiscord is a webhook that checks each request as Discord documents it
// and records the executions. Messages get ids 1001, 1002, …
type fakeDiscord struct {
	t     *testing.T
	mu    sync.Mutex
	runs  []execution
	reads int
}

func (f *fakeDiscord) recorded() []execution {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]execution(nil), f.runs...)
}

func (f *fakeDiscord) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	if r.URL.Path != hookPath {
		t.Errorf("path = %q, want the webhook's", r.URL.Path)
		answer(w, 404, map[string]any{"message": "Unknown Webhook", "code": 10015})
		return
	}
	if len(r.TransferEncoding) > 0 || (r.Method == http.MethodPost && r.ContentLength <= 0) {
		t.Errorf("%s sent without a Content-Length (%v)", r.URL.Path, r.TransferEncoding)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.Method {
	case http.MethodGet:
		f.reads++
		answer(w, 200, map[string]any{"id": "1234567890", "type": 1, "name": "Crieur", "channel_id": "555", "guild_id": "777"})
	case http.MethodPost:
		if r.URL.Query().Get("wait") != "true" {
			t.Errorf("POST without wait=true: Discord would answer 204 with no message id")
		}
		run, err := readExecution(r)
		if err != nil {
			t.Errorf("execution: %v", err)
			answer(w, 400, map[string]any{"message": "Cannot send an empty message", "code": 50006})
			return
		}
		if run.payload.AllowedMentions.Parse == nil {
			t.Errorf("allowed_mentions.parse missing: mentions in a post would ping")
		}
		if n := utf8.RuneCountInString(run.payload.Content); n > 2000 {
			answer(w, 400, map[string]any{"message": "Invalid Form Body", "code": 50035,
				"errors": map[string]any{"content": map[string]any{"_errors": []any{map[string]any{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}}}}})
			return
		}
		if run.payload.Content == "" && len(run.files) == 0 {
			answer(w, 400, map[string]any{"message": "Cannot send an empty message", "code": 50006})
			return
		}
		f.runs = append(f.runs, run)
		answer(w, 200, map[string]any{"id": strconv.Itoa(1000 + len(f.runs)), "channel_id": "555",
			"content": run.payload.Content, "timestamp": "2026-01-01T09:00:00.123000+00:00"})
	default:
		t.Errorf("method %s", r.Method)
		w.WriteHeader(405)
	}
}

func answer(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// readExecution decodes a JSON or multipart execution and checks that each
// attachment matches a files[n] part.
func readExecution(r *http.Request) (execution, error) {
	run := execution{files: map[string]string{}, names: map[string]string{}}
	ctype, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return run, err
	}
	switch ctype {
	case "application/json":
		return run, json.NewDecoder(r.Body).Decode(&run.payload)
	case "multipart/form-data":
	default:
		return run, fmt.Errorf("content type %q", ctype)
	}
	form, err := publishertest.ReadForm(r.Body, params["boundary"])
	if err != nil {
		return run, err
	}
	run.files, run.names = form.Files, form.Names
	for name := range form.Fields {
		if name != "payload_json" {
			return run, fmt.Errorf("unexpected form field %q", name)
		}
	}
	payload, ok := form.Fields["payload_json"]
	if !ok {
		return run, fmt.Errorf("no payload_json part")
	}
	if err := json.Unmarshal([]byte(payload), &run.payload); err != nil {
		return run, fmt.Errorf("payload_json: %v", err)
	}
	if len(run.payload.Attachments) != len(run.files) {
		return run, fmt.Errorf("%d attachments for %d files", len(run.payload.Attachments), len(run.files))
	}
	for _, a := range run.payload.Attachments {
		name := fmt.Sprintf("files[%d]", a.ID)
		if run.names[name] != a.Filename {
			return run, fmt.Errorf("attachment %d is %q but part %s is %q", a.ID, a.Filename, name, run.names[name])
		}
	}
	return run, nil
}
