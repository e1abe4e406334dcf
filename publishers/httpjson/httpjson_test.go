package httpjson

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crieur/crieur/publishers"
	"github.com/crieur/crieur/publishers/publishertest"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func TestDo(t *testing.T) {
	cases := []struct {
		name      string
		body      any
		status    int
		answer    string
		accept    string
		authorize func(*http.Request) error
		failure   func(*http.Response, []byte, time.Time) error
		want      string // decoded "name"; "" when an error is wanted
		class     publishers.Class
		text      string // in the error
		noRequest bool
	}{
		{name: "JSON both ways", body: map[string]string{"q": "x"}, status: 200, answer: `{"name":"ok"}`, want: "ok"},
		{name: "no body", status: 201, answer: `{"name":"made"}`, want: "made"},
		{name: "accept header", status: 200, answer: `{"name":"v1"}`, accept: "application/vnd.forem.api-v1+json", want: "v1"},
		{name: "unreadable success", status: 200, answer: `<html>`, class: publishers.Transient, text: "unreadable answer from Test (200)"},
		{name: "default failure", status: 404, answer: `{"error":"gone"}`, class: publishers.Permanent, text: "Not Found"},
		{name: "network's failure", status: 422, answer: `{"error":"title taken"}`, class: publishers.Permanent, text: "title taken",
			failure: func(resp *http.Response, data []byte, now time.Time) error {
				var e struct{ Error string }
				_ = json.Unmarshal(data, &e)
				return publishers.FromResponse(resp, e.Error, now)
			}},
		{name: "refused credentials", status: 200, class: publishers.Auth, text: "no key", noRequest: true,
			authorize: func(*http.Request) error { return publishers.Errorf(publishers.Auth, "no key") }},
		{name: "unencodable body", body: func() {}, class: publishers.Permanent, text: "encoding the request", noRequest: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requests := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests++
				wantAccept := c.accept
				if wantAccept == "" {
					wantAccept = "application/json"
				}
				if r.Header.Get("Accept") != wantAccept || r.Header.Get("User-Agent") != "crieur" || r.Header.Get("X-Key") != "k" {
					t.Errorf("headers = %v", r.Header)
				}
				data, _ := io.ReadAll(r.Body)
				if c.body != nil && (r.Header.Get("Content-Type") != "application/json" || string(data) != `{"q":"x"}`) {
					t.Errorf("body %q (%s)", data, r.Header.Get("Content-Type"))
				}
				if c.body == nil && (len(data) != 0 || r.Header.Get("Content-Type") != "") {
					t.Errorf("a request without a body sent %q (%s)", data, r.Header.Get("Content-Type"))
				}
				w.WriteHeader(c.status)
				_, _ = io.WriteString(w, c.answer)
			}))
			defer srv.Close()
			authorize := c.authorize
			if authorize == nil {
				authorize = func(r *http.Request) error { r.Header.Set("X-Key", "k"); return nil }
			}
			cl := &Client{Config: publishers.Config{Now: func() time.Time { return now }}, Network: "Test", MaxBody: 1 << 10,
				Accept: c.accept, Authorize: authorize, Failure: c.failure}
			var out struct{ Name string }
			err := cl.Do(context.Background(), "POST", srv.URL+"/x", c.body, &out)
			if c.want != "" {
				if err != nil || out.Name != c.want {
					t.Fatalf("Do = %v, %q; want %q", err, out.Name, c.want)
				}
				return
			}
			var pe *publishers.Error
			if !errors.As(err, &pe) || pe.Class != c.class || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("err = %v, want %v carrying %q", err, c.class, c.text)
			}
			if c.noRequest && requests != 0 {
				t.Errorf("%d requests sent, want none", requests)
			}
		})
	}
}

func TestSendWithoutOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "not JSON, and not read")
	}))
	defer srv.Close()
	req, err := http.NewRequest("DELETE", srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := &Client{Network: "Test", MaxBody: 1 << 10}
	if err := cl.Send(req, nil); err != nil {
		t.Fatalf("Send = %v, want nil when nothing is decoded", err)
	}
}

func TestTransportFailureIsTransient(t *testing.T) {
	url := publishertest.ClosedURL()
	cl := &Client{Network: "Test", MaxBody: 1 << 10}
	err := cl.Do(context.Background(), "GET", url, nil, nil)
	if c, _ := publishers.Classify(err); err == nil || c != publishers.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
}
