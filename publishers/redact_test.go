package publishers

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRedactorForms(t *testing.T) {
	const tok = "s3cr3t/t0ken+x"
	const pass = "abcd efgh ijkl"
	r := NewRedactor(map[string]string{"token": tok, "app_password": pass, "short": "abc"}, map[string]string{"user": "alice"})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct{ name, in string }{
		{"raw", "token " + tok + " refused"},
		{"base64", "saw " + b64(tok)},
		{"base64 url", "saw " + base64.RawURLEncoding.EncodeToString([]byte(tok))},
		{"query escaped", "url ?t=" + url.QueryEscape(tok)},
		{"path escaped", "/bot" + url.PathEscape(tok) + "/send"},
		{"JSON escaped", `{"password":"` + strings.ReplaceAll(tok, "/", `\/`) + `"}`},
		{"HTTP Basic", "Authorization: Basic " + b64("alice:"+pass)},
		{"SMTP PLAIN", "535 bad auth " + b64("\x00alice\x00"+pass)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.String(c.in)
			if !strings.Contains(got, Redacted) {
				t.Errorf("String(%q) = %q: not redacted", c.in, got)
			}
			for _, leak := range []string{tok, pass, "s3cr3t"} {
				if strings.Contains(got, leak) {
					t.Errorf("String(%q) = %q keeps %q", c.in, got, leak)
				}
			}
		})
	}
	odd := `pa"ss\w	ord`
	rq := NewRedactor(map[string]string{"p": odd}, nil)
	for _, in := range []string{fmt.Sprintf("server said %q", odd), fmt.Sprintf(`{"e":%q}`, odd)} {
		if got := rq.String(in); strings.Contains(got, "ss") {
			t.Errorf("quoted secret not redacted: %q", got)
		}
	}
	if got := r.String("abc and alice"); got != "abc and alice" {
		t.Errorf("short values and settings must stay: %q", got)
	}
	var none *Redactor
	if none.String("x "+tok) != "x "+tok || none.Error(nil) != nil {
		t.Errorf("a nil redactor must change nothing")
	}
	none.Add("x") // must not panic
}

func TestRedactorAddKeepsTheLatest(t *testing.T) {
	r := NewRedactor(nil, nil)
	r.Add("first-session-token")
	for i := 0; i < maxExtra; i++ {
		r.Add(fmt.Sprintf("signed-token-%03d", i))
	}
	if got := r.String("signed-token-063"); got != Redacted {
		t.Errorf("latest token not redacted: %q", got)
	}
	if got := r.String("first-session-token"); got != "first-session-token" {
		t.Errorf("the oldest runtime token should have been dropped beyond %d: %q", maxExtra, got)
	}
}

func TestRedactorErrorKeepsClass(t *testing.T) {
	const tok = "tok-123456"
	r := NewRedactor(map[string]string{"token": tok}, nil)
	inner := &Error{Class: Auth, Status: 401, Message: "bad token " + tok}
	cases := []struct {
		name  string
		err   error
		class Class
		is    error
	}{
		{"classified", inner, Auth, nil},
		{"wrapped", fmt.Errorf("checking %s: %w", tok, inner), Auth, nil},
		{"timeout", Transport(fmt.Errorf("Post %q: %w", "https://x/"+tok, context.DeadlineExceeded)), Transient, context.DeadlineExceeded},
		{"joined", errors.Join(errors.New("a "+tok), inner), Auth, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.Error(c.err)
			if strings.Contains(got.Error(), tok) || !strings.Contains(got.Error(), Redacted) {
				t.Errorf("Error() = %q", got)
			}
			if class, _ := Classify(got); class != c.class {
				t.Errorf("class = %v, want %v", class, c.class)
			}
			var pe *Error
			if errors.As(got, &pe) && strings.Contains(pe.Message, tok) {
				t.Errorf("the wrapped *Error still carries the secret: %q", pe.Message)
			}
			if c.is != nil && !errors.Is(got, c.is) {
				t.Errorf("errors.Is(%v) lost", c.is)
			}
			if c.is == context.DeadlineExceeded && !IsTimeout(got) {
				t.Errorf("a timeout is no longer one")
			}
		})
	}
	clean := errors.New("no secret here")
	if r.Error(clean) != clean {
		t.Errorf("an error without a secret must be returned as it is")
	}
}

type bare struct{}

func (bare) Validate(Post) []Problem { return []Problem{{Field: "text", Message: "tok-123456 bad"}} }
func (bare) Publish(context.Context, Post) (Result, error) {
	return Result{RemoteURL: "https://x/?k=tok-123456"}, errors.New("echo tok-123456")
}

type finder struct{ bare }

func (finder) Find(context.Context, Post) (Result, bool, error) {
	return Result{}, false, errors.New("tok-123456")
}

type checker struct{ bare }

func (checker) Check(context.Context) (string, error) { return "hello tok-123456", nil }

type previewer struct{ bare }

func (previewer) Preview(Post) Preview { return Preview{Extra: "tok-123456"} }

type all3 struct {
	finder
	checker
	previewer
}

func (all3) Validate(Post) []Problem { return nil }
func (all3) Publish(context.Context, Post) (Result, error) {
	return Result{}, nil
}

func TestRedactingKeepsCapabilitiesAndRedacts(t *testing.T) {
	r := NewRedactor(map[string]string{"token": "tok-123456"}, nil)
	for _, pub := range []Publisher{bare{}, finder{}, checker{}, previewer{}, all3{}} {
		w := Redacting(pub, r)
		_, f1 := pub.(Finder)
		_, f2 := w.(Finder)
		_, c1 := pub.(Checker)
		_, c2 := w.(Checker)
		_, p1 := pub.(Previewer)
		_, p2 := w.(Previewer)
		if f1 != f2 || c1 != c2 || p1 != p2 {
			t.Errorf("%T: wrapper capabilities Finder %v Checker %v Previewer %v, want %v %v %v", pub, f2, c2, p2, f1, c1, p1)
		}
		if Unwrap(w) != pub {
			t.Errorf("%T: Unwrap does not return the adapter", pub)
		}
		res, err := w.Publish(context.Background(), Post{})
		var outs []string
		outs = append(outs, res.RemoteURL, fmt.Sprint(err), fmt.Sprint(w.Validate(Post{})))
		if f, ok := w.(Finder); ok {
			_, _, err := f.Find(context.Background(), Post{})
			outs = append(outs, err.Error())
		}
		if c, ok := w.(Checker); ok {
			msg, _ := c.Check(context.Background())
			outs = append(outs, msg)
		}
		if p, ok := w.(Previewer); ok {
			outs = append(outs, p.Preview(Post{}).Extra)
		}
		for _, o := range outs {
			if strings.Contains(o, "tok-123456") {
				t.Errorf("%T: %q leaks", pub, o)
			}
		}
	}
}

func TestRegisteredNewRedacts(t *testing.T) {
	Register(Network{Name: "test-redact", New: func(cfg Config) (Publisher, error) {
		cfg.Redact.Add("granted-at-run-time")
		if cfg.Settings["fail"] != "" {
			return nil, errors.New("bad config " + cfg.Secrets["token"])
		}
		return checker{}, nil
	}, Offline: func(map[string]string) (Validator, error) { return checker{}, nil }})
	nw, _ := Lookup("test-redact")
	if _, err := nw.New(Config{Secrets: map[string]string{"token": "tok-123456"}, Settings: map[string]string{"fail": "y"}}); err == nil || strings.Contains(err.Error(), "tok-123456") {
		t.Errorf("New's error = %v", err)
	}
	p, err := nw.New(Config{Secrets: map[string]string{"token": "tok-123456"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(Checker); !ok {
		t.Fatal("the registry's publisher lost Checker")
	}
	if msg, _ := p.(Checker).Check(context.Background()); strings.Contains(msg, "tok-123456") {
		t.Errorf("Check = %q", msg)
	}
}

func TestSameHostRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host received %s %s", r.Method, r.URL)
	}))
	defer other.Close()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, srv.URL+"/ok", http.StatusFound)
		case "/other":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/ok":
			w.WriteHeader(http.StatusOK)
		}
	}))
	defer srv.Close()
	asked := 0
	injected := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { asked++; return nil }}
	c := Config{HTTP: injected}.Client()
	if injected.CheckRedirect == nil || c == injected {
		t.Fatal("Client must copy the injected client, not change it")
	}
	resp, err := c.Get(srv.URL + "/same")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("same-host redirect: %v", err)
	}
	resp.Body.Close()
	if asked != 1 {
		t.Errorf("the injected CheckRedirect was asked %d times, want 1", asked)
	}
	for _, client := range []*http.Client{c, Config{}.Client()} {
		_, err = client.Get(srv.URL + "/other")
		if !errors.Is(err, ErrRedirectOtherHost) {
			t.Fatalf("redirect to another port: %v", err)
		}
		if pe := Transport(err); pe.Class != Permanent || !strings.Contains(pe.Error(), "another host") {
			t.Errorf("Transport = %v, want a permanent error naming the other host", pe)
		}
	}
}

func TestOrigin(t *testing.T) {
	cases := []struct {
		a, b string
		same bool
	}{
		{"https://a.example/x", "https://A.example:443/y", true},
		{"https://a.example/x", "http://a.example/x", false},
		{"https://a.example/x", "https://b.example/x", false},
		{"http://127.0.0.1:80/x", "http://127.0.0.1:8080/x", false},
	}
	for _, c := range cases {
		ua, _ := url.Parse(c.a)
		ub, _ := url.Parse(c.b)
		if got := origin(ua) == origin(ub); got != c.same {
			t.Errorf("same origin %s %s = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

func TestCheckHTTPS(t *testing.T) {
	cases := []struct {
		url      string
		insecure string
		ok       bool
	}{
		{"https://mastodon.social", "", true},
		{"http://mastodon.social", "", false},
		{"http://mastodon.social", "true", true},
		{"http://mastodon.social", "false", false},
		{"http://localhost:3000", "", true},
		{"http://pds.localhost", "", true},
		{"http://127.0.0.1:8080", "", true},
		{"http://127.8.9.10", "", true},
		{"http://[::1]:8080", "", true},
		{"http://10.0.0.1", "", false},
		{"http://localhost.evil.example", "", false},
	}
	for _, c := range cases {
		t.Run(c.url+" "+c.insecure, func(t *testing.T) {
			u, _ := url.Parse(c.url)
			err := CheckHTTPS("setting instance", u, map[string]string{"insecure_http": c.insecure})
			if (err == nil) != c.ok {
				t.Fatalf("CheckHTTPS = %v, want ok %v", err, c.ok)
			}
			if err != nil && (!errors.Is(err, ErrInsecureHTTP) || !strings.Contains(err.Error(), "insecure_http=true") || !strings.Contains(err.Error(), "setting instance")) {
				t.Errorf("message %q should name the setting and the way out", err)
			}
		})
	}
	u, _ := url.Parse("http://x.example")
	if err := CheckHTTPS("x", u, map[string]string{"insecure_http": "yes please"}); err == nil || !strings.Contains(err.Error(), "true or false") {
		t.Errorf("a bad insecure_http value = %v", err)
	}
}
