package telegram

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/crieur/crieur/publishers/publishertest"
)

const (
	testToken = "123456:SECRET-token_xyz"
	testChat  = "@crieurtest"
)

// call is one request the fake Bot API received.
type call struct {
	method  string
	fields  map[string]string // form values; JSON values re-encoded when not strings
	files   map[string]string // uploaded files by part name: their content
	names   map[string]string // uploaded files by part name: their file name
	replyTo int64
}

// fakeBot is a Bot API that checks each request as the Bot API documents it
// and records it. Messages get ids 1, 2, … in a chat of chatType.
type fakeBot struct {
	t        *testing.T
	chatType string // "channel" unless set
	username string // the chat's public username, "" for none

	mu    sync.Mutex
	next  int64
	calls []call
}

func newFakeBot(t *testing.T) *fakeBot {
	return &fakeBot{t: t, chatType: "channel", username: "crieurtest"}
}

func (f *fakeBot) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

func (f *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := f.t
	prefix := "/bot" + testToken + "/"
	if r.Method != http.MethodPost {
		t.Errorf("%s %s: the adapter only POSTs", r.Method, r.URL.Path)
	}
	if !strings.HasPrefix(r.URL.Path, prefix) {
		t.Errorf("path %q does not start with /bot<token>/", r.URL.Path)
		answerError(w, 401, "Unauthorized", "")
		return
	}
	if len(r.TransferEncoding) > 0 || (r.Method == http.MethodPost && r.ContentLength <= 0) {
		t.Errorf("%s sent without a Content-Length (%v)", r.URL.Path, r.TransferEncoding)
	}
	c, err := readCall(r)
	if err != nil {
		t.Errorf("%s: %v", r.URL.Path, err)
		answerError(w, 400, "Bad Request: "+err.Error(), "")
		return
	}
	c.method = strings.TrimPrefix(r.URL.Path, prefix)
	if c.method != "getMe" && c.fields["chat_id"] != testChat {
		t.Errorf("%s: chat_id = %q, want %q", c.method, c.fields["chat_id"], testChat)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	switch c.method {
	case "sendMessage":
		if strings.TrimSpace(c.fields["text"]) == "" {
			answerError(w, 400, "Bad Request: message text is empty", "")
			return
		}
		f.answer(w, f.message())
	case "sendPhoto", "sendVideo":
		kind := strings.ToLower(strings.TrimPrefix(c.method, "send"))
		if c.files[kind] == "" && !strings.HasPrefix(c.fields[kind], "http") {
			t.Errorf("%s: no %q file part nor URL", c.method, kind)
		}
		f.answer(w, f.message())
	case "sendMediaGroup":
		var items []inputMedia
		if err := json.Unmarshal([]byte(c.fields["media"]), &items); err != nil {
			t.Errorf("sendMediaGroup: media is not a JSON array: %v", err)
		}
		if len(items) < 2 || len(items) > 10 {
			t.Errorf("sendMediaGroup: %d items, the Bot API takes 2 to 10", len(items))
		}
		for i, it := range items {
			if it.Type != "photo" && it.Type != "video" {
				t.Errorf("media[%d].type = %q", i, it.Type)
			}
			if name, ok := strings.CutPrefix(it.Media, "attach://"); ok && c.files[name] == "" {
				t.Errorf("media[%d] refers to part %q, which was not uploaded", i, name)
			}
		}
		album := make([]any, len(items))
		for i := range items {
			album[i] = f.message()
		}
		f.answer(w, album)
	case "getMe":
		f.answer(w, map[string]any{"id": 42, "is_bot": true, "first_name": "Crieur", "username": "crieur_bot"})
	case "getChat":
		f.answer(w, map[string]any{"id": -1001, "type": f.chatType, "title": "Crieur news", "username": f.username})
	default:
		answerError(w, 404, "Not Found", "")
	}
}

func (f *fakeBot) message() map[string]any {
	f.next++
	c := map[string]any{"id": -1001, "type": f.chatType}
	if f.username != "" {
		c["username"] = f.username
	}
	return map[string]any{"message_id": f.next, "date": 1767225600, "chat": c}
}

func (f *fakeBot) answer(w http.ResponseWriter, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

func answerError(w http.ResponseWriter, code int, desc, params string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if params != "" {
		params = `,"parameters":` + params
	}
	fmt.Fprintf(w, `{"ok":false,"error_code":%d,"description":%q%s}`, code, desc, params)
}

// readCall decodes a JSON or multipart request into a call.
func readCall(r *http.Request) (call, error) {
	c := call{fields: map[string]string{}, files: map[string]string{}, names: map[string]string{}}
	ctype, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return c, fmt.Errorf("content type: %v", err)
	}
	switch ctype {
	case "application/json":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			return c, err
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				c.fields[k] = s
			} else {
				b, _ := json.Marshal(v)
				c.fields[k] = string(b)
			}
		}
	case "multipart/form-data":
		form, err := publishertest.ReadForm(r.Body, params["boundary"])
		if err != nil {
			return c, err
		}
		c.fields, c.files, c.names = form.Fields, form.Files, form.Names
	default:
		return c, fmt.Errorf("content type %q, want JSON or multipart", ctype)
	}
	if rp := c.fields["reply_parameters"]; rp != "" {
		var p struct {
			MessageID int64 `json:"message_id"`
		}
		if err := json.Unmarshal([]byte(rp), &p); err != nil || p.MessageID == 0 {
			return c, fmt.Errorf("reply_parameters %q has no message_id", rp)
		}
		c.replyTo = p.MessageID
	}
	return c, nil
}
