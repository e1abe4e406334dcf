package publishers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A server that reads a POST on a reused keep-alive connection and closes it
// without answering may have acted on it: the client must not send it again
// by itself, even when it carries an Idempotency-Key the server may ignore.
func TestNoTransportReplay(t *testing.T) {
	cases := []struct {
		name   string
		cfg    Config
		header string
	}{
		{"injected client, Idempotency-Key", Config{HTTP: &http.Client{Timeout: 5 * time.Second}}, "Idempotency-Key"},
		{"injected client, X-Idempotency-Key", Config{HTTP: &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}}, "X-Idempotency-Key"},
		{"default client", Config{}, "Idempotency-Key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var posts atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost {
					_, _ = io.WriteString(w, "ok")
					return
				}
				_, _ = io.ReadAll(r.Body)
				if posts.Add(1) == 1 {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					_ = conn.Close() // the post is made; the reply is lost
					return
				}
				_, _ = io.WriteString(w, `{"id":"2"}`)
			}))
			defer srv.Close()
			client := c.cfg.Client()

			// A first call leaves an idle keep-alive connection to reuse.
			resp, err := client.Get(srv.URL + "/api/v1/instance")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.ReadAll(resp.Body)
			_ = resp.Body.Close()

			req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+"/api/v1/statuses", bytes.NewReader([]byte(`{"status":"hi"}`)))
			req.Header.Set(c.header, "d7-0")
			resp, err = client.Do(req)
			if err == nil {
				_ = resp.Body.Close()
				t.Errorf("the POST succeeded: it was sent again after the lost reply")
			}
			if n := posts.Load(); n != 1 {
				t.Errorf("the server received %d POSTs, want exactly 1", n)
			}
			if req.GetBody == nil {
				t.Errorf("the caller's request was changed")
			}
		})
	}
}
